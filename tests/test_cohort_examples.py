"""The worked examples of docs/cohorts.md, read from the docs themselves, against hand-written SQL
over the raw tables of a generated SNDS: every step of their attrition tables, not only the end.

An exclusion on another code list than the entry's once removed nearly everyone (a NULL count on
people without any event): each example here has such an exclusion, and a property test checks
that an exclusion matching nobody changes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hygie.cohorts import Cohort

DOCS = Path(__file__).parent.parent / "docs" / "cohorts.md"
NINE_KEYS = ("DCT_ORD_NUM", "FLX_DIS_DTD", "FLX_EMT_NUM", "FLX_EMT_ORD", "FLX_EMT_TYP",
             "FLX_TRT_DTD", "ORG_CLE_NUM", "PRS_ORD_NUM", "REM_TYP_AFF")


def documented() -> dict[str, str]:
    """The complete definitions (YAML blocks with a name and an entry) of docs/cohorts.md."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    out = {}
    for block in blocks:
        name = re.search(r"^name: (\w+)", block, re.M)
        if name and re.search(r"^entry:", block, re.M) and "..." not in block:
            out[name.group(1)] = block
    return out


# Shared pieces of the hand-written queries, read the same in DuckDB and Spark SQL: the person, the
# netted dispensations (information-only lines dropped), birth, registration and death.
PORTABLE = f"""
person AS (
  SELECT DISTINCT BEN_NIR_PSA, BEN_RNG_GEM, BEN_NIR_ANO AS pid FROM IR_BEN_R
), dispensed AS (
  SELECT m.pid, p.EXE_SOI_DTD AS d, g.ATC
  FROM ER_PHA_F h
  JOIN ER_PRS_F p ON {' AND '.join(f'h.{k} = p.{k}' for k in NINE_KEYS)}
  JOIN person m ON m.BEN_NIR_PSA = p.BEN_NIR_PSA AND m.BEN_RNG_GEM = p.BEN_RNG_GEM
  JOIN raw_drug g ON g.CIP13 = h.PHA_PRS_C13
  WHERE coalesce(p.DPN_QLF, 0) <> 71 AND coalesce(p.PRS_DPN_QLP, 0) <> 71
  GROUP BY m.pid, p.EXE_SOI_DTD, h.PHA_PRS_C13, g.ATC
  HAVING sum(h.PHA_ACT_QSN) > 0
), ben AS (
  SELECT BEN_NIR_ANO AS pid, min(BEN_NAI_ANN) AS y,
         coalesce(min(CASE WHEN try_cast(BEN_NAI_MOI AS INT) BETWEEN 1 AND 12
                           THEN try_cast(BEN_NAI_MOI AS INT) END), 1) AS m,
         min(CASE WHEN BEN_DTE_INS > DATE '1900-01-01' THEN BEN_DTE_INS END) AS since,
         min(CASE WHEN BEN_DCD_DTE > DATE '1900-01-01' THEN BEN_DCD_DTE END) AS death
  FROM IR_BEN_R GROUP BY BEN_NIR_ANO
)"""
# The DuckDB hand-written queries add the PMSI (raw tables of the `raw` fixture).
HAND_COMMON = PORTABLE + """, pmsi_people AS (  -- pseudo-NIRs naming one person (twins share one)
  SELECT BEN_NIR_PSA, min(BEN_NIR_ANO) AS pid FROM IR_BEN_R
  GROUP BY BEN_NIR_PSA HAVING count(DISTINCT BEN_NIR_ANO) = 1
), stays AS (  -- stays whose linkage flags are all OK, attributed to one person
  SELECT m.pid, CAST(c.EXE_SOI_DTD AS DATE) AS d, c.yr,
         CAST(c.ETA_NUM AS VARCHAR) AS eta, CAST(c.RSA_NUM AS VARCHAR) AS rsa
  FROM raw_mco_C c JOIN pmsi_people m ON m.BEN_NIR_PSA = c.NIR_ANO_17
  WHERE NOT c.NIR_RET AND NOT c.SEX_RET AND NOT c.SEJ_RET AND NOT c.FHO_RET AND NOT c.PMS_RET
    AND c.NAI_RET = '0' AND c.DAT_RET = '0'
), main_dx AS (
  SELECT s.pid, s.d, b.DGN_PAL AS code FROM stays s
  JOIN raw_mco_B b ON CAST(b.ETA_NUM AS VARCHAR) = s.eta AND CAST(b.RSA_NUM AS VARCHAR) = s.rsa
                  AND b.yr = s.yr
), any_dx AS (  -- PMSI main, related and associated diagnoses, and ALD
  SELECT pid, d, code FROM main_dx
  UNION ALL
  SELECT s.pid, s.d, b.DGN_REL FROM stays s
  JOIN raw_mco_B b ON CAST(b.ETA_NUM AS VARCHAR) = s.eta AND CAST(b.RSA_NUM AS VARCHAR) = s.rsa
                  AND b.yr = s.yr
  UNION ALL
  SELECT s.pid, s.d, x.ASS_DGN FROM stays s
  JOIN raw_mco_D x ON CAST(x.ETA_NUM AS VARCHAR) = s.eta AND CAST(x.RSA_NUM AS VARCHAR) = s.rsa
                  AND x.yr = s.yr
  UNION ALL
  SELECT m.pid, i.IMB_ALD_DTD, i.MED_MTF_COD FROM IR_IMB_R i
  JOIN person m ON m.BEN_NIR_PSA = i.BEN_NIR_PSA AND m.BEN_RNG_GEM = i.BEN_RNG_GEM
  WHERE i.IMB_ETM_NAT IN (41, 43, 45)
)"""

# Per person entered: the index date and whether each criterion keeps them, in order.
HAND = {
    "t2d_metformin": f"""
WITH {HAND_COMMON}, metformin AS (
  SELECT DISTINCT pid, d FROM dispensed WHERE ATC = 'A10BA02'
), runs AS (
  SELECT pid, d, lag(d) OVER (PARTITION BY pid ORDER BY d) AS previous FROM metformin
), entry AS (  -- the second of two dispensations less than a year apart, in the period
  SELECT pid, min(d) AS idx FROM runs
  WHERE d BETWEEN DATE '2020-01-01' AND DATE '2022-12-31' AND d - previous <= 365
  GROUP BY pid
)
SELECT e.pid, e.idx,
  coalesce((year(e.idx) * 12 + month(e.idx)) - (b.y * 12 + b.m) >= 18 * 12, false) AS k1,
  coalesce(b.since <= e.idx - 365 AND (b.death IS NULL OR b.death >= e.idx), false) AS k2,
  NOT EXISTS (SELECT 1 FROM any_dx x WHERE x.pid = e.pid AND x.code LIKE 'E10%'
              AND x.d <= e.idx) AS k3,
  NOT EXISTS (SELECT 1 FROM dispensed x WHERE x.pid = e.pid AND x.ATC LIKE 'A10A%'
              AND x.d BETWEEN e.idx - 365 AND e.idx - 1) AS k4
FROM entry e LEFT JOIN ben b ON b.pid = e.pid
ORDER BY 1""",
    "first_hf_stay": f"""
WITH {HAND_COMMON}, hf AS (
  SELECT DISTINCT pid, d FROM main_dx WHERE code LIKE 'I50%'
), entry AS (
  SELECT pid, min(d) AS idx FROM hf WHERE d BETWEEN DATE '2020-01-01' AND DATE '2022-12-31'
  GROUP BY pid
)
SELECT e.pid, e.idx,
  coalesce((year(e.idx) * 12 + month(e.idx)) - (b.y * 12 + b.m) >= 40 * 12, false) AS k1,
  NOT EXISTS (SELECT 1 FROM hf WHERE hf.pid = e.pid AND hf.d BETWEEN e.idx - 365 AND e.idx - 1)
    AS k2
FROM entry e LEFT JOIN ben b ON b.pid = e.pid
ORDER BY 1""",
}


# Cohorts beside the docs' examples, with a hand-written query each (the targeting benchmark runs
# them too): a calendar-year criterion and a date of life.
INSULIN_2021 = """
name: insulin_2021
title: Treated diabetics with at least 3 insulin dispensings in 2021, alive a year after
period: {start: 2021-01-01, end: 2021-12-31}
codelists:
  antidiabetics: {system: ATC, codes: ["A10*"]}
  insulins: {system: ATC, codes: ["A10A*"]}
entry: {dispensed: antidiabetics}
require:
  - dispensed: insulins
    at_least: 3
    in_year: 2021
  - alive: 2022-12-31
"""
EXTRA = {"insulin_2021": (INSULIN_2021, f"""
WITH {HAND_COMMON}, entry AS (
  SELECT pid, min(d) AS idx FROM dispensed
  WHERE ATC LIKE 'A10%' AND d BETWEEN DATE '2021-01-01' AND DATE '2021-12-31' GROUP BY pid
), insulin_days AS (
  SELECT pid, count(DISTINCT d) AS n FROM dispensed
  WHERE ATC LIKE 'A10A%' AND d BETWEEN DATE '2021-01-01' AND DATE '2021-12-31' GROUP BY pid
)
SELECT e.pid, e.idx, coalesce(i.n >= 3, false) AS k1,
  b.death IS NULL OR b.death >= DATE '2022-12-31' AS k2
FROM entry e LEFT JOIN insulin_days i ON i.pid = e.pid LEFT JOIN ben b ON b.pid = e.pid
ORDER BY 1""")}


# The same people written by hand in Spark SQL, natively (the Spark side of the targeting
# benchmark): date arithmetic with datediff/date_sub, exclusions as anti joins.
SPARK_HAND = {
    "t2d_metformin": f"""
WITH {PORTABLE}, pmsi_people AS (
  SELECT BEN_NIR_PSA, min(BEN_NIR_ANO) AS pid FROM IR_BEN_R
  GROUP BY BEN_NIR_PSA HAVING count(DISTINCT BEN_NIR_ANO) = 1
), stays AS (
  SELECT m.pid, CAST(c.EXE_SOI_DTD AS DATE) AS d, c.yr,
         CAST(c.ETA_NUM AS STRING) AS eta, CAST(c.RSA_NUM AS STRING) AS rsa
  FROM raw_mco_C c JOIN pmsi_people m ON m.BEN_NIR_PSA = c.NIR_ANO_17
  WHERE NOT c.NIR_RET AND NOT c.SEX_RET AND NOT c.SEJ_RET AND NOT c.FHO_RET AND NOT c.PMS_RET
    AND c.NAI_RET = '0' AND c.DAT_RET = '0'
), t1d AS (
  SELECT s.pid, s.d FROM stays s
  JOIN raw_mco_B b ON CAST(b.ETA_NUM AS STRING) = s.eta AND CAST(b.RSA_NUM AS STRING) = s.rsa
                  AND b.yr = s.yr
  WHERE b.DGN_PAL LIKE 'E10%' OR b.DGN_REL LIKE 'E10%'
  UNION ALL
  SELECT s.pid, s.d FROM stays s
  JOIN raw_mco_D x ON x.ETA_NUM = s.eta AND x.RSA_NUM = s.rsa AND x.yr = s.yr
  WHERE x.ASS_DGN LIKE 'E10%'
  UNION ALL
  SELECT m.pid, i.IMB_ALD_DTD FROM IR_IMB_R i
  JOIN person m ON m.BEN_NIR_PSA = i.BEN_NIR_PSA AND m.BEN_RNG_GEM = i.BEN_RNG_GEM
  WHERE i.IMB_ETM_NAT IN (41, 43, 45) AND i.MED_MTF_COD LIKE 'E10%'
), runs AS (
  SELECT pid, d, lag(d) OVER (PARTITION BY pid ORDER BY d) AS previous
  FROM (SELECT DISTINCT pid, d FROM dispensed WHERE ATC = 'A10BA02') x
), entry AS (
  SELECT pid, min(d) AS idx FROM runs
  WHERE d BETWEEN DATE '2020-01-01' AND DATE '2022-12-31' AND datediff(d, previous) <= 365
  GROUP BY pid
)
SELECT e.pid, e.idx FROM entry e
JOIN ben b ON b.pid = e.pid
  AND (year(e.idx) * 12 + month(e.idx)) - (b.y * 12 + b.m) >= 18 * 12
  AND b.since <= date_sub(e.idx, 365) AND (b.death IS NULL OR b.death >= e.idx)
LEFT ANTI JOIN t1d ON t1d.pid = e.pid AND t1d.d <= e.idx
LEFT ANTI JOIN dispensed x ON x.pid = e.pid AND x.ATC LIKE 'A10A%'
  AND x.d BETWEEN date_sub(e.idx, 365) AND date_sub(e.idx, 1)
ORDER BY 1""",
    "insulin_2021": f"""
WITH {PORTABLE}, entry AS (
  SELECT pid, min(d) AS idx FROM dispensed
  WHERE ATC LIKE 'A10%' AND d BETWEEN DATE '2021-01-01' AND DATE '2021-12-31' GROUP BY pid
), insulin_days AS (
  SELECT pid FROM dispensed
  WHERE ATC LIKE 'A10A%' AND d BETWEEN DATE '2021-01-01' AND DATE '2021-12-31'
  GROUP BY pid HAVING count(DISTINCT d) >= 3
)
SELECT e.pid, e.idx FROM entry e
JOIN insulin_days i ON i.pid = e.pid
LEFT JOIN ben b ON b.pid = e.pid
WHERE b.death IS NULL OR b.death >= DATE '2022-12-31'
ORDER BY 1""",
}


def raw_views(engine) -> None:
    """The names the hand-written queries use, on an engine where the SNDS is attached."""
    for suffix in "BCD":
        engine.execute(f"CREATE OR REPLACE TEMP VIEW raw_mco_{suffix} AS "
                       f"SELECT *, PMSI_YEAR AS yr FROM MCO_{suffix}")
    engine.execute("CREATE OR REPLACE TEMP VIEW raw_drug AS SELECT * FROM DRUG")


def hand_people_duckdb(name: str) -> str:
    """The DuckDB hand-written query of a cohort, giving its people only."""
    query = examples()[name][1].strip().removesuffix("ORDER BY 1")
    return (f"SELECT pid, idx FROM ({query}) h WHERE "
            + " AND ".join(f"k{i}" for i in range(1, query.count(" AS k") + 1)) + " ORDER BY 1")


@pytest.mark.parametrize("name", sorted(SPARK_HAND))
def test_hand_written_spark_sql_gives_the_same_people(name, snds, spark_engine, duck, raw):
    from hygie.snds.views import attach_snds

    attach_snds(spark_engine, snds)
    raw_views(spark_engine)
    cohort = Cohort.from_yaml(examples()[name][0])
    people = _people(cohort.people(duck))
    spark = spark_engine.spark.sql(SPARK_HAND[name]).toArrow().to_pylist()
    assert [(r["pid"], r["idx"]) for r in spark] == people
    assert raw.execute(hand_people_duckdb(name)).fetchall() == people


def test_every_worked_example_has_a_hand_written_query():
    assert set(documented()) == set(HAND)


def examples() -> dict[str, tuple[str, str]]:
    """name -> (definition, hand-written query) of the docs' examples and the extra cohorts."""
    return {**{name: (documented()[name], HAND[name]) for name in HAND}, **EXTRA}


@pytest.mark.parametrize("name", sorted([*HAND, *EXTRA]))
def test_worked_example_matches_hand_written_sql_step_by_step(name, duck, raw):
    text, query = examples()[name]
    cohort = Cohort.from_yaml(text)
    hand = raw.execute(query).fetchall()
    criteria = len(cohort.criteria)
    expected_counts = [sum(all(r[2:2 + k]) for r in hand) for k in range(criteria + 1)]
    expected_people = [(r[0], r[1]) for r in hand if all(r[2:])]

    assert [n for _, n in cohort.attrition(duck)] == expected_counts
    people = cohort.people(duck)
    assert sorted((r["PERSON_KEY"], r["INDEX_DATE"]) for r in people.to_pylist()) == \
        expected_people
    # The last criterion removes some people; an exclusion does not remove everyone without an
    # event: the cohort keeps most of those who entered.
    assert expected_counts[-2] > expected_counts[-1] > 10
    if cohort.exclude:
        assert expected_counts[-1] > expected_counts[0] // 2


# --- an exclusion that matches nobody changes nothing ------------------------------------------

# Codes of each system that the generated data never hold (checked below).
ABSENT = {"CIM10": "U999", "ATC": "V09AX99", "CIP13": "3400939999994", "CCAM": "ZZZZ999",
          "NABM": "9998"}
ENTRIES = [
    "dispensed: metformin\n      at_least: 2\n      within: 365 days",
    "diagnosed: t2d",
    "hospitalised_for: hf",
    "lab: hba1c",
]
ABSENT_CRITERIA = {  # an exclusion of each kind, on a code list of absent codes
    "diagnosed": ("CIM10", "diagnosed: nobody"),
    "diagnosed_ald": ("CIM10", "diagnosed: nobody\n    in: [ald]"),
    "hospitalised_for": ("CIM10", "hospitalised_for: nobody"),
    "dispensed": ("ATC", "dispensed: nobody"),
    "dispensed_cip": ("CIP13", "dispensed: nobody"),
    "act": ("CCAM", "act: nobody"),
    "lab": ("NABM", "lab: nobody"),
    "died_of": ("CIM10", "died: nobody"),
}
WINDOWS = ["", "\n    window: [-365 days, -1 day]", "\n    window: [null, null]",
           "\n    window: [0 days, 730 days]"]
REQUIRES = ["", "require:\n  - age_at_index: {min: 40}\n",
            "require:\n  - sex: female\n  - continuous_coverage: true\n"]


def _definition(entry: str, require: str, exclude: str | None, system: str) -> str:
    text = f"""
name: prop
period: {{start: 2020-01-01, end: 2022-12-31}}
codelists:
  metformin: {{system: ATC, codes: [A10BA02]}}
  t2d: {{system: CIM10, codes: ["E11*"]}}
  hf: {{system: CIM10, codes: ["I50*"]}}
  hba1c: {{system: NABM, codes: ["1577"]}}
  nobody: {{system: {system}, codes: ["{ABSENT[system]}"]}}
entry:
  any_of:
    - {entry}
{require}"""
    return text + (f"exclude:\n  - {exclude}\n" if exclude else "")


def test_the_absent_codes_are_absent(raw):
    assert raw.execute("""
        SELECT (SELECT count(*) FROM any_codes WHERE code = 'U999')""".replace(
        "any_codes", "(SELECT DGN_PAL AS code FROM raw_mco_B UNION ALL SELECT DGN_REL FROM raw_mco_B"
        " UNION ALL SELECT ASS_DGN FROM raw_mco_D UNION ALL SELECT MED_MTF_COD FROM IR_IMB_R"
        " UNION ALL SELECT DCD_CIM_COD FROM KI_CCI_R)")).fetchone() == (0,)
    assert raw.execute("SELECT count(*) FROM ER_PHA_F WHERE PHA_PRS_C13 = ?",
                       [int(ABSENT["CIP13"])]).fetchone() == (0,)
    assert raw.execute("SELECT count(*) FROM raw_drug WHERE ATC = ?",
                       [ABSENT["ATC"]]).fetchone() == (0,)
    assert raw.execute("SELECT count(*) FROM ER_CAM_F WHERE CAM_PRS_IDE = ?",
                       [ABSENT["CCAM"]]).fetchone() == (0,)
    assert raw.execute("SELECT count(*) FROM raw_mco_A WHERE CDC_ACT = ?",
                       [ABSENT["CCAM"]]).fetchone() == (0,)
    assert raw.execute("SELECT count(*) FROM ER_BIO_F WHERE BIO_PRS_IDE = ?",
                       [int(ABSENT["NABM"])]).fetchone() == (0,)


def _people(table: pa.Table) -> list[tuple]:
    return [(r["PERSON_KEY"], r["INDEX_DATE"]) for r in table.to_pylist()]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entry=st.sampled_from(ENTRIES), require=st.sampled_from(REQUIRES),
       kind=st.sampled_from(sorted(ABSENT_CRITERIA)), window=st.sampled_from(WINDOWS),
       at_least=st.integers(1, 3))
def test_an_exclusion_matching_nobody_leaves_the_cohort_unchanged(duck, entry, require, kind,
                                                                  window, at_least):
    system, criterion = ABSENT_CRITERIA[kind]
    if kind == "died_of":
        at_least = 1  # a death has no count
    elif at_least > 1:
        criterion += f"\n    at_least: {at_least}"
    base = Cohort.from_yaml(_definition(entry, require, None, system))
    excluded = Cohort.from_yaml(_definition(entry, require, criterion + window, system))
    before = _people(base.people(duck))
    assert before, "the base cohort must not be empty for the property to say anything"
    assert _people(excluded.people(duck)) == before
    counts = [n for _, n in excluded.attrition(duck)]
    assert counts[-1] == counts[-2] == len(before)
