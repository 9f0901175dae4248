"""The SNDS as an engine sees it: table views, PMSI years unioned, person keys, the drug table.

`open_snds(dataset, engine)` is the one way to open a dataset as the SNDS: it checks that the
dataset holds the tables a job reads, opens the engine (or uses the one given) and calls
`attach_snds(engine, dataset)`, which registers, on either engine:

- one view per table of the dataset, named as the table (`IR_BEN_R`, `ER_PRS_F`, `T_MCO21B`, ...);
- `MCO_B`, `MCO_C`, `MCO_D`, `MCO_A`: the PMSI MCO tables of all years, with a `PMSI_YEAR` column;
- `PERSON_MAP` (the rules are `hygie.snds.persons`'): (BEN_NIR_PSA, BEN_RNG_GEM) -> PERSON_KEY,
  the stable individual identifier BEN_NIR_ANO, so that a person with several pseudo-NIRs is one
  person and twins are two;
- `PMSI_PERSON_MAP`: NIR_ANO_17 -> PERSON_KEY for the pseudo-NIRs that name one person only. The
  PMSI has no twin rank: stays under a pseudo-NIR shared by twins cannot be attributed and are
  left out (`ambiguous_pmsi_keys` counts them);
- `DRUG`: CIP13 -> ATC, from the packaged drug table.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

from hygie.engine.engines import Engine, open_engine, parse
from hygie.engine.lake import Dataset
from hygie.snds.persons import PERSON_MAP_SQL, PMSI_PERSON_MAP_SQL

_PMSI = re.compile(r"^T_MCO(\d\d)([A-Z]+)$")


@cache
def drug_table() -> pa.Table:
    text = (resources.files("hygie") / "data" / "drugs.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    return pa.table({
        "CIP13": pa.array([int(r["CIP13"]) for r in rows], pa.int64()),
        "ATC": pa.array([r["ATC"] for r in rows], pa.string()),
        "SUBSTANCE": pa.array([r["SUBSTANCE"] for r in rows], pa.string()),
    })


def pmsi_years(dataset: Dataset, suffix: str) -> dict[int, str]:
    """PMSI MCO tables of one kind (B, C, D, A...) by year: {2021: 'T_MCO21B', ...}."""
    out = {}
    for t in dataset.tables:
        m = _PMSI.match(t)
        if m and m.group(2) == suffix:
            out[2000 + int(m.group(1))] = t
    return dict(sorted(out.items()))


class MissingTables(LookupError):
    """The dataset lacks tables a job reads."""

    def __init__(self, dataset: Dataset, tables: list[str]) -> None:
        self.tables = tables
        super().__init__(f"{', '.join(tables)} absent from the dataset {dataset.path}")


def missing_tables(dataset: Dataset, needed: Iterable[str]) -> list[str]:
    """The tables of `needed` the dataset lacks (T_MCOaaX: no year of that PMSI table; the drug
    table DRUG is packaged with Hygie)."""
    have = set(dataset.tables)
    out = []
    for table in sorted(set(needed) - {"DRUG"}):
        if table.startswith("T_MCOaa"):
            suffix = table.removeprefix("T_MCOaa")
            if not any(t.startswith("T_MCO") and t[7:] == suffix for t in have):
                out.append(table)
        elif table not in have:
            out.append(table)
    return out


@contextmanager
def open_snds(source: Dataset | str | Path, engine: Engine | str = "duckdb", *,
              needed: Iterable[str] = (), **options: Any) -> Iterator[Engine]:
    """An engine with the SNDS views of a dataset (a `Dataset` or its folder). An engine given by
    name is opened with `options` and closed at the end; an engine object is used and left open.
    Raises MissingTables when the dataset lacks one of the `needed` tables."""
    dataset = source if isinstance(source, Dataset) else Dataset.open(source)
    absent = missing_tables(dataset, needed)
    if absent:
        raise MissingTables(dataset, absent)
    own = not isinstance(engine, Engine)
    eng = open_engine(engine, **options) if isinstance(engine, str) else engine
    try:
        attach_snds(eng, dataset)
        yield eng
    finally:
        if own:
            eng.close()


def attach_snds(engine: Engine, dataset: Dataset) -> None:
    engine.attach(dataset)
    for suffix in ("B", "C", "D", "A"):
        years = pmsi_years(dataset, suffix)
        if not years:
            continue
        # Table names come from the manifest and match _PMSI: safe identifiers, quoted anyway.
        union = " UNION ALL ".join(  # every year has the fields of one schema, in order
            f'SELECT *, {year} AS PMSI_YEAR FROM "{table}"' for year, table in years.items())
        engine.execute(f"CREATE OR REPLACE TEMP VIEW MCO_{suffix} AS {union}")
    engine.execute(parse(f"CREATE OR REPLACE TEMP VIEW PERSON_MAP AS {PERSON_MAP_SQL}"))
    engine.execute(parse(f"CREATE OR REPLACE TEMP VIEW PMSI_PERSON_MAP AS {PMSI_PERSON_MAP_SQL}"))
    engine.register_arrow("DRUG", drug_table())


def ambiguous_pmsi_keys(engine: Engine) -> int:
    """Stays whose pseudo-NIR is shared by twins (not attributable to one person)."""
    return int(engine.scalar(
        "SELECT count(*) FROM MCO_C c WHERE NOT EXISTS "
        "(SELECT 1 FROM PMSI_PERSON_MAP m WHERE m.NIR_ANO_17 = c.NIR_ANO_17)") or 0)
