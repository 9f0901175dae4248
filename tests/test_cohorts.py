"""The targeting language: definitions, their errors, their SQL, their people on DuckDB and Spark,
checked against independent hand-written queries and the synthetic truth."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp
from typer.testing import CliRunner

from hygie.cli import app
from hygie.cohorts import Cohort, DefinitionError
from hygie.cohorts.events import Codes, events
from hygie.engine.engines import DuckDBEngine
from hygie.engine.lake import Dataset
from hygie.pseudo.keys import Secret
from hygie.pseudo.oppositions import OppositionRegister
from hygie.sdc import DEFAULT_PTABLE, Reason
from hygie.snds.views import attach_snds, drug_table, pmsi_years
from hygie.synth import knowledge as K

runner = CliRunner()
SECRET = Secret(bytes(range(7, 39)))
METFORMIN_CIP13 = K.cip13(K.DRUG_INDEX["metformin"])
NINE_KEYS = ("DCT_ORD_NUM", "FLX_DIS_DTD", "FLX_EMT_NUM", "FLX_EMT_ORD", "FLX_EMT_TYP",
             "FLX_TRT_DTD", "ORG_CLE_NUM", "PRS_ORD_NUM", "REM_TYP_AFF")

# --- the documented cohorts (docs/cohorts.md) ----------------------------------------------------

T2D_METFORMIN = """
name: t2d_metformin
title: Type 2 diabetes treated with metformin, adults
period: {start: 2020-01-01, end: 2022-12-31}
codelists:
  metformin: {system: ATC, codes: [A10BA02]}
entry:
  any_of:
    - dispensed: metformin
      at_least: 2
      within: 365 days
require:
  - age_at_index: {min: 18}
"""

FIRST_HF = """
name: first_hf_stay
title: First hospitalisation for heart failure
period: {start: 2020-01-01, end: 2022-12-31}
codelists:
  heart_failure: {system: CIM10, codes: ["I50*"]}
entry:
  any_of:
    - hospitalised_for: heart_failure
exclude:
  - hospitalised_for: heart_failure
    window: [-365 days, -1 day]
"""

# Every kind of criterion and source at once, each of them changing the count.
RICH = f"""
name: rich
title: "Everything: O'Brien's \\"cohort\\"; DROP TABLE IR_BEN_R; --"
description: a definition that uses every part of the language
period: {{start: 2020-01-01, end: 2022-12-31}}
codelists:
  t2d: {{system: CIM10, codes: ["E11*"]}}
  antidiabetics: {{system: ATC, codes: ["A10B*"]}}
  metformin_cip: {{system: CIP13, codes: ["{METFORMIN_CIP13}"]}}
  hba1c: {{system: NABM, codes: ["1577"]}}
  fundus: {{system: CCAM, codes: ["BGQP007"]}}
  cardiac_acts: {{system: CCAM, codes: ["DEQP*", "DZQM006"]}}
  hf: {{system: CIM10, codes: ["I50*"]}}
  cancer: {{system: CIM10, codes: ["C*"]}}
  insulins: {{system: ATC, codes: ["A10A*"]}}
entry:
  any_of:
    - dispensed: antidiabetics
      at_least: 3
      within: 365 days
    - diagnosed: t2d
    - lab: hba1c
      at_least: 2
      within: 180 days
require:
  - age_at_index: {{min: 40, max: 85}}
  - continuous_coverage: true
    window: [-365 days, 180 days]
  - act: fundus
    window: [-730 days, 365 days]
exclude:
  - dispensed: insulins
    window: [-365 days, -1 day]
  - diagnosed: hf
    in: [pmsi_associated, ald]
  - act: cardiac_acts
    in: [pmsi_act, dcir_act]
  - died: cancer
  - died: true
    window: [0 days, 730 days]
  - region: "11"
  - sex: female
  - dispensed: metformin_cip
    at_least: 8
    window: [-1000 days, 0 days]
"""


def rows(table: pa.Table) -> list[tuple[str, dt.date]]:
    return sorted((r["PERSON_KEY"], r["INDEX_DATE"]) for r in table.to_pylist())


# --- definitions and their errors ---------------------------------------------------------------

DESIGN_SKETCH = """
name: t2d_treated
title: Type 2 diabetes, treated, adults, 2021-2022
period: {start: 2021-01-01, end: 2022-12-31}
codelists:
  t2d:            {system: CIM10, codes: ["E11*"]}
  antidiabetics:  {system: ATC, codes: ["A10B*"]}
  insulins:       {system: ATC, codes: ["A10A*"]}
entry:                      # index date = first qualifying event in the period
  any_of:
    - dispensed: antidiabetics
      at_least: 3
      within: 365 days
    - diagnosed: t2d
      in: [pmsi_main, pmsi_related, pmsi_associated, ald]
require:
  - age_at_index: {min: 18}
exclude:
  - dispensed: insulins
    window: [-365 days, -1 day]
"""


def test_the_design_sketch_reads_as_written():
    cohort = Cohort.from_yaml(DESIGN_SKETCH)
    assert cohort.period.start == dt.date(2021, 1, 1)
    assert cohort.codelists["t2d"].prefixes == ("E11",)
    first = cohort.entry.any_of[0]
    assert (first.kind, first.at_least, first.within) == ("dispensed", 3, 365)
    assert cohort.exclude[0].window == (-365, -1)
    assert cohort.compile().steps == [
        "entry: dispensed antidiabetics (at least 3 within 365 days) or diagnosed t2d, "
        "first in 2021-01-01..2022-12-31",
        "require: age at index 18+",
        "exclude: dispensed insulins in [-365 days, -1 day]",
    ]


def test_json_and_files(tmp_path: Path):
    data = Cohort.from_yaml(T2D_METFORMIN).model_dump(mode="json", by_alias=True)
    (tmp_path / "c.json").write_text(json.dumps(data))
    (tmp_path / "c.yaml").write_text(T2D_METFORMIN)
    assert Cohort.from_json(tmp_path / "c.json") == Cohort.from_yaml(T2D_METFORMIN)
    assert Cohort.load(tmp_path / "c.yaml") == Cohort.load(str(tmp_path / "c.json"))
    with pytest.raises(DefinitionError, match="cannot read"):
        Cohort.from_yaml(tmp_path / "absent.yaml")


def test_codes_are_normalised_and_read_from_csv(tmp_path: Path):
    (tmp_path / "hf.csv").write_text("label;icd\nheart failure;I50.0\nall;I50*\n\n")
    text = """
name: c
period: {start: 2020-01-01, end: 2020-12-31}
codelists:
  hf: {system: cim10, from_csv: hf.csv, column: icd, codes: ["I11.0"]}
  labs: {system: NABM, codes: [0552, 552, 1577]}
  cips: {system: CIP13, codes: [3400930000014]}
entry: {diagnosed: hf}
"""
    (tmp_path / "c.yaml").write_text(text)
    cohort = Cohort.from_yaml(tmp_path / "c.yaml")
    assert cohort.codelists["hf"].system == "CIM10"
    assert cohort.codelists["hf"].codes == ["I110", "I500", "I50*"]
    assert cohort.codelists["labs"].codes == ["0552", "1577"]  # YAML 0552 is not octal 362
    assert cohort.codelists["cips"].exact == ("3400930000014",)
    assert len(cohort.entry.any_of) == 1  # a single criterion is a one-item any_of


def _variant(base: str, old: str, new: str) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


BAD = [
    (T2D_METFORMIN, "system: ATC", "system: ICD10", "codelists.metformin.system",
     "unknown code system 'ICD10'; valid systems: CIM10, ATC, CIP13, CCAM, NABM"),
    (FIRST_HF, '["I50*"]', """["I50*", "E11'; DROP TABLE IR_BEN_R; --"]""",
     "codelists.heart_failure.codes[1]", "is not a CIM10 code"),
    (T2D_METFORMIN, "[A10BA02]", "[A10B]", "codelists.metformin.codes[0]",
     "ATC codes name a substance (7 characters); for a class, add a star"),
    (T2D_METFORMIN, "[A10BA02]", "[]", "codelists.metformin.codes", "empty code list"),
    (T2D_METFORMIN, "    - dispensed: metformin", "    - dispensed: metformine",
     "entry.any_of[0].dispensed", "unknown codelist 'metformine' (defined: metformin)"),
    (FIRST_HF, "    - hospitalised_for: heart_failure\nexclude",
     "    - dispensed: heart_failure\nexclude", "entry.any_of[0].dispensed",
     "codelist 'heart_failure' is CIM10; dispensed needs ATC or CIP13"),
    (FIRST_HF, "[-365 days, -1 day]", "[-1 day, -365 days]", "exclude[0].window",
     "start after end (-1 day > -365 days)"),
    (FIRST_HF, "[-365 days, -1 day]", "[-1 year, 0 days]", "exclude[0].window",
     "months and years have no fixed length"),
    (FIRST_HF, "[-365 days, -1 day]", "-365 days", "exclude[0].window",
     "a window is [start, end]"),
    (T2D_METFORMIN, "at_least: 2", "at_least: 0", "entry.any_of[0].at_least",
     "must be at least 1"),
    (T2D_METFORMIN, "{min: 18}", "{min: 18, max: 200}", "require[0].age_at_index.max",
     "must be at most 130"),
    (T2D_METFORMIN, "at_least: 2", "at_least: 1", "entry.any_of[0].within",
     "within needs at_least of 2 or more"),
    (T2D_METFORMIN, "end: 2022-12-31", "end: 2019-12-31", "period.end",
     "the period ends (2019-12-31) before it starts (2020-01-01)"),
    (T2D_METFORMIN, "within: 365 days", "within: 365 days\n      window: [-1 day, 0 days]",
     "entry.any_of[0].window", "a window belongs to require and exclude criteria"),
    (FIRST_HF, "window: [-365 days, -1 day]",
     "window: [-365 days, -1 day]\n    at_least: 2\n    within: 30 days",
     "exclude[0].within", "within applies to entry criteria"),
    (FIRST_HF, "window: [", "windw: [", "exclude[0].windw", "did you mean 'window'?"),
    (T2D_METFORMIN, "  - age_at_index: {min: 18}", "  - age_at_index: {min: 18}\n    sex: male",
     "require[0]", "a criterion names exactly one of diagnosed, hospitalised_for"),
    (T2D_METFORMIN, "{min: 18}", "{min: 65, max: 18}", "require[0].age_at_index.max",
     "max (18) is below min (65)"),
    (T2D_METFORMIN, "  - age_at_index: {min: 18}", "  - sex: woman", "require[0].sex",
     "'woman' is not allowed; expected 'male' or 'female'"),
    (T2D_METFORMIN, "  - age_at_index: {min: 18}", "  - region: '99'", "require[0].region",
     "'99' is not a region code; valid regions: 0 (DOM TOM), 1 (GUADELOUPE)"),
    (T2D_METFORMIN, "  - age_at_index: {min: 18}", "  - department: [75, '2C']",
     "require[0].department", "'2C' is not a French department code"),
    (T2D_METFORMIN, "  - age_at_index: {min: 18}",
     "  - continuous_coverage: true\n    window: [null, 0 days]",
     "require[0].window", "a coverage window needs both bounds"),
    (T2D_METFORMIN, "    - dispensed: metformin", "    - age_at_index: {min: 3}",
     "entry.any_of[0]", "an entry criterion is an event"),
    (FIRST_HF, "    - hospitalised_for: heart_failure\nexclude",
     "    - diagnosed: heart_failure\n      in: [pmsi_main, dcir]\nexclude",
     "entry.any_of[0].in[1]", "'dcir' is not allowed; expected 'pmsi_main', 'pmsi_related'"),
    (T2D_METFORMIN, "name: t2d_metformin", "name: t2d metformin", "name",
     "use letters, digits and _"),
    (T2D_METFORMIN, "period: {start: 2020-01-01, end: 2022-12-31}\n", "", "period", "required"),
    (T2D_METFORMIN, "{system: ATC, codes: [A10BA02]}",
     "{system: ATC, from_csv: missing.csv}", "codelists.metformin.from_csv",
     "no such file: missing.csv"),
]


@pytest.mark.parametrize(("base", "old", "new", "place", "message"), BAD,
                         ids=[b[3] + ":" + b[4][:24] for b in BAD])
def test_bad_definitions_name_the_place(base, old, new, place, message):
    with pytest.raises(DefinitionError) as info:
        Cohort.from_yaml(_variant(base, old, new))
    problems = dict(info.value.problems)
    assert place in problems, info.value.problems
    assert message in problems[place]
    assert f"{place}: " in str(info.value)


def test_bad_code_in_a_csv_names_file_row_and_column(tmp_path: Path):
    (tmp_path / "hf.csv").write_text("code\nI500\nI5O9\n")
    text = _variant(FIRST_HF, '{system: CIM10, codes: ["I50*"]}',
                    "{system: CIM10, from_csv: hf.csv}")
    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(DefinitionError) as info:
        Cohort.from_yaml(tmp_path / "c.yaml")
    assert info.value.problems == [(
        "codelists.heart_failure.from_csv",
        "hf.csv, row 3, column 'code': 'I5O9' is not a CIM10 code (e.g. E119, or E11*)")]


def test_code_list_files_stay_in_the_definitions_folder(tmp_path: Path):
    (tmp_path / "secret.csv").write_text("code\nroot:x:0:0:root:/root:/bin/bash\n")
    (tmp_path / "defs").mkdir()
    for path in ("../secret.csv", str(tmp_path / "secret.csv")):
        text = _variant(FIRST_HF, '{system: CIM10, codes: ["I50*"]}',
                        f"{{system: CIM10, from_csv: '{path}'}}")
        (tmp_path / "defs" / "c.yaml").write_text(text)
        with pytest.raises(DefinitionError) as info:
            Cohort.from_yaml(tmp_path / "defs" / "c.yaml")
        assert "must be in the definition's folder" in str(info.value)
        assert "root" not in str(info.value).replace(str(tmp_path), "")


def test_yaml_syntax_errors_give_line_and_column():
    with pytest.raises(DefinitionError) as info:
        Cohort.from_yaml("name: x\nperiod: {start: 2020-01-01\nentry: [")
    assert info.value.problems[0][0].startswith("line ")
    with pytest.raises(DefinitionError, match="expected a mapping"):
        Cohort.from_yaml("- a\n- b\n")


# --- the SQL ------------------------------------------------------------------------------------

FIXED_LITERALS = {"0", "CIM10", "ATC", "CIP13", "CCAM", "NABM", "pmsi_main", "pmsi_related",
                  "pmsi_associated", "ald", "death_cause", "dcir_pharmacy", "dcir_act",
                  "pmsi_act", "dcir_lab", "1900-01-01"}


def _allowed_literals(cohort: Cohort) -> set[str]:
    codes = {c for cl in cohort.codelists.values() for c in (*cl.exact, *cl.prefixes)}
    days = cohort.period.start - dt.timedelta(days=1500)
    dates = {(days + dt.timedelta(days=i)).isoformat() for i in range(4000)}
    from hygie.cohorts.codes import departments_by_region

    depts = {d for ds in departments_by_region().values() for d in ds}
    drugs = set(drug_table()["ATC"].to_pylist())  # ATC of the presentations an ATC list names
    return FIXED_LITERALS | codes | dates | depts | drugs


@pytest.mark.parametrize("text", [T2D_METFORMIN, FIRST_HF, RICH, DESIGN_SKETCH])
def test_only_codes_dates_and_numbers_reach_the_sql(text):
    cohort = Cohort.from_yaml(text)
    compiled = cohort.compile()
    allowed = _allowed_literals(cohort)
    for query in (compiled.people, compiled.attrition):
        strings = {lit.this for lit in query.find_all(exp.Literal) if lit.is_string}
        assert strings <= allowed, strings - allowed
        for engine in ("duckdb", "spark"):
            sql = cohort.sql(engine) + cohort.sql(engine, attrition=True)
            for text_field in (cohort.title, cohort.description, *cohort.codelists):
                if text_field:
                    assert text_field not in sql


@settings(max_examples=40, deadline=None)
@given(title=st.text(min_size=1, max_size=60),
       suffix=st.from_regex(r"[A-Za-z0-9_]{1,20}", fullmatch=True))
def test_free_text_never_reaches_the_sql(title, suffix):
    name = f"list_{suffix}"
    data = Cohort.from_yaml(T2D_METFORMIN).model_dump(mode="json", by_alias=True)
    data["title"] = title
    data["codelists"] = {name: data["codelists"]["metformin"]}
    data["entry"]["any_of"][0]["dispensed"] = name
    cohort = Cohort.from_dict(data)
    sql = cohort.sql("duckdb", pretty=False)
    strings = {lit.this for lit in cohort.compile().people.find_all(exp.Literal) if lit.is_string}
    assert strings <= _allowed_literals(cohort)
    assert f"'{title}'" not in sql and name not in sql


def test_only_the_sources_a_definition_needs_are_read():
    ald_only = Cohort.from_yaml("""
name: ald_diabetes
period: {start: 2020-01-01, end: 2022-12-31}
codelists: {diabetes: {system: CIM10, codes: ["E10*", "E11*"]}}
entry: {diagnosed: diabetes, in: [ald]}
""")
    compiled = ald_only.compile()
    assert compiled.tables == {"IR_IMB_R", "IR_BEN_R"}
    sql = ald_only.sql()
    assert "IR_IMB_R" in sql and "IMB_ETM_NAT IN (41, 43, 45)" in sql
    for other in ("ER_PRS_F", "ER_PHA_F", "MCO_", "KI_CCI_R", "DRUG", "UNION"):
        assert other not in sql
    assert Cohort.from_yaml(FIRST_HF).compile().tables == {"T_MCOaaB", "T_MCOaaC", "IR_BEN_R"}
    # A code list used twice (entry and exclusion) is read once.
    assert Cohort.from_yaml(FIRST_HF).sql().count("FROM MCO_B") == 1


# --- against hand-written queries and the truth -------------------------------------------------

HAND_METFORMIN = f"""
WITH dispensed AS (  -- netted dispensations of metformin, information-only lines dropped
  SELECT b.BEN_NIR_ANO AS pid, p.EXE_SOI_DTD AS d
  FROM ER_PHA_F h
  JOIN ER_PRS_F p ON {' AND '.join(f'h.{k} = p.{k}' for k in NINE_KEYS)}
  JOIN (SELECT DISTINCT BEN_NIR_PSA, BEN_RNG_GEM, BEN_NIR_ANO FROM IR_BEN_R) b
    ON b.BEN_NIR_PSA = p.BEN_NIR_PSA AND b.BEN_RNG_GEM = p.BEN_RNG_GEM
  WHERE h.PHA_PRS_C13 = {METFORMIN_CIP13} AND p.DPN_QLF <> 71 AND p.PRS_DPN_QLP <> 71
  GROUP BY b.BEN_NIR_ANO, p.EXE_SOI_DTD, h.PHA_PRS_C13
  HAVING sum(h.PHA_ACT_QSN) > 0
), runs AS (
  SELECT pid, d, lag(d) OVER (PARTITION BY pid ORDER BY d) AS previous
  FROM (SELECT DISTINCT pid, d FROM dispensed)
), first_second AS (  -- the second of two dispensations less than a year apart
  SELECT pid, min(d) AS idx FROM runs
  WHERE d BETWEEN DATE '2020-01-01' AND DATE '2022-12-31' AND d - previous <= 365
  GROUP BY pid
), born AS (
  SELECT BEN_NIR_ANO AS pid, min(BEN_NAI_ANN) AS y, min(CAST(BEN_NAI_MOI AS INT)) AS m
  FROM IR_BEN_R GROUP BY BEN_NIR_ANO
)
SELECT f.pid, f.idx FROM first_second f JOIN born USING (pid)
WHERE (year(f.idx) * 12 + month(f.idx)) - (born.y * 12 + born.m) >= 18 * 12
ORDER BY 1
"""

# The same query written by hand in Spark SQL (the Spark side of the targeting benchmark).
HAND_METFORMIN_SPARK = f"""
WITH dispensed AS (
  SELECT b.BEN_NIR_ANO AS pid, p.EXE_SOI_DTD AS d
  FROM ER_PHA_F h
  JOIN ER_PRS_F p ON {' AND '.join(f'h.{k} = p.{k}' for k in NINE_KEYS)}
  JOIN (SELECT DISTINCT BEN_NIR_PSA, BEN_RNG_GEM, BEN_NIR_ANO FROM IR_BEN_R) b
    ON b.BEN_NIR_PSA = p.BEN_NIR_PSA AND b.BEN_RNG_GEM = p.BEN_RNG_GEM
  WHERE h.PHA_PRS_C13 = {METFORMIN_CIP13} AND p.DPN_QLF <> 71 AND p.PRS_DPN_QLP <> 71
  GROUP BY b.BEN_NIR_ANO, p.EXE_SOI_DTD, h.PHA_PRS_C13
  HAVING sum(h.PHA_ACT_QSN) > 0
), runs AS (
  SELECT pid, d, lag(d) OVER (PARTITION BY pid ORDER BY d) AS previous
  FROM (SELECT DISTINCT pid, d FROM dispensed) x
), first_second AS (
  SELECT pid, min(d) AS idx FROM runs
  WHERE d BETWEEN DATE'2020-01-01' AND DATE'2022-12-31' AND datediff(d, previous) <= 365
  GROUP BY pid
), born AS (
  SELECT BEN_NIR_ANO AS pid, min(BEN_NAI_ANN) AS y, min(CAST(BEN_NAI_MOI AS INT)) AS m
  FROM IR_BEN_R GROUP BY BEN_NIR_ANO
)
SELECT f.pid, f.idx FROM first_second f JOIN born ON born.pid = f.pid
WHERE (year(f.idx) * 12 + month(f.idx)) - (born.y * 12 + born.m) >= 18 * 12
ORDER BY 1
"""

HAND_FIRST_HF = """
WITH pmsi_people AS (  -- pseudo-NIRs of one person only (twins share theirs)
  SELECT BEN_NIR_PSA, min(BEN_NIR_ANO) AS pid FROM IR_BEN_R
  GROUP BY BEN_NIR_PSA HAVING count(DISTINCT BEN_NIR_ANO) = 1
), hf AS (
  SELECT m.pid, CAST(c.EXE_SOI_DTD AS DATE) AS d
  FROM raw_mco_B b
  JOIN raw_mco_C c ON c.ETA_NUM = b.ETA_NUM AND c.RSA_NUM = b.RSA_NUM AND c.yr = b.yr
  JOIN pmsi_people m ON m.BEN_NIR_PSA = c.NIR_ANO_17
  WHERE b.DGN_PAL LIKE 'I50%' AND NOT c.NIR_RET AND NOT c.SEX_RET AND NOT c.SEJ_RET
    AND NOT c.FHO_RET AND NOT c.PMS_RET AND c.NAI_RET = '0' AND c.DAT_RET = '0'
), first_stay AS (
  SELECT pid, min(d) AS idx FROM hf WHERE d BETWEEN DATE '2020-01-01' AND DATE '2022-12-31'
  GROUP BY pid
)
SELECT f.pid, f.idx FROM first_stay f
WHERE NOT EXISTS (SELECT 1 FROM hf WHERE hf.pid = f.pid AND hf.d BETWEEN f.idx - 365 AND f.idx - 1)
ORDER BY 1
"""


def _truth_share(raw, people: pa.Table, condition: str) -> tuple[float, list[tuple]]:
    raw.register("cohort_people", people)
    found = raw.execute("""
        SELECT c.PERSON_KEY, p.sex, date_diff('year', p.birth_date, c.INDEX_DATE) AS age,
               t.person_id IS NOT NULL AS truly
        FROM cohort_people c JOIN truth_person p ON p.ben_nir_ano = c.PERSON_KEY
        LEFT JOIN (SELECT person_id FROM truth_condition WHERE condition = ?) t
          ON t.person_id = p.person_id""", [condition]).fetchall()
    raw.unregister("cohort_people")
    assert len(found) == people.num_rows
    return sum(r[3] for r in found) / len(found), [r for r in found if not r[3]]


def test_t2d_metformin_matches_a_hand_written_query_and_the_truth(duck, raw):
    cohort = Cohort.from_yaml(T2D_METFORMIN)
    people = cohort.people(duck)
    expected = raw.execute(HAND_METFORMIN).fetchall()
    assert len(expected) > 50
    assert rows(people) == expected
    ppv, false_positives = _truth_share(raw, people, "t2d")
    assert 0.9 < ppv < 1
    # The others take metformin off label (polycystic ovary syndrome): women of 18-45.
    assert all(sex == 2 and 17 <= age <= 47 for _, sex, age, _ in false_positives)


def test_first_heart_failure_stay_matches_a_hand_written_query_and_the_truth(duck, raw):
    cohort = Cohort.from_yaml(FIRST_HF)
    people = cohort.people(duck)
    expected = raw.execute(HAND_FIRST_HF).fetchall()
    assert len(expected) > 10
    assert rows(people) == expected
    ppv, _ = _truth_share(raw, people, "heart_failure")
    assert ppv == 1.0
    # The exclusion matters: some people had an earlier stay, before the period.
    counts = [n for _, n in cohort.attrition(duck)]
    assert counts[0] > counts[1] == len(expected)


@pytest.mark.parametrize("text", [T2D_METFORMIN, FIRST_HF, RICH])
def test_attrition_is_monotone_and_ends_with_the_people(duck, text):
    cohort = Cohort.from_yaml(text)
    steps = cohort.attrition(duck)
    counts = [n for _, n in steps]
    assert len(steps) == 1 + len(cohort.require) + len(cohort.exclude)
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    assert counts[-1] == cohort.people(duck).num_rows == cohort.count(duck)


def test_every_criterion_of_the_rich_definition_bites(duck):
    """Each criterion, alone on the entry, keeps fewer people than the entry: none is inert.
    (One at a time: in sequence, the last ones act on a few dozen people of a small sample.)"""
    cohort = Cohort.from_yaml(RICH)
    entered = cohort.model_copy(update={"require": [], "exclude": []}).count(duck)
    kept = {}
    for kind in ("require", "exclude"):
        for criterion in getattr(cohort, kind):
            alone = cohort.model_copy(update={"require": [], "exclude": [], kind: [criterion]})
            kept[f"{kind}: {criterion}"] = alone.count(duck)
    assert entered > 0 and all(n < entered for n in kept.values()), (entered, kept)
    steps = cohort.attrition(duck)
    assert [n for _, n in steps] == sorted((n for _, n in steps), reverse=True)


def test_demographic_and_death_criteria_agree_with_the_truth(duck, raw):
    cohort = Cohort.from_yaml(_variant(RICH, "  - sex: female\n", "")).model_copy()
    people = cohort.people(duck)
    raw.register("cohort_people", people)
    bad = raw.execute("""
        SELECT count(*) FROM cohort_people c JOIN truth_person p ON p.ben_nir_ano = c.PERSON_KEY
        WHERE date_diff('month', date_trunc('month', p.birth_date), c.INDEX_DATE) NOT BETWEEN 480 AND 1031
           OR p.department IN ('075', '077', '078', '091', '092', '093', '094', '095')
           OR (p.death_date IS NOT NULL AND p.death_date BETWEEN c.INDEX_DATE AND c.INDEX_DATE + 730)
    """).fetchall()
    raw.unregister("cohort_people")
    assert bad == [(0,)]


def test_continuous_coverage_matches_a_hand_written_query(duck, raw):
    """Registered (BEN_DTE_INS) since the start of the window and not dead before its end."""
    text = """
name: antibiotics
period: {start: 2019-01-01, end: 2022-12-31}
codelists: {amoxicillin: {system: ATC, codes: [J01CA04]}}
entry: {dispensed: amoxicillin}
"""
    entered = Cohort.from_yaml(text).people(duck)
    covered = Cohort.from_yaml(text + "require:\n  - continuous_coverage: true\n"
                               "    window: [-4800 days, 365 days]\n").people(duck)
    raw.register("entered", entered)
    expected = raw.execute("""
        SELECT e.PERSON_KEY, e.INDEX_DATE FROM entered e
        JOIN (SELECT BEN_NIR_ANO, min(BEN_DTE_INS) AS since, min(BEN_DCD_DTE) AS death
              FROM IR_BEN_R GROUP BY 1) b ON b.BEN_NIR_ANO = e.PERSON_KEY
        WHERE b.since <= e.INDEX_DATE - 4800 AND (b.death IS NULL OR b.death >= e.INDEX_DATE + 365)
        ORDER BY 1""").fetchall()
    raw.unregister("entered")
    assert 0 < len(expected) < entered.num_rows
    assert rows(covered) == expected


def _count(engine, query: exp.Expression) -> int:
    return int(engine.scalar(exp.select(exp.func("COUNT", exp.Star())).from_(
        exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("q"))))))


def test_quality_filters_net_corrections_and_drop_information_lines(duck, raw):
    lines = raw.execute(f"""
        SELECT count(*) FILTER (WHERE h.PHA_ACT_QSN < 0), count(*)
        FROM ER_PHA_F h JOIN ER_PRS_F p ON {' AND '.join(f'h.{k} = p.{k}' for k in NINE_KEYS)}
    """).fetchall()[0]
    assert lines[0] > 0  # the sample has corrections to net
    on = _count(duck, events(["dcir_pharmacy"], system="CIP13"))
    off = _count(duck, events(["dcir_pharmacy"], system="CIP13", quality_filters=False))
    assert off == lines[1]
    netted = raw.execute(f"""
        SELECT count(*) FROM (
          SELECT p.BEN_NIR_PSA, p.BEN_RNG_GEM, p.EXE_SOI_DTD, h.PHA_PRS_C13
          FROM ER_PHA_F h JOIN ER_PRS_F p ON {' AND '.join(f'h.{k} = p.{k}' for k in NINE_KEYS)}
          WHERE p.DPN_QLF <> 71 AND p.PRS_DPN_QLP <> 71
          GROUP BY ALL HAVING sum(h.PHA_ACT_QSN) > 0)""").fetchall()[0][0]
    assert on == netted < off
    # Information-only lines (lab, acts, visits) are dropped.
    acts_on = _count(duck, events(["dcir_act"]))
    acts_off = _count(duck, events(["dcir_act"], quality_filters=False))
    info = raw.execute(f"""
        SELECT count(*) FROM ER_CAM_F h
        JOIN ER_PRS_F p ON {' AND '.join(f'h.{k} = p.{k}' for k in NINE_KEYS)}
        WHERE p.DPN_QLF = 71""").fetchall()[0][0]
    assert info > 0 and acts_off - acts_on >= info
    # PMSI: stays with a failed linkage flag are left out unless the filters are off.
    stays_on = _count(duck, events(["pmsi_main"]))
    stays_off = _count(duck, events(["pmsi_main"], quality_filters=False))
    flagged = raw.execute("""
        SELECT count(*) FROM raw_mco_C c
        WHERE c.NIR_ANO_17 IN (SELECT BEN_NIR_PSA FROM IR_BEN_R GROUP BY 1
                               HAVING count(DISTINCT BEN_NIR_ANO) = 1)
          AND (c.NIR_RET OR c.SEX_RET OR c.SEJ_RET OR c.FHO_RET OR c.PMS_RET
               OR c.NAI_RET <> '0' OR c.DAT_RET <> '0')""").fetchall()[0][0]
    assert flagged > 0 and stays_off - stays_on == flagged
    off_cohort = Cohort.from_yaml(T2D_METFORMIN + "quality_filters: false\n")
    assert "DPN_QLF" not in off_cohort.sql() and "DPN_QLF" in Cohort.from_yaml(T2D_METFORMIN).sql()


def test_codes_match_exactly_or_by_prefix(duck):
    def people(codes: str) -> int:
        return Cohort.from_yaml(_variant(FIRST_HF, '["I50*"]', codes)).count(duck)

    i500, i509, i50 = people('["I500"]'), people('["I509"]'), people('["I50*"]')
    assert 0 < i500 < i50 and 0 < i509 < i50
    assert people('["I500", "I501", "I509"]') == i50
    assert people('["I5*"]') >= i50
    assert people('["I50"]') == 0  # exact: no stay is coded I50 without a fourth character
    assert events(["dcir_lab"], Codes("NABM", prefixes=("15",))).sql().count("LPAD") == 2


def test_twins_pmsi_stays_are_not_attributed(snds: Dataset):
    """A stay under a pseudo-NIR shared by twins belongs to nobody; the same stay under a
    person's own pseudo-NIR makes them enter."""
    engine = DuckDBEngine()
    try:
        attach_snds(engine, snds)
        twin_psa = engine.scalar("SELECT BEN_NIR_PSA FROM IR_BEN_R GROUP BY 1 "
                                 "HAVING count(DISTINCT BEN_NIR_ANO) > 1 ORDER BY 1 LIMIT 1")
        twins = {r[0] for r in engine.con.execute(
            "SELECT DISTINCT BEN_NIR_ANO FROM IR_BEN_R WHERE BEN_NIR_PSA = ?",
            [twin_psa]).fetchall()}
        cohort = Cohort.from_yaml(FIRST_HF)
        before = {r["PERSON_KEY"] for r in cohort.people(engine).to_pylist()}
        control_psa, control = engine.con.execute(
            "SELECT BEN_NIR_PSA, min(BEN_NIR_ANO) FROM IR_BEN_R GROUP BY 1 "
            "HAVING count(DISTINCT BEN_NIR_ANO) = 1 ORDER BY 1 LIMIT 1").fetchall()[0]
        assert twins and len(twins) == 2 and not (twins | {control}) & before
        # Two new heart failure stays: one under the twins' pseudo-NIR, one under the control's.
        c = engine.arrow("SELECT * FROM MCO_C WHERE NOT NIR_RET AND NOT SEX_RET AND NOT SEJ_RET "
                         "AND NOT FHO_RET AND NOT PMS_RET AND NAI_RET = '0' AND DAT_RET = '0' "
                         "ORDER BY ETA_NUM, RSA_NUM LIMIT 1")
        b = engine.con.sql("SELECT * FROM MCO_B WHERE ETA_NUM = $1 AND RSA_NUM = $2 AND "
                           "PMSI_YEAR = $3", params=[c["ETA_NUM"][0].as_py(),
                                                     c["RSA_NUM"][0].as_py(),
                                                     c["PMSI_YEAR"][0].as_py()]).to_arrow_table()
        new_c = pa.concat_tables([c, c])
        new_c = new_c.set_column(new_c.schema.get_field_index("NIR_ANO_17"), "NIR_ANO_17",
                                 pa.array([twin_psa, control_psa], c.schema.field("NIR_ANO_17").type))
        rsa = pa.array([990000001, 990000002], c.schema.field("RSA_NUM").type)
        new_c = new_c.set_column(new_c.schema.get_field_index("RSA_NUM"), "RSA_NUM", rsa)
        day = pa.array([dt.datetime(2021, 6, 1)] * 2, c.schema.field("EXE_SOI_DTD").type)
        new_c = new_c.set_column(new_c.schema.get_field_index("EXE_SOI_DTD"), "EXE_SOI_DTD", day)
        new_b = pa.concat_tables([b, b])
        new_b = new_b.set_column(new_b.schema.get_field_index("RSA_NUM"), "RSA_NUM", rsa)
        new_b = new_b.set_column(new_b.schema.get_field_index("DGN_PAL"), "DGN_PAL",
                                 pa.array(["I500", "I500"], b.schema.field("DGN_PAL").type))
        for suffix, extra in (("B", new_b), ("C", new_c)):
            engine.register_arrow(f"EXTRA_{suffix}", extra)
            union = " UNION ALL ".join(f'SELECT *, {y} AS PMSI_YEAR FROM "{t}"'
                                       for y, t in pmsi_years(snds, suffix).items())
            engine.execute(f"CREATE OR REPLACE TEMP VIEW MCO_{suffix} AS {union} "
                           f"UNION ALL SELECT * FROM EXTRA_{suffix}")
        after = {r["PERSON_KEY"] for r in cohort.people(engine).to_pylist()}
        assert after == before | {control}
    finally:
        engine.close()


# --- DuckDB and Spark ---------------------------------------------------------------------------


def test_same_people_and_counts_on_duckdb_and_spark(snds, duck, spark_engine):
    attach_snds(spark_engine, snds)
    for text in (T2D_METFORMIN, FIRST_HF, RICH):
        cohort = Cohort.from_yaml(text)
        on_duckdb = rows(cohort.people(duck))
        assert on_duckdb
        assert rows(cohort.people(spark_engine)) == on_duckdb
    hf = Cohort.from_yaml(FIRST_HF)
    assert hf.attrition(spark_engine) == hf.attrition(duck)
    # The benchmark's hand-written Spark SQL finds the same people.
    native = spark_engine.spark.sql(HAND_METFORMIN_SPARK).toArrow().rename_columns(
        ["PERSON_KEY", "INDEX_DATE"])
    assert rows(native) == rows(Cohort.from_yaml(T2D_METFORMIN).people(duck))


# --- the command line and the Python API --------------------------------------------------------


def test_feasibility_counts_are_perturbed_rounded_and_hide_small_ones(snds, duck):
    hf = Cohort.from_yaml(FIRST_HF)
    raw = hf.attrition(duck)
    released = hf.feasibility(snds, SECRET)
    assert [label for label, _ in released] == [label for label, _ in raw]
    for (_, n), (_, r) in zip(raw, released, strict=True):
        if n < 11:
            assert r.hidden
        elif not r.hidden:
            assert r.reason is Reason.PERTURBED and r.value % 5 == 0 and r.value >= 11
            assert abs(r.value - n) <= DEFAULT_PTABLE.max_noise + 2
    assert hf.feasibility(duck, SECRET) == released  # the same people, the same answer
    # The noise depends on the secret, not only on the count.
    others = [hf.feasibility(duck, Secret(bytes([k]) * 32)) for k in range(1, 9)]
    assert any(o != released for o in others)


def test_feasibility_counts_leave_objectors_out(snds, duck, spark_engine, tmp_path: Path):
    hf = Cohort.from_yaml(T2D_METFORMIN)
    entered = duck.arrow(hf.compile().keeps).column("PERSON_KEY").to_pylist()
    register = OppositionRegister(tmp_path / "register.parquet")
    register.register(SECRET, entered[10:])  # everyone but 10 objects: nothing may be shown
    assert all(r.hidden for _, r in hf.feasibility(duck, SECRET, register))
    half = OppositionRegister(tmp_path / "half.parquet")
    half.register(SECRET, entered[: len(entered) // 2])
    on_duckdb = hf.feasibility(duck, SECRET, half)
    assert len(entered) > 60
    first = on_duckdb[0][1].value
    assert first is not None and abs(first - (len(entered) - len(entered) // 2)) <= 7
    attach_snds(spark_engine, snds)
    assert hf.feasibility(spark_engine, SECRET, half) == on_duckdb


def test_cli_sql_and_count(tmp_path: Path, snds: Dataset):
    definition = tmp_path / "hf.yaml"
    definition.write_text(FIRST_HF)
    for engine in ("duckdb", "spark"):
        result = runner.invoke(app, ["cohort", "sql", str(definition), "--engine", engine])
        assert result.exit_code == 0, result.output
        assert "WITH STAYS AS" in result.output and "heart" not in result.output
    register = tmp_path / "register.parquet"
    assert runner.invoke(app, ["oppositions", "init", str(register)]).exit_code == 0
    env = {"HYGIE_PSEUDO_SECRET": SECRET.value.hex(), "HYGIE_OPPOSITION_REGISTER": str(register)}
    result = runner.invoke(app, ["cohort", "count", str(definition), "--data", str(snds.path)],
                           env=env)
    assert result.exit_code == 0, result.output
    expected = Cohort.from_yaml(FIRST_HF).feasibility(snds, SECRET)
    assert "First hospitalisation for heart failure" in result.output
    for _, released in expected:
        assert released.mark in result.output
    small = tmp_path / "small.yaml"  # a handful of people: the count is not shown
    small.write_text(FIRST_HF + "require:\n  - department: '" + _a_small_department(snds) + "'\n")
    result = runner.invoke(app, ["cohort", "count", str(small), "--data", str(snds.path)], env=env)
    assert result.exit_code == 0, result.output
    assert "<11" in result.output
    # Without the secret, or without the register: a clear error, no count.
    for missing in ("HYGIE_PSEUDO_SECRET", "HYGIE_OPPOSITION_REGISTER"):
        result = runner.invoke(app, ["cohort", "count", str(definition), "--data",
                                     str(snds.path)], env={**env, missing: ""})
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output


def _a_small_department(snds: Dataset) -> str:
    people = Cohort.from_yaml(FIRST_HF).people(snds)
    engine = DuckDBEngine()
    try:
        attach_snds(engine, snds)
        engine.register_arrow("C", people)
        return str(engine.scalar("SELECT b.BEN_RES_DPT FROM C JOIN IR_BEN_R b ON "
                                 "b.BEN_NIR_ANO = C.PERSON_KEY GROUP BY 1 ORDER BY count(*), 1 "
                                 "LIMIT 1"))
    finally:
        engine.close()


def test_cli_bad_input_exits_2_without_a_traceback(tmp_path: Path, snds: Dataset):
    bad = tmp_path / "bad.yaml"
    bad.write_text(_variant(FIRST_HF, "[-365 days, -1 day]", "[-1 day, -365 days]"))
    for args in (["cohort", "sql", str(bad)], ["cohort", "count", str(bad), "--data",
                                               str(snds.path)]):
        result = runner.invoke(app, args, env={"HYGIE_OPPOSITION_REGISTER": str(tmp_path / "r")})
        assert result.exit_code == 2
        assert "exclude[0].window: start after end" in result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    good = tmp_path / "good.yaml"
    good.write_text(FIRST_HF)
    result = runner.invoke(app, ["cohort", "count", str(good), "--data", str(tmp_path)],
                           env={"HYGIE_PSEUDO_SECRET": SECRET.value.hex(),
                                "HYGIE_OPPOSITION_REGISTER": str(tmp_path / "r")})
    assert result.exit_code == 2 and "error:" in result.output
    result = runner.invoke(app, ["cohort", "sql", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2 and "cannot read" in result.output


def test_python_api_on_a_dataset_a_folder_or_an_engine(snds: Dataset, duck):
    cohort = Cohort.from_yaml(textwrap.dedent(FIRST_HF))
    assert cohort.count(snds) == cohort.count(str(snds.path)) == cohort.count(duck) > 0
    people = cohort.people(snds.path)
    assert people.column_names == ["PERSON_KEY", "INDEX_DATE"]
    assert people["PERSON_KEY"].to_pylist() == sorted(people["PERSON_KEY"].to_pylist())
