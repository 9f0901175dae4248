"""Tiny hand-made SNDS tables for the engine specification tests.

A test says who the people are and what happened to them, in the words of the SNDS; the builder
writes the rows of the real tables (IR_BEN_R, ER_PRS_F and its detail tables on the nine keys,
T_MCOaaB/C/D/A, IR_IMB_R, KI_CCI_R) with the packaged schemas, every other column NULL:

    db = Snds()
    db.person("P1", born=(1960, 5))
    db.dispensing("P1", "2021-03-01", atc="A10BA02")
    db.stay("P1", "2021-06-10", main="I500")

A person's key is their BEN_NIR_ANO (the PERSON_KEY of a cohort); their pseudo-NIR is derived from
it unless given (twins share one, with ranks 1 and 2; `pseudo_nir` adds another for one person).
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hygie.engine.lake import Dataset, DatasetWriter
from hygie.snds.schemas import load_schemas
from hygie.snds.views import drug_table

DateLike = str | dt.date | None
OK_FLAGS = {"NIR_RET": False, "NAI_RET": "0", "SEX_RET": False, "SEJ_RET": False,
            "FHO_RET": False, "PMS_RET": False, "DAT_RET": "0"}


def day(value: DateLike) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def cip13_of(atc: str) -> int:
    """The first presentation of a substance in the packaged drug table."""
    drugs = drug_table()
    for cip, code in zip(drugs["CIP13"].to_pylist(), drugs["ATC"].to_pylist(), strict=True):
        if code == atc:
            return int(cip)
    raise KeyError(f"no presentation of {atc} in the packaged drug table")


class Snds:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.nirs: dict[str, list[tuple[str, int]]] = {}  # person -> [(pseudo-NIR, rank)]
        self._line = itertools.count(1)
        self._stay = itertools.count(1)

    def _add(self, table: str, **row: Any) -> None:
        self.rows.setdefault(table, []).append(row)

    def nir(self, person: str) -> tuple[str, int]:
        return self.nirs[person][0]

    # --- people ----------------------------------------------------------------------------------

    def person(self, key: str, *, sex: int | None = 1, born: tuple[int | None, Any] = (1960, 1),
               department: str | None = "075", registered: DateLike = "2000-01-01",
               died: DateLike = None, twin_of: str | None = None, nir: str | None = None,
               rank: int = 1) -> str:
        """One row of IR_BEN_R. `born` is (BEN_NAI_ANN, BEN_NAI_MOI), either may be None; `twin_of`
        gives this person the other's pseudo-NIR with rank 2."""
        if twin_of is not None:
            nir, rank = self.nir(twin_of)[0], 2
        nir = nir or key.ljust(17, "0")[:17]
        self.nirs.setdefault(key, []).append((nir, rank))
        year, month = born
        self._add("IR_BEN_R", BEN_NIR_PSA=nir, BEN_RNG_GEM=rank, BEN_NIR_ANO=key,
                  BEN_IDT_ANO=f"I{key}", BEN_SEX_COD=sex, BEN_NAI_ANN=year,
                  BEN_NAI_MOI=None if month is None else str(month).zfill(2),
                  BEN_RES_DPT=department, BEN_DTE_INS=day(registered), BEN_DCD_DTE=day(died))
        return key

    def pseudo_nir(self, key: str, nir: str, *, registered: DateLike = "2000-01-01",
                   died: DateLike = None) -> None:
        """Another pseudo-NIR of the same person (same BEN_NIR_ANO), another row of IR_BEN_R."""
        first = next(r for r in self.rows["IR_BEN_R"] if r["BEN_NIR_ANO"] == key)
        self.nirs[key].append((nir, 1))
        self._add("IR_BEN_R", **{**first, "BEN_NIR_PSA": nir, "BEN_RNG_GEM": 1,
                                 "BEN_DTE_INS": day(registered), "BEN_DCD_DTE": day(died)})

    # --- DCIR --------------------------------------------------------------------------------------

    def _claim(self, person: str, date: DateLike, detail: str | None, nir: str | None,
               info: bool, quantity: float, **detail_row: Any) -> None:
        """One ER_PRS_F line and, for a detail table, its detail line on the nine keys."""
        psa, rank = (nir, 1) if nir else self.nir(person)
        when = day(date)
        keys = {"DCT_ORD_NUM": next(self._line), "FLX_DIS_DTD": when, "FLX_EMT_NUM": 1,
                "FLX_EMT_ORD": 0, "FLX_EMT_TYP": 1, "FLX_TRT_DTD": when, "ORG_CLE_NUM": "01C751",
                "PRS_ORD_NUM": 1, "REM_TYP_AFF": 1}
        self._add("ER_PRS_F", **keys, BEN_NIR_PSA=psa, BEN_RNG_GEM=rank, EXE_SOI_DTD=when,
                  DPN_QLF=71 if info else 0, PRS_DPN_QLP=0, PRS_ACT_QTE=quantity)
        if detail:
            self._add(detail, **keys, **detail_row)

    def dispensing(self, person: str, date: DateLike, *, atc: str | None = None,
                   cip13: int | None = None, boxes: int = 1, info: bool = False,
                   nir: str | None = None) -> None:
        """A drug dispensed in a pharmacy (ER_PHA_F); `boxes` < 0 is a billing correction."""
        code = cip13 if cip13 is not None else cip13_of(str(atc))
        self._claim(person, date, "ER_PHA_F", nir, info, boxes, PHA_PRS_C13=code,
                    PHA_ACT_QSN=boxes)

    def lab(self, person: str, date: DateLike, nabm: int, *, quantity: int = 1,
            info: bool = False) -> None:
        self._claim(person, date, "ER_BIO_F", None, info, quantity, BIO_PRS_IDE=nabm,
                    BIO_ACT_QSN=quantity)

    def town_act(self, person: str, date: DateLike, ccam: str, *, quantity: int = 1,
                 info: bool = False) -> None:
        self._claim(person, date, "ER_CAM_F", None, info, quantity, CAM_PRS_IDE=ccam)

    def visit(self, person: str, date: DateLike, *, info: bool = False) -> None:
        """A claim line with no detail (a consultation)."""
        self._claim(person, date, None, None, info, 1)

    # --- PMSI MCO -----------------------------------------------------------------------------------

    def stay(self, person: str | None, date: DateLike, *, main: str = "Z000",
             related: str | None = None, associated: tuple[str, ...] = (),
             acts: tuple[tuple[str, int | None], ...] = (), nir: str | None = None,
             flags: dict[str, Any] | None = None, year: int | None = None) -> None:
        """A hospital stay starting on `date`: its T_MCOaaC (link) and T_MCOaaB rows, one
        T_MCOaaD row per associated diagnosis, one T_MCOaaA row per (CCAM act, days after entry)."""
        start = day(date)
        assert start is not None
        yy = f"{(year or start.year) % 100:02d}"
        psa = nir or self.nir(str(person))[0]
        eta, rsa = "750000001", next(self._stay)
        self._add(f"T_MCO{yy}C", ETA_NUM=eta, RSA_NUM=rsa, NIR_ANO_17=psa,
                  EXE_SOI_DTD=dt.datetime.combine(start, dt.time(9, 30)),
                  **{**OK_FLAGS, **(flags or {})})
        self._add(f"T_MCO{yy}B", ETA_NUM=eta, RSA_NUM=rsa, DGN_PAL=main, DGN_REL=related)
        for code in associated:
            self._add(f"T_MCO{yy}D", ETA_NUM=str(eta), RSA_NUM=str(rsa), ASS_DGN=code)
        for code, delay in acts:
            self._add(f"T_MCO{yy}A", ETA_NUM=str(eta), RSA_NUM=str(rsa), CDC_ACT=code,
                      ENT_DAT_DEL=delay)

    # --- ALD and deaths ---------------------------------------------------------------------------

    def ald(self, person: str, code: str, start: DateLike, end: DateLike = None, *,
            nature: int = 41) -> None:
        psa, rank = self.nir(person)
        self._add("IR_IMB_R", BEN_NIR_PSA=psa, BEN_RNG_GEM=rank, MED_MTF_COD=code,
                  IMB_ALD_DTD=day(start), IMB_ALD_DTF=day(end), IMB_ETM_NAT=nature)

    def death_cause(self, person: str, code: str, date: DateLike) -> None:
        self._add("KI_CCI_R", BEN_IDT_ANO=f"I{person}", DCD_CIM_COD=code, BEN_DCD_DTE=day(date))

    # --- writing ----------------------------------------------------------------------------------

    def write(self, target: Path) -> Dataset:
        """A lake dataset with every table the cohorts read (empty where nothing was added)."""
        schemas = load_schemas()
        tables = dict.fromkeys(("IR_BEN_R", "ER_PRS_F", "ER_PHA_F", "ER_BIO_F", "ER_CAM_F",
                                "IR_IMB_R", "KI_CCI_R"), ())
        years = {t[5:7] for t in self.rows if t.startswith("T_MCO")} or {"21"}
        tables.update({f"T_MCO{yy}{k}": () for yy in years for k in "BCDA"})
        with DatasetWriter(target, kind="snds", source={"test": "spec"}) as w:
            for table in tables:
                generic = f"T_MCOaa{table[7:]}" if table.startswith("T_MCO") else table
                schema = schemas.table(generic).arrow_schema()
                pq.write_table(pa.Table.from_pylist(self.rows.get(table, []), schema=schema),
                               w.part_path(table, 0))
            return w.commit()
