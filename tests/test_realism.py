"""The realism judge: spec tests on hand-made datasets, then the generator against published
figures.

The hand-made SNDS holds six people over 2022 (with 2021 PMSI files for look-backs). Every
expected value below is counted by hand from the rows written here, so a wrong bound, join or
filter in realism.py changes a number and fails.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from hygie.cli import app
from hygie.engine.lake import Dataset, DatasetWriter, write_parquet
from hygie.snds.schemas import SCHEMA_VERSION, load_schemas
from hygie.synth import knowledge as K
from hygie.synth.generator import SynthParams, generate
from hygie.synth.published import PUBLISHED, UNIT_SCALE, figure
from hygie.synth.realism import Measure, RealismError, measure, out_of_tolerance
from hygie.synth.tables import build

D = dt.date
Y = 2022
DAYS = 365
SOURCE = {"generator": "hand", "parameters": {"first_year": Y, "last_year": Y}}
DCIR_CONSTANT_KEYS = {"FLX_DIS_DTD": D(2023, 2, 1), "FLX_EMT_NUM": 1, "FLX_EMT_ORD": 1,
                      "FLX_EMT_TYP": 1, "FLX_TRT_DTD": D(2023, 1, 15), "ORG_CLE_NUM": "01C011",
                      "PRS_ORD_NUM": 1, "REM_TYP_AFF": 1}
DRUG = {d.key: K.cip13(i) for i, d in enumerate(K.DRUGS)}

# People: (id, birth, sex, death). Person-years of 2022 in the comments.
PEOPLE = [
    (1, D(1950, 3, 10), 1, None),  # 1
    (2, D(1980, 1, 1), 2, D(2022, 7, 1)),  # 182/365, dies on 1 July: present on that day
    (3, D(2022, 10, 1), 2, None),  # 92/365, born in the year, not present on 1 July
    (4, D(2005, 2, 1), 1, None),  # 1, 17 on 1 July: not an adult
    (5, D(2004, 7, 1), 2, None),  # 1, 18 on 1 July exactly: an adult
    (6, D(1940, 1, 1), 2, D(2022, 6, 30)),  # 181/365, gone the day before 1 July
]
PERSON_YEARS = 3 + (182 + 92 + 181) / DAYS
ADULT_PERSON_YEARS = 2 + (182 + 181) / DAYS  # people 1, 2, 5, 6
WOMEN_PERSON_YEARS = 1 + (182 + 92 + 181) / DAYS  # people 2, 3, 5, 6
# (person, pseudo-NIR, rank, valid from, valid to): person 1 changes pseudo-NIR on 1 June, and
# person 2 too (two IR_BEN_R rows, one BEN_IDT_ANO, one death).
PSEUDONYMS = [(1, "PSA1", 1, None, D(2022, 5, 31)), (1, "PSA1B", 1, D(2022, 6, 1), None),
              (2, "PSA2", 1, None, D(2022, 6, 30)), (2, "PSA2B", 1, D(2022, 7, 1), None),
              (3, "PSA3", 1, None, None), (4, "PSA4", 1, None, None),
              (5, "PSA5", 1, None, None), (6, "PSA6", 1, None, None)]
CONDITIONS = [(1, "heart_failure", D(2015, 1, 1)), (1, "t2d", D(2010, 1, 1)),
              (5, "heart_failure", D(2023, 1, 1)),  # after the year: not yet
              (2, "stroke", D(2022, 3, 1)), (6, "breast_cancer", D(2022, 2, 1)),
              (4, "t1d", D(2012, 1, 1)),
              (4, "eskd", D(2020, 1, 1)), (4, "kidney_graft", D(2021, 1, 1))]  # not dialysed


def _dates(values: list[D | None]) -> pa.Array:
    return pa.array(values, pa.date32())


def truth_tables() -> dict[str, pa.Table]:
    return {
        "person": pa.table({"person_id": [p[0] for p in PEOPLE],
                            "birth_date": _dates([p[1] for p in PEOPLE]),
                            "sex": pa.array([p[2] for p in PEOPLE], pa.int8()),
                            "death_date": _dates([p[3] for p in PEOPLE])}),
        "pseudonym": pa.table({"person_id": [p[0] for p in PSEUDONYMS],
                               "ben_nir_psa": [p[1] for p in PSEUDONYMS],
                               "ben_rng_gem": pa.array([p[2] for p in PSEUDONYMS], pa.int8()),
                               "valid_from": _dates([p[3] for p in PSEUDONYMS]),
                               "valid_to": _dates([p[4] for p in PSEUDONYMS])}),
        "condition": pa.table({"person_id": [c[0] for c in CONDITIONS],
                               "condition": [c[1] for c in CONDITIONS],
                               "onset_date": _dates([c[2] for c in CONDITIONS])}),
    }


def rows_to_table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """A table with every field of the SNDS schema, the given columns filled, others null."""
    schema = load_schemas().table(name)
    names = sorted({k for r in rows for k in r})
    cols: dict[str, Any] = {}
    for n in names:
        cols[n] = pa.array([r.get(n) for r in rows], schema.field(n).arrow_type)
    return build(schema, len(rows), cols)


# DCIR lines: (pseudo-NIR, care date, specialty, nature, quantity, sign, qualifier, drug, boxes)
GP, CARDIO, NURSE = 1, 3, 1024
DCIR = [
    # Person 1 before the change: metformin (a big pack) on two days, and a third day cancelled.
    ("PSA1", D(2022, 2, 1), 0, 3313, 1, 1, 0, "metformin", 1),
    ("PSA1", D(2022, 3, 1), 0, 3313, 1, 1, 0, "metformin", 1),
    ("PSA1", D(2022, 4, 1), 0, 3313, 1, 1, 0, "metformin", 1),
    ("PSA1", D(2022, 4, 1), 0, 3313, -1, 2, 0, "metformin", -1),
    # GP encounters: C by a GP, VG by specialty 22, a cardiologist's C (not GP), a GP line for
    # information only, and a visit cancelled (sign in BSE_REM_SGN only) then billed again.
    ("PSA1", D(2022, 1, 10), GP, 1111, 1, 1, 0, None, 0),
    ("PSA1", D(2022, 2, 10), 22, 1210, 1, 1, 0, None, 0),
    ("PSA1", D(2022, 2, 11), CARDIO, 1111, 1, 1, 0, None, 0),
    ("PSA1", D(2022, 2, 12), GP, 1111, 1, 1, 71, None, 0),
    ("PSA1", D(2022, 3, 10), GP, 1111, 1, 1, 0, None, 0),
    ("PSA1", D(2022, 3, 10), GP, 1111, 1, 2, 0, None, 0),
    ("PSA1", D(2022, 3, 10), GP, 1111, 1, 1, 0, None, 0),
    # Person 1 after the change: paracetamol, and a line for information only.
    ("PSA1B", D(2022, 8, 1), 0, 3313, 2, 1, 0, "paracetamol", 2),
    ("PSA1B", D(2022, 8, 2), 0, 3313, 5, 1, 71, "paracetamol", 5),
    ("PSA2", D(2022, 3, 5), 23, 1192, 1, 1, 0, None, 0),  # teleconsultation of a GP
    # Person 4: insulin (small packs) on three days, one more in 2021 (outside the period).
    ("PSA4", D(2021, 12, 20), 0, 3313, 1, 1, 0, "insulin_glargine", 1),
    ("PSA4", D(2022, 1, 20), 0, 3313, 1, 1, 0, "insulin_glargine", 1),
    ("PSA4", D(2022, 2, 20), 0, 3313, 1, 1, 0, "insulin_glargine", 1),
    ("PSA4", D(2022, 3, 20), 0, 3313, 1, 1, 0, "insulin_glargine", 1),
    # Person 5: insulin on two days only (small packs: not treated), and a nurse.
    ("PSA5", D(2022, 5, 1), 0, 3313, 1, 1, 0, "insulin_aspart", 1),
    ("PSA5", D(2022, 6, 1), 0, 3313, 1, 1, 0, "insulin_aspart", 1),
    ("PSA5", D(2022, 6, 2), NURSE, 3111, 1, 1, 0, None, 0),
]
BOXES = 2 + 2 + 3 + 2  # metformin net, paracetamol, insulin in 2022, insulin aspart
GP_VISITS = 1 + 1 + 1 + 1  # C, VG, the visit billed again, the teleconsultation
# ALD: (pseudo-NIR, nature, number, code, start, end)
ALD = [
    ("PSA1", 41, 5, "I500", D(2016, 1, 1), D(2026, 1, 1)),
    ("PSA1", 41, 8, "E119", D(2010, 6, 1), D(2020, 6, 1)),  # ended before the year
    ("PSA4", 41, 8, "E109", D(2012, 6, 1), None),
    ("PSA5", 47, 14, "J459", D(2020, 1, 1), None),  # L324, not an exemption: not an ALD
    ("PSA6", 41, 30, "C509", D(2022, 3, 1), D(2027, 3, 1)),
    ("PSA2", 41, 1, "I639", D(2022, 4, 1), D(1600, 1, 1)),  # the SNDS's "no end" placeholder
]
# Stays: (year, number, pseudo-NIR, main diagnosis, related, GHM, exit mode, associated dx)
STAYS = [
    (2022, 1, "PSA2", "I639", None, "01M30T", "8", ["I500", "E119"]),
    (2022, 2, "PSA6", "C509", None, "09C05J", "9", []),
    (2022, 3, "PSA4", "Z491", "N185", "28Z04Z", "8", []),  # a session
    (2022, 4, "PSA1B", "K358", None, "06C09J", "8", []),
    (2021, 5, "PSA5", "I500", None, "05M09T", "8", []),  # before the period: look-back only
]


def snds_tables() -> dict[str, pa.Table]:
    prs, pha = [], []
    for i, (psa, day, spe, nature, qty, sign, qlf, drug, boxes) in enumerate(DCIR, start=1):
        keys = {"DCT_ORD_NUM": i, **DCIR_CONSTANT_KEYS}
        prs.append({**keys, "BEN_NIR_PSA": psa, "BEN_RNG_GEM": 1, "EXE_SOI_DTD": day,
                    "PSE_SPE_COD": spe or None, "PRS_NAT_REF": nature,
                    "PRS_ACT_QTE": float(qty), "BSE_REM_SGN": sign, "DPN_QLF": qlf})
        if drug:
            pha.append({**keys, "PHA_PRS_C13": DRUG[drug], "PHA_ACT_QSN": boxes})
    ben = [{"BEN_NIR_PSA": psa, "BEN_RNG_GEM": rank, "BEN_IDT_ANO": f"IDT{person}",
            "BEN_NAI_ANN": birth.year, "BEN_SEX_COD": sex, "BEN_DCD_DTE": death}
           for person, psa, rank, _, _ in PSEUDONYMS
           for p, birth, sex, death in PEOPLE if p == person]
    ald = [{"BEN_NIR_PSA": psa, "BEN_RNG_GEM": 1, "IMB_ETM_NAT": nat, "IMB_ALD_NUM": num,
            "MED_MTF_COD": code, "IMB_ALD_DTD": start, "IMB_ALD_DTF": end}
           for psa, nat, num, code, start, end in ALD]
    out = {"ER_PRS_F": rows_to_table("ER_PRS_F", prs), "ER_PHA_F": rows_to_table("ER_PHA_F", pha),
           "IR_BEN_R": rows_to_table("IR_BEN_R", ben), "IR_IMB_R": rows_to_table("IR_IMB_R", ald)}
    for year in (2021, 2022):
        yy = f"{year % 100:02d}"
        stays = [s for s in STAYS if s[0] == year]
        out[f"T_MCO{yy}B"] = rows_to_table(f"T_MCO{yy}B", [
            {"ETA_NUM": "010000001", "RSA_NUM": n, "DGN_PAL": dp, "DGN_REL": dr, "GRG_GHM": ghm,
             "SOR_MOD": mode, "SOR_ANN": year} for _, n, _, dp, dr, ghm, mode, _ in stays])
        out[f"T_MCO{yy}C"] = rows_to_table(f"T_MCO{yy}C", [
            {"ETA_NUM": "010000001", "RSA_NUM": n, "NIR_ANO_17": psa}
            for _, n, psa, *_ in stays])
        out[f"T_MCO{yy}D"] = rows_to_table(f"T_MCO{yy}D", [
            {"ETA_NUM": "010000001", "RSA_NUM": str(n), "ASS_DGN": code, "DGN_ASS_NUM": k}
            for _, n, *_, das in stays for k, code in enumerate(das, start=1)])
    return out


def write(path: Path, kind: str, tables: dict[str, pa.Table],
          source: dict[str, Any] = SOURCE) -> Dataset:
    with DatasetWriter(path, kind=kind, source=source, schema_version=SCHEMA_VERSION) as w:
        for name, table in tables.items():
            write_parquet(table, w.part_path(name, 0))
        return w.commit()


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Measure]:
    root = tmp_path_factory.mktemp("hand")
    snds = write(root / "snds", "snds", snds_tables())
    truth = write(root / "snds.truth", "truth", truth_tables())
    return {(m.key, m.years): m for m in measure(snds, truth)}


def approx(x: float) -> Any:
    return pytest.approx(x, rel=1e-9)


def test_demography(hand):
    assert hand["birth_rate", "2022"].truth == approx(1 / PERSON_YEARS)
    assert hand["birth_rate", "2022"].claims == approx(1 / PERSON_YEARS)
    # Person 2 has two IR_BEN_R rows (a changed pseudo-NIR) and dies once.
    assert hand["death_rate", "2022"].truth == approx(2 / PERSON_YEARS)
    assert hand["death_rate", "2022"].claims == approx(2 / PERSON_YEARS)
    assert hand["death_rate", "2022"].published == figure("death_rate", 2022)
    assert hand["death_rate", "2022"].denominator == approx(PERSON_YEARS)


def test_care_volumes(hand):
    assert hand["drug_boxes", "2022"].claims == approx(BOXES / PERSON_YEARS)
    assert hand["drug_boxes", "2022"].truth is None
    assert hand["gp_visits", "2022"].claims == approx(GP_VISITS / PERSON_YEARS)
    # Present on 1 July: people 1, 2, 4, 5; 4 and 5 saw no GP.
    assert hand["no_gp_visit", "2022"].claims == approx(2 / 4)
    assert hand["no_gp_visit", "2022"].published is None
    # Stays 1, 2 and 4 in 2022; the session and the 2021 stay do not count.
    assert hand["mco_stays", "2022"].claims == approx(3 / PERSON_YEARS)
    assert hand["hospitalised", "2022"].claims == approx(3 / PERSON_YEARS)
    # Of the two deaths, person 6's ends a stay (SOR_MOD 9).
    assert hand["deaths_in_hospital", "2022"].claims == approx(1 / 2)


def test_prevalences(hand):
    # Adults present on 1 July: people 1, 2, 5.
    hf = hand["heart_failure", "2022"]
    assert hf.truth == approx(1 / 3)  # person 5's onset comes after the year
    assert hf.claims == approx(2 / 3)  # 1 by ALD, 5 by a 2021 stay; 2's I50 is associated only
    stroke = hand["stroke", "2022"]
    assert (stroke.truth, stroke.claims) == (approx(1 / 3), approx(1 / 3))
    assert hand["ischaemic_heart_disease", "2022"].claims == 0
    # Everyone present on 1 July: people 1, 2, 4, 5. Claims: 1 treated (two days, a big pack),
    # 4 treated and in ALD, 2 by an associated diagnosis; 5 has two small-pack days only.
    diabetes = hand["diabetes", "2022"]
    assert (diabetes.truth, diabetes.claims) == (approx(2 / 4), approx(3 / 4))
    assert hand["diabetics_with_ald", "2022"].claims == approx(1 / 2)  # 4, not 1 (ALD ended)
    assert hand["ald", "2022"].claims == approx(3 / 4)  # 1, 2 (placeholder end), 4; not 5 (L324)
    # One session is not a chronic dialysis; person 4's kidney failure has a graft.
    assert (hand["dialysis", "2022"].truth, hand["dialysis", "2022"].claims) == (0, 0)
    assert hand["dementia", "2022"].truth == 0


def test_incidences(hand):
    stroke = hand["stroke_hospitalised", "2022"]
    assert stroke.truth == approx(1 / ADULT_PERSON_YEARS)
    assert stroke.claims == approx(1 / ADULT_PERSON_YEARS)
    breast = hand["breast_cancer_incidence", "2022"]
    assert breast.truth == approx(1 / WOMEN_PERSON_YEARS)
    assert breast.claims == approx(1 / WOMEN_PERSON_YEARS)


def test_open_population_bounds_follow_up(tmp_path):
    """With arrival and departure dates in the truth, person-years start and end with them."""
    people = truth_tables()
    person = people["person"]
    arrival = _dates([D(2022, 7, 2), None, None, None, None, None])
    departure = _dates([None, None, None, D(2022, 4, 30), None, D(2022, 5, 31)])
    people["person"] = person.append_column("arrival_date", arrival) \
        .append_column("departure_date", departure)
    snds = write(tmp_path / "snds", "snds", snds_tables())
    truth = write(tmp_path / "snds.truth", "truth", people)
    m = {(x.key, x.years): x for x in measure(snds, truth)}
    # Person 1 from 2 July (183 days), person 4 to 30 April (120 days), person 6 to 31 May
    # (151 days; dead abroad a month later, not a death of the population).
    years = 1 + (183 + 182 + 92 + 120 + 151) / DAYS
    assert m["birth_rate", "2022"].truth == approx(1 / years)
    assert m["death_rate", "2022"].truth == approx(1 / years)
    assert m["no_gp_visit", "2022"].claims == approx(1 / 2)  # present on 1 July: 2 and 5


def test_tolerance_and_noise():
    p = figure("heart_failure")
    assert p is not None and p.share == approx(0.026)
    inside = Measure("heart_failure", "", "%", "2022", "", p, truth=0.026 * 1.19,
                     claims=0.026 * 0.81, denominator=1e9)
    assert inside.within() and inside.verdict() == "yes"
    outside = Measure("heart_failure", "", "%", "2022", "", p, claims=0.026 * 0.79,
                      denominator=1e9)
    assert outside.within() is False and outside.verdict() == "no"
    assert outside.gaps() and "claims" in outside.gaps()[0]
    # 100 expected events: 3 standard errors are 30%, so with the 20% tolerance a ratio of 0.45
    # is out and one of 0.6 within only with noise.
    small = Measure("heart_failure", "", "%", "2022", "", p, truth=0.026 * 0.45,
                    denominator=100 / 0.026)
    assert small.within(noise=True) is False
    assert small.__class__(**{**small.__dict__, "truth": 0.026 * 0.6}).verdict() == "~"
    assert Measure("no_gp_visit", "", "%", "2022", "", None, claims=0.1).verdict() == "-"


def test_published_rows_are_well_formed():
    keys = {(p.key, p.year) for p in PUBLISHED}
    assert len(keys) == len(PUBLISHED)
    for p in PUBLISHED:
        assert p.unit in UNIT_SCALE and p.value > 0 and 0 < p.tolerance < 1
        assert p.address.startswith("https://") and p.address.count("/") == 3, p.address
        assert p.provenance.startswith(("verified", "as quoted")), p.key
    assert {y for k, y in keys if k == "birth_rate"} == set(range(2019, 2024))


def test_a_dataset_without_a_period_is_refused(tmp_path):
    snds = write(tmp_path / "snds", "snds", snds_tables(), source={})
    truth = write(tmp_path / "snds.truth", "truth", truth_tables(), source={})
    with pytest.raises(RealismError, match="first_year"):
        measure(snds, truth)


def test_synth_report_command(tmp_path):
    write(tmp_path / "snds", "snds", snds_tables())
    write(tmp_path / "snds.truth", "truth", truth_tables())
    result = CliRunner().invoke(app, ["synth-report", str(tmp_path / "snds")],
                                env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Realism" in result.output and "Heart failure" in result.output
    missing = CliRunner().invoke(app, ["synth-report", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2


# --- calibration: today's generator against the published figures ------------------------------

CALIBRATION_PEOPLE = 20_000


@pytest.mark.slow
def test_generator_matches_published_figures(tmp_path):
    """Every measure within its tolerance of the published figure, in the truth and in the
    claims, once the sampling noise of this size is allowed for; lists every gap."""
    start = time.monotonic()
    snds, truth = generate(SynthParams(patients=CALIBRATION_PEOPLE, seed=11, first_year=2019,
                                       last_year=2023), tmp_path / "snds", workers=2)
    measures = measure(snds, truth)
    seconds = time.monotonic() - start
    gaps = out_of_tolerance(measures)
    assert not gaps, (f"{len(gaps)} measure(s) out of tolerance ({CALIBRATION_PEOPLE:,} people, "
                      f"{seconds:.0f} s):\n" + "\n".join(gaps))
