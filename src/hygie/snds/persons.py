"""The SNDS person model: how each table reaches a person, a date and a row key.

The one copy of these rules, used by targeting (`hygie.cohorts.events`), extraction, and the
views of `hygie.snds.views`:

- a person is BEN_NIR_ANO (PERSON_KEY): one person may have several pseudo-NIRs (BEN_NIR_PSA)
  over life, and twins share a pseudo-NIR with different ranks (BEN_RNG_GEM); PERSON_MAP sends
  (BEN_NIR_PSA, BEN_RNG_GEM) to the person;
- the PMSI has the pseudo-NIR only (NIR_ANO_17, no rank): PMSI_PERSON_MAP keeps the pseudo-NIRs
  that name one person, so that a stay under a pseudo-NIR shared by twins is never attributed;
  a stay is trusted when its linkage flags (PMSI_FLAGS) are all OK;
- DCIR detail tables join ER_PRS_F on the nine DCIR_KEYS (forgetting one duplicates rows).

Each supported table gives a query over the views of `hygie.snds.views` returning its own columns
(as `t.*`) plus:

- PERSON_KEY: the individual (BEN_NIR_ANO), through PERSON_MAP for DCIR and referentials, through
  ER_PRS_F's nine keys for DCIR detail tables, through the stay's T_MCOaaC row and PMSI_PERSON_MAP
  for PMSI tables (stays of twins sharing a pseudo-NIR do not link and are counted as dropped);
- DATE_FROM, DATE_TO: the span the row covers, to keep the rows that overlap the period;
- ROW_KEY: the text of the row's key (nine DCIR keys, or year + establishment + stay number) that the
  extractor turns into a keyed LINE_ID or STAY_ID.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlglot import exp

from hygie.engine.engines import parse

DCIR_KEYS = ("DCT_ORD_NUM", "FLX_DIS_DTD", "FLX_EMT_NUM", "FLX_EMT_ORD", "FLX_EMT_TYP",
             "FLX_TRT_DTD", "ORG_CLE_NUM", "PRS_ORD_NUM", "REM_TYP_AFF")
# PMSI MCO linkage quality flags (T_MCOaaC): a stay is trusted when each is OK (false, or '0').
PMSI_FLAGS = ("NIR_RET", "NAI_RET", "SEX_RET", "SEJ_RET", "FHO_RET", "PMS_RET", "DAT_RET")
PERSON_MAP_SQL = ("SELECT DISTINCT BEN_NIR_PSA, BEN_RNG_GEM, BEN_NIR_ANO AS PERSON_KEY "
                  "FROM IR_BEN_R")
PMSI_PERSON_MAP_SQL = ("SELECT BEN_NIR_PSA AS NIR_ANO_17, min(BEN_NIR_ANO) AS PERSON_KEY "
                       "FROM IR_BEN_R GROUP BY BEN_NIR_PSA HAVING count(DISTINCT BEN_NIR_ANO) = 1")
DCIR_DETAILS = frozenset({"ER_PHA_F", "ER_BIO_F", "ER_CAM_F", "ER_UCD_F", "ER_ETE_F", "ER_TIP_F"})
_PMSI = re.compile(r"^T_MCO(\d\d)([A-Z]+)$")
_SAFE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _key_text(alias: str, columns: tuple[str, ...]) -> str:
    parts = ", ".join(f"coalesce(CAST({alias}.{c} AS VARCHAR), '')" for c in columns)
    return f"concat_ws('|', {parts})"


def supported(table: str) -> bool:
    m = _PMSI.match(table)
    return (table in {"IR_BEN_R", "ER_PRS_F", "IR_IMB_R", "KI_CCI_R"} or table in DCIR_DETAILS
            or bool(m and m.group(2) in {"B", "C", "D", "A"}))


def row_key_name(table: str) -> str | None:
    if table == "ER_PRS_F" or table in DCIR_DETAILS:
        return "LINE_ID"
    if _PMSI.match(table):
        return "STAY_ID"
    return None


def linked(table: str, *, pseudonyms: str | None = None) -> exp.Query:
    """The table's rows with PERSON_KEY, DATE_FROM, DATE_TO and ROW_KEY (see module doc).

    With `pseudonyms` (the name of a PERSON_KEY -> PSEUDO_ID mapping), only the rows of the people
    it maps, with their PSEUDO_ID: through the person maps restricted to those people
    (`cohort_maps`), so that the table meets a single, small mapping in one join."""
    if not _SAFE.match(table) or not supported(table):
        raise ValueError(f"{table}: not linkable for extraction")
    none = "CAST(NULL AS DATE)"
    who, person_map, pmsi_map = "m.PERSON_KEY", "PERSON_MAP", "PMSI_PERSON_MAP"
    ben = "(SELECT DISTINCT BEN_IDT_ANO, BEN_NIR_ANO AS PERSON_KEY FROM IR_BEN_R)"
    if pseudonyms is not None:
        if not _SAFE.match(pseudonyms):
            raise ValueError(f"{pseudonyms}: not a view name")
        who, person_map, pmsi_map = "m.PERSON_KEY, m.PSEUDO_ID", COHORT_MAP, COHORT_PMSI_MAP
        ben = ("(SELECT DISTINCT b.BEN_IDT_ANO, b.BEN_NIR_ANO AS PERSON_KEY, ps.PSEUDO_ID "
               f"FROM IR_BEN_R b JOIN {pseudonyms} ps ON ps.PERSON_KEY = b.BEN_NIR_ANO)")
    if table == "IR_BEN_R":
        sql = (f"SELECT t.*, {who}, {none} AS DATE_FROM, {none} AS DATE_TO, "
               f"CAST(NULL AS VARCHAR) AS ROW_KEY FROM IR_BEN_R t JOIN {person_map} m "
               "ON m.BEN_NIR_PSA = t.BEN_NIR_PSA AND m.BEN_RNG_GEM = t.BEN_RNG_GEM")
    elif table == "ER_PRS_F":
        sql = (f"SELECT t.*, {who}, t.EXE_SOI_DTD AS DATE_FROM, t.EXE_SOI_DTD AS DATE_TO, "
               f"{_key_text('t', DCIR_KEYS)} AS ROW_KEY FROM ER_PRS_F t JOIN {person_map} m "
               "ON m.BEN_NIR_PSA = t.BEN_NIR_PSA AND m.BEN_RNG_GEM = t.BEN_RNG_GEM")
    elif table in DCIR_DETAILS:
        on = " AND ".join(f"p.{k} = t.{k}" for k in DCIR_KEYS)
        sql = (f"SELECT t.*, {who}, p.EXE_SOI_DTD AS DATE_FROM, p.EXE_SOI_DTD AS DATE_TO, "
               f"{_key_text('t', DCIR_KEYS)} AS ROW_KEY FROM {table} t JOIN ER_PRS_F p ON {on} "
               f"JOIN {person_map} m "
               "ON m.BEN_NIR_PSA = p.BEN_NIR_PSA AND m.BEN_RNG_GEM = p.BEN_RNG_GEM")
    elif table == "IR_IMB_R":
        sql = (f"SELECT t.*, {who}, t.IMB_ALD_DTD AS DATE_FROM, t.IMB_ALD_DTF AS DATE_TO, "
               f"CAST(NULL AS VARCHAR) AS ROW_KEY FROM IR_IMB_R t JOIN {person_map} m "
               "ON m.BEN_NIR_PSA = t.BEN_NIR_PSA AND m.BEN_RNG_GEM = t.BEN_RNG_GEM")
    elif table == "KI_CCI_R":
        sql = (f"SELECT t.*, {who}, t.BEN_DCD_DTE AS DATE_FROM, t.BEN_DCD_DTE AS DATE_TO, "
               f"CAST(NULL AS VARCHAR) AS ROW_KEY FROM KI_CCI_R t JOIN {ben} m "
               "ON m.BEN_IDT_ANO = t.BEN_IDT_ANO")
    else:
        m = _PMSI.match(table)
        assert m
        stay = (f"concat_ws('|', '{m.group(1)}', CAST(t.ETA_NUM AS VARCHAR), "
                "CAST(t.RSA_NUM AS VARCHAR))")
        if m.group(2) == "C":
            sql = (f"SELECT t.*, {who}, t.EXE_SOI_DTD AS DATE_FROM, "
                   f"t.EXE_SOI_DTF AS DATE_TO, {stay} AS ROW_KEY FROM {table} t "
                   f"JOIN {pmsi_map} m ON m.NIR_ANO_17 = t.NIR_ANO_17")
        else:
            c = f"T_MCO{m.group(1)}C"
            sql = (f"SELECT t.*, {who}, c.EXE_SOI_DTD AS DATE_FROM, "
                   f"c.EXE_SOI_DTF AS DATE_TO, {stay} AS ROW_KEY FROM {table} t "
                   f"JOIN {c} c ON CAST(c.ETA_NUM AS VARCHAR) = CAST(t.ETA_NUM AS VARCHAR) "
                   "AND CAST(c.RSA_NUM AS VARCHAR) = CAST(t.RSA_NUM AS VARCHAR) "
                   f"JOIN {pmsi_map} m ON m.NIR_ANO_17 = c.NIR_ANO_17")
    query = parse(sql)
    assert isinstance(query, exp.Query)
    return query


COHORT_MAP, COHORT_PMSI_MAP = "COHORT_PERSON_MAP", "COHORT_PMSI_PERSON_MAP"


def cohort_maps(pseudonyms: str, tables: Iterable[str]) -> dict[str, exp.Expression]:
    """The person maps that `tables` link through, restricted to the people of `pseudonyms` and
    with their PSEUDO_ID: views to materialise before `linked(..., pseudonyms=...)`. A cohort is
    small beside a table, so the table then meets one small mapping in one join (which Spark
    broadcasts when it is under its threshold) instead of the whole person map and, after it, the
    pseudonyms."""
    if not _SAFE.match(pseudonyms):
        raise ValueError(f"{pseudonyms}: not a view name")
    tables = set(tables)
    maps: dict[str, exp.Expression] = {}
    if tables - {"KI_CCI_R"} - {t for t in tables if _PMSI.match(t)}:
        maps[COHORT_MAP] = parse("SELECT m.BEN_NIR_PSA, m.BEN_RNG_GEM, m.PERSON_KEY, ps.PSEUDO_ID "
                                 f"FROM PERSON_MAP m JOIN {pseudonyms} ps "
                                 "ON ps.PERSON_KEY = m.PERSON_KEY")
    if any(_PMSI.match(t) for t in tables):
        maps[COHORT_PMSI_MAP] = parse("SELECT m.NIR_ANO_17, m.PERSON_KEY, ps.PSEUDO_ID "
                                      f"FROM PMSI_PERSON_MAP m JOIN {pseudonyms} ps "
                                      "ON ps.PERSON_KEY = m.PERSON_KEY")
    return maps
