"""Dataset statistics: the figures against hand-written SQL, secrecy as a property, the background
job from the lake's attachment to the page, who may start it, and the relations diagram."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hygie.catalogue.stats import (
    BANDS,
    CODE_SOURCES,
    SEXES,
    STEPS,
    UNKNOWN,
    ExactFigures,
    StatsError,
    compute,
    release,
)
from hygie.engine.lake import Dataset, DatasetWriter, write_parquet
from hygie.pseudo.keys import Secret
from hygie.sdc import THRESHOLD, TOTAL, CellKey, audit_table
from tests.web.helpers import run_jobs

SECRET_HEX = "e7" * 32
CELL_KEY = CellKey.from_secret(Secret(bytes.fromhex(SECRET_HEX)))
NOISE = 7  # the cell key's largest noise (5) plus half the rounding base


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The platform secret the statistics job derives its cell key from (as CELL_KEY)."""
    monkeypatch.setenv("HYGIE_PSEUDO_SECRET", SECRET_HEX)
    monkeypatch.delenv("HYGIE_PSEUDO_SECRET_FILE", raising=False)


DCIR_KEYS = ("DCT_ORD_NUM", "FLX_DIS_DTD", "FLX_EMT_NUM", "FLX_EMT_ORD", "FLX_EMT_TYP",
             "FLX_TRT_DTD", "ORG_CLE_NUM", "PRS_ORD_NUM", "REM_TYP_AFF")


# --- a small synthetic SNDS and its statistics, made once ---------------------------------------


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    from hygie.synth.generator import SynthParams, generate

    out = tmp_path_factory.mktemp("stats") / "snds"
    snds, _truth = generate(SynthParams(patients=2500, seed=7, first_year=2019, last_year=2022,
                                        chunk_size=2500), out, workers=1)
    return snds


@pytest.fixture(scope="module")
def computed(lake: Dataset) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    steps: list[tuple[int, str]] = []
    result = compute(lake, lambda percent, step: steps.append((percent, step)), cell_key=CELL_KEY)
    return result, steps


@pytest.fixture(scope="module")
def hand(lake: Dataset) -> Iterator[duckdb.DuckDBPyConnection]:
    """The lake's tables as DuckDB views, with the PMSI years unioned by hand."""
    con = duckdb.connect()
    for table in lake.tables:
        files = ", ".join(f"'{f}'" for f in lake.files(table))
        con.execute(f'CREATE VIEW "{table}" AS SELECT * FROM read_parquet([{files}])')
    for kind in "ABCD":
        years = sorted(t for t in lake.tables if re.fullmatch(rf"T_MCO\d\d{kind}", t))
        con.execute(f"CREATE VIEW mco_{kind.lower()} AS " + " UNION ALL ".join(
            f"SELECT *, {2000 + int(t[5:7])} AS yr FROM {t}" for t in years))
    drugs = Path(__import__("hygie").__file__).parent / "data" / "drugs.csv"
    con.execute(f"CREATE VIEW drugs AS SELECT CIP13, ATC FROM read_csv('{drugs}', delim=';', "
                "header=true, types={'CIP13': 'BIGINT'})")
    con.execute("CREATE VIEW dmap AS SELECT DISTINCT BEN_NIR_PSA, BEN_RNG_GEM, BEN_NIR_ANO AS pid "
                "FROM IR_BEN_R")
    con.execute("CREATE VIEW pmap AS SELECT BEN_NIR_PSA AS nir, min(BEN_NIR_ANO) AS pid "
                "FROM IR_BEN_R GROUP BY 1 HAVING count(DISTINCT BEN_NIR_ANO) = 1")
    con.execute("""CREATE VIEW stays AS SELECT c.ETA_NUM, c.RSA_NUM, c.yr, m.pid FROM mco_c c
                   JOIN pmap m ON m.nir = c.NIR_ANO_17
                   WHERE NOT c.NIR_RET AND c.NAI_RET = '0' AND NOT c.SEX_RET AND NOT c.SEJ_RET
                     AND NOT c.FHO_RET AND NOT c.PMS_RET AND c.DAT_RET = '0'""")
    yield con
    con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def population(con: duckdb.DuckDBPyConnection) -> int:
    return rows(con, "SELECT count(DISTINCT BEN_NIR_ANO) FROM IR_BEN_R")[0][0]


def near(value: int | None, exact: int) -> bool:
    """A released count: the exact one perturbed by the cell key and rounded to 5."""
    return value is not None and value % 5 == 0 and abs(value - exact) <= NOISE


def check_released(value: int | None, exact: int, everyone: int | None = None) -> None:
    """A released count is the perturbed exact one, or hidden for a reason the rule gives."""
    if 0 < exact < THRESHOLD:
        assert value is None, exact
    elif value is not None:
        assert near(value, exact), (value, exact)
    if everyone is not None and value is not None:
        assert not 0 < everyone - exact < THRESHOLD


# --- the figures ---------------------------------------------------------------------------------


def test_individuals_records_and_years_match_hand_written_sql(computed, hand):
    result, _ = computed
    everyone = population(hand)
    assert near(result["individuals"], everyone) and everyone > 1000
    records = dict(rows(hand, """
        SELECT y, count(*) FROM (SELECT year(EXE_SOI_DTD) AS y FROM ER_PRS_F
                                 UNION ALL SELECT yr FROM mco_c) GROUP BY y"""))
    assert near(result["records"], sum(records.values()))
    people = dict(rows(hand, """
        SELECT y, count(DISTINCT pid) FROM (
          SELECT year(p.EXE_SOI_DTD) AS y, m.pid FROM ER_PRS_F p
            JOIN dmap m ON m.BEN_NIR_PSA = p.BEN_NIR_PSA AND m.BEN_RNG_GEM = p.BEN_RNG_GEM
          UNION ALL SELECT c.yr, m.pid FROM mco_c c JOIN pmap m ON m.nir = c.NIR_ANO_17)
        GROUP BY y"""))
    assert [y["year"] for y in result["years"]] == sorted(records) == [2019, 2020, 2021, 2022]
    for y in result["years"]:
        check_released(y["records"], records[y["year"]])
        check_released(y["people"], people[y["year"]], everyone)
    assert sum(y["people"] is not None for y in result["years"]) >= 2


def test_age_pyramid_and_typical_ages_match_hand_written_sql(computed, hand):
    result, _ = computed
    ref = rows(hand, "SELECT max(y) FROM (SELECT year(EXE_SOI_DTD) AS y FROM ER_PRS_F "
                     "UNION ALL SELECT yr FROM mco_c)")[0][0]
    assert result["age_year"] == ref
    ages = rows(hand, f"""
        SELECT least({ref}, CASE WHEN d >= b THEN d ELSE {ref} END) - b AS age,
               CASE WHEN s1 = s2 AND s1 IN (1, 2) THEN s1 END AS sex
        FROM (SELECT BEN_NIR_ANO, min(BEN_NAI_ANN) AS b, min(BEN_SEX_COD) AS s1,
                     max(BEN_SEX_COD) AS s2, min(year(BEN_DCD_DTE)) AS d
              FROM IR_BEN_R GROUP BY BEN_NIR_ANO)""")
    cells: dict[tuple[str, int], int] = {}
    for age, sex in ages:
        band = "95+" if age >= 95 else f"{age // 5 * 5}-{age // 5 * 5 + 4}"
        cells[(band, sex)] = cells.get((band, sex), 0) + 1
    released = {(c["band"], c["sex"]): c["people"] for c in result["age_pyramid"]}
    assert set(released) == {(b, s) for b in BANDS[:len(released) // 2] for s in (1, 2)}
    for key, value in released.items():
        check_released(value, cells.get(key, 0))
    assert sum(v is not None for v in released.values()) > len(released) // 2
    known = sorted(age for age, _ in ages)
    assert result["age_min"] == known[math.ceil(0.05 * len(known)) - 1]
    assert result["age_max"] == known[math.ceil(0.95 * len(known)) - 1]
    assert 0 <= result["age_min"] < result["age_max"] <= 110


HAND_CODES = {
    "ATC": """
        SELECT ATC AS code, pid FROM (
          SELECT m.pid, p.EXE_SOI_DTD, x.PHA_PRS_C13, k.ATC FROM ER_PHA_F x
            JOIN drugs k ON k.CIP13 = x.PHA_PRS_C13
            JOIN ER_PRS_F p USING ({keys})
            JOIN dmap m ON m.BEN_NIR_PSA = p.BEN_NIR_PSA AND m.BEN_RNG_GEM = p.BEN_RNG_GEM
          WHERE coalesce(p.DPN_QLF, 0) <> 71 AND coalesce(p.PRS_DPN_QLP, 0) <> 71
          GROUP BY ALL HAVING sum(x.PHA_ACT_QSN) > 0)""",
    "CIM10": """
        SELECT b.DGN_PAL AS code, s.pid FROM mco_b b
          JOIN stays s ON s.ETA_NUM = b.ETA_NUM AND s.RSA_NUM = b.RSA_NUM AND s.yr = b.yr
        UNION ALL SELECT b.DGN_REL, s.pid FROM mco_b b
          JOIN stays s ON s.ETA_NUM = b.ETA_NUM AND s.RSA_NUM = b.RSA_NUM AND s.yr = b.yr
        UNION ALL SELECT d.ASS_DGN, s.pid FROM mco_d d
          JOIN stays s ON s.ETA_NUM = TRY_CAST(d.ETA_NUM AS BIGINT)
                      AND s.RSA_NUM = TRY_CAST(d.RSA_NUM AS BIGINT) AND s.yr = d.yr
        UNION ALL SELECT i.MED_MTF_COD, m.pid FROM IR_IMB_R i
          JOIN dmap m ON m.BEN_NIR_PSA = i.BEN_NIR_PSA AND m.BEN_RNG_GEM = i.BEN_RNG_GEM
          WHERE i.IMB_ETM_NAT IN (41, 43, 45)""",
    "CCAM": """
        SELECT CAM_PRS_IDE AS code, pid FROM (
          SELECT m.pid, p.EXE_SOI_DTD, x.CAM_PRS_IDE FROM ER_CAM_F x
            JOIN ER_PRS_F p USING ({keys})
            JOIN dmap m ON m.BEN_NIR_PSA = p.BEN_NIR_PSA AND m.BEN_RNG_GEM = p.BEN_RNG_GEM
          WHERE coalesce(p.DPN_QLF, 0) <> 71 AND coalesce(p.PRS_DPN_QLP, 0) <> 71
          GROUP BY ALL HAVING sum(p.PRS_ACT_QTE) > 0)
        UNION ALL SELECT a.CDC_ACT, s.pid FROM mco_a a
          JOIN stays s ON s.ETA_NUM = TRY_CAST(a.ETA_NUM AS BIGINT)
                      AND s.RSA_NUM = TRY_CAST(a.RSA_NUM AS BIGINT) AND s.yr = a.yr""",
}


@pytest.mark.parametrize("system", list(CODE_SOURCES))
def test_top_codes_match_hand_written_sql(computed, hand, system):
    result, _ = computed
    expected = rows(hand, f"""
        SELECT code, count(DISTINCT pid) AS n FROM ({HAND_CODES[system].format(
            keys=', '.join(DCIR_KEYS))}) e
        WHERE code IS NOT NULL GROUP BY code HAVING n >= 11 ORDER BY n DESC, code LIMIT 10""")
    top = result["top_codes"][system]
    assert {t["code"] for t in top} == {code for code, _ in expected}
    assert len(top) >= 3
    everyone = population(hand)
    exact = dict(expected)
    for t in top:
        check_released(t["people"], exact[t["code"]], everyone)
    assert all(t["label"] for t in top), top  # every code of the synthetic SNDS has a label


def test_labels_come_from_the_packaged_lists(computed):
    result, _ = computed
    labels = {t["code"]: t["label"] for ts in result["top_codes"].values() for t in ts}
    if "N02BE01" in labels:
        assert labels["N02BE01"] == "paracetamol"
    cim = result["top_codes"]["CIM10"][0]
    from hygie.snds.nomenclatures import nomenclature

    assert cim["label"] == nomenclature("IR_CIM_V").labels()[cim["code"]]


def test_progress_is_reported_step_by_step(computed):
    _, steps = computed
    percents = [p for p, _ in steps]
    assert percents == sorted(percents) and percents[0] == 0 and steps[-1] == (100, "done")
    assert [s for _, s in steps] == list(STEPS)


def test_a_dataset_without_beneficiaries_is_refused(tmp_path):
    with DatasetWriter(tmp_path / "x", kind="snds") as w:
        write_parquet(pa.table({"A": [1]}), w.part_path("ER_PRS_F", 0))
        ds = w.commit()
    with pytest.raises(StatsError, match="IR_BEN_R"):
        compute(ds, cell_key=CELL_KEY)


# --- secrecy, as a property ----------------------------------------------------------------------


def counts_of(result: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every count the result releases, with where it is."""
    yield "records", result["records"]
    yield "individuals", result["individuals"]
    for y in result["years"]:
        yield f"years.{y['year']}.people", y["people"]
        yield f"years.{y['year']}.records", y["records"]
    for c in result["age_pyramid"]:
        yield f"pyramid.{c['band']}.{c['sex']}", c["people"]
    for system, top in result["top_codes"].items():
        for t in top:
            yield f"top.{system}.{t['code']}", t["people"]


def assert_safe(exact: ExactFigures, result: dict[str, Any]) -> None:
    for where, value in counts_of(result):
        assert value is None or (isinstance(value, int) and value >= THRESHOLD), \
            (where, value)
    # The pyramid: no small count (cell or margin) can be recomputed from what is shown, even
    # by someone who also knows every count that is 0.
    everyone = sum(exact.people_by_age_sex.values())
    if everyone:
        labels = [*BANDS, UNKNOWN]
        sexes = [*SEXES, UNKNOWN]
        table = {(b, s): exact.people_by_age_sex.get((b, s), 0) for b in labels for s in sexes}
        shown = {(c["band"], str(c["sex"])) for c in result["age_pyramid"]
                 if c["people"] is not None}
        if result["individuals"] is not None:
            shown.add((TOTAL, TOTAL))
        value = dict(table)
        for b in labels:
            value[(b, TOTAL)] = sum(table[(b, s)] for s in sexes)
        for s in sexes:
            value[(TOTAL, s)] = sum(table[(b, s)] for b in labels)
        value[(TOTAL, TOTAL)] = everyone
        hidden = [k for k, v in value.items() if v > 0 and k not in shown]
        for key, rng in audit_table(table, hidden).items():
            if 0 < value[key] < THRESHOLD:
                assert not rng.determined, (key, rng)
    # Records by year, with their total.
    if any(exact.records_by_year.values()):
        years = {(str(y),): n for y, n in exact.records_by_year.items()}
        shown_years = {(str(y["year"]),) for y in result["years"] if y["records"] is not None}
        if result["records"] is not None:
            shown_years.add((TOTAL,))
        totals = {**years, (TOTAL,): sum(years.values())}
        hidden = [k for k, v in totals.items() if v > 0 and k not in shown_years]
        for key, rng in audit_table(years, hidden).items():
            if 0 < totals[key] < THRESHOLD:
                assert not rng.determined, (key, rng)
    # Counts of some of the individuals do not tell how many are left out.
    # (The rule reads the exact counts: the shown ones are perturbed.)
    for y in result["years"]:
        if y["people"] is not None:
            assert not 0 < everyone - exact.people_by_year[y["year"]] < THRESHOLD
    for system, top in result["top_codes"].items():
        people = dict(exact.codes[system])
        for t in top:
            if t["people"] is not None:
                assert not 0 < everyone - people[t["code"]] < THRESHOLD


small = st.integers(0, 14) | st.integers(0, 400)
exact_figures = st.builds(
    ExactFigures,
    people_by_age_sex=st.dictionaries(
        st.tuples(st.sampled_from([*BANDS, UNKNOWN]), st.sampled_from([*SEXES, UNKNOWN])),
        small, max_size=24),
    records_by_year=st.dictionaries(st.integers(2015, 2023) | st.just(UNKNOWN), small,
                                    max_size=6),
    people_by_year=st.dictionaries(st.integers(2015, 2023), small, max_size=6),
    ages=st.dictionaries(st.integers(0, 105), st.integers(0, 30), max_size=30),
    age_year=st.none() | st.integers(2015, 2023),
    codes=st.fixed_dictionaries({s: st.lists(st.tuples(st.sampled_from(["E119", "I10", "Z000"]),
                                                       small), max_size=4,
                                              unique_by=lambda t: t[0])
                                 for s in CODE_SOURCES}),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exact_figures)
def test_no_released_count_is_ever_between_1_and_10(exact):
    assert_safe(exact, release(exact, CELL_KEY))


@st.composite
def tiny_lakes(draw: st.DrawFn) -> dict[str, pa.Table]:
    """A few beneficiaries and their DCIR lines, with odd values (unknown sex, no birth year,
    twins sharing a pseudo-NIR, people with no care)."""
    n = draw(st.integers(1, 40))
    ids, psa, rng, birth, sex, death = [], [], [], [], [], []
    for i in range(n):
        ids.append(f"P{i:03d}")
        twin = i > 0 and draw(st.booleans()) and draw(st.booleans())
        psa.append(psa[-1] if twin else f"N{i:03d}")
        rng.append(2 if twin else 1)
        birth.append(draw(st.none() | st.integers(1920, 2022)))
        sex.append(draw(st.sampled_from([1, 2, 2, 1, 9])))
        death.append(draw(st.none() | st.dates(dt.date(2018, 1, 1), dt.date(2022, 12, 31))))
    ben = pa.table({"BEN_NIR_PSA": psa, "BEN_RNG_GEM": rng, "BEN_NIR_ANO": ids,
                    "BEN_NAI_ANN": pa.array(birth, pa.int64()), "BEN_SEX_COD": sex,
                    "BEN_DCD_DTE": pa.array(death, pa.date32())})
    lines = draw(st.lists(st.tuples(st.integers(0, n - 1),
                                    st.dates(dt.date(2019, 1, 1), dt.date(2022, 12, 31))),
                          max_size=120))
    prs = pa.table({"BEN_NIR_PSA": pa.array([psa[i] for i, _ in lines], pa.string()),
                    "BEN_RNG_GEM": pa.array([rng[i] for i, _ in lines], pa.int64()),
                    "EXE_SOI_DTD": pa.array([d for _, d in lines], pa.date32())})
    return {"IR_BEN_R": ben, "ER_PRS_F": prs}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tables=tiny_lakes())
def test_no_count_between_1_and_10_from_tiny_lakes(tmp_path, tables):
    import uuid

    with DatasetWriter(tmp_path / uuid.uuid4().hex, kind="snds") as w:
        for name, table in tables.items():
            write_parquet(table, w.part_path(name, 0))
        ds = w.commit()
    result = compute(ds, cell_key=CELL_KEY)
    for where, value in counts_of(result):
        assert value is None or value >= THRESHOLD, (where, value)
    people = len(set(tables["IR_BEN_R"]["BEN_NIR_ANO"].to_pylist()))
    # Perturbed, or hidden: always when small, and sometimes when a table of a dozen people
    # needs its grand total to protect the small cells.
    if people < THRESHOLD:
        assert result["individuals"] is None
    elif result["individuals"] is not None:
        assert near(result["individuals"], people)
    assert result["top_codes"] == {s: [] for s in CODE_SOURCES}


# --- the background job --------------------------------------------------------------------------


@pytest.fixture
def snds_version(db):
    from hygie.web.catalogue.models import DatasetVersion

    return DatasetVersion.objects.select_related("dataset").get(dataset__slug="snds", number=1)


@pytest.fixture
def attached(snds_version, lake, django_capture_on_commit_callbacks):
    """The module's lake attached to the SNDS version; the job it enqueues is not run yet."""
    from hygie.web.catalogue.lake import attach_lake

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attach_lake(snds_version, lake.path)
    assert len(callbacks) == 1
    snds_version.refresh_from_db()
    return snds_version


def test_attaching_a_lake_enqueues_the_statistics_job(attached):
    from django_tasks_db.models import DBTaskResult

    from hygie.web.audit.models import AuditEvent
    from hygie.web.catalogue.models import Statistics

    stats = Statistics.objects.get(version=attached)
    assert stats.state == Statistics.State.QUEUED and stats.result == {}
    token, _, job_id = stats.task_id.partition(":")
    job = DBTaskResult.objects.get(id=job_id)
    assert job.queue_name == "statistics" and job.status == "READY"
    assert job.task_path == "hygie.web.catalogue.tasks.compute_statistics"
    assert job.args_kwargs["args"] == [attached.pk, token]
    assert AuditEvent.objects.filter(action="catalogue.statistics_requested",
                                     target_id=str(attached.pk),
                                     detail__via="attach_lake").exists()


def test_no_job_when_the_attachment_rolls_back(snds_version, lake,
                                               django_capture_on_commit_callbacks):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from hygie.web.catalogue.lake import attach_lake

    before = DBTaskResult.objects.count()
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        attach_lake(snds_version, lake.path)
        raise RuntimeError("the caller fails after attaching")
    assert callbacks == [] and DBTaskResult.objects.count() == before


def test_the_worker_computes_and_stores_the_statistics(attached, computed, client):
    from django_tasks_db.models import DBTaskResult

    from hygie.web.catalogue.models import Statistics

    run_jobs("statistics")
    stats = Statistics.objects.get(version=attached)
    assert stats.state == Statistics.State.DONE, stats.error
    assert (stats.progress, stats.step, stats.error) == (100, "done", "")
    assert stats.finished is not None
    assert stats.result == computed[0]  # the same released figures as the pure function
    assert DBTaskResult.objects.get(id=stats.task_id.partition(":")[2]).status == "SUCCESSFUL"
    status = client.get("/catalogue/snds/v1/statistics/status/").json()
    assert status["state"] == "done" and status["active"] is False and "error" not in status


def test_figures_of_synthetic_data_are_labelled_and_never_exported(attached, client):
    """The generator's manifest makes the version synthetic: its page says so beside the figures,
    and the HealthDCAT-AP export does not tell harvesters the sample's counts."""
    assert attached.lake_synthetic and (attached.first_year, attached.last_year) == (2019, 2022)
    run_jobs("statistics")
    page = client.get("/catalogue/snds/v1/statistics/").content.decode()
    assert 'class="tag synthetic"' in page and 'id="synthetic-note"' in page
    export = client.get("/catalogue/snds/dcat.ttl").content.decode()
    assert "numberOfUniqueIndividuals" not in export and "numberOfRecords" not in export


def test_real_data_are_not_labelled_synthetic(snds_version, lake, tmp_path,
                                              django_capture_on_commit_callbacks):
    """The same tables under another producer's manifest (an ingested extract) are real data."""
    import json
    import shutil

    from hygie.engine.lake import MANIFEST
    from hygie.web.catalogue.lake import attach_lake

    copy = tmp_path / "extract"
    shutil.copytree(lake.path, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["source"] = {"generator": "hygie.snds.ingest", "origin": "/data/extract"}
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with django_capture_on_commit_callbacks(execute=True):
        attach_lake(snds_version, copy)
    snds_version.refresh_from_db()
    assert not snds_version.lake_synthetic


def test_the_editors_hear_when_the_figures_are_ready_or_failed(
        attached, make_user, mailoutbox, django_capture_on_commit_callbacks):
    from hygie.web.catalogue.models import DatasetVersion

    make_user("editor-cnam", holder="cnam")
    make_user("other-editor", holder="atih")
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs("statistics")
    assert run_jobs("mail") == 1
    (mail,) = mailoutbox
    assert mail.to == ["editor-cnam@example.org"]
    assert "are ready" in mail.subject and "/catalogue/snds/v1/" in mail.body
    mailoutbox.clear()

    DatasetVersion.objects.filter(pk=attached.pk).update(lake_path="/nonexistent/lake")
    from hygie.web.catalogue.tasks import request_statistics

    with django_capture_on_commit_callbacks(execute=True):
        request_statistics(DatasetVersion.objects.get(pk=attached.pk))
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs("statistics")
    run_jobs("mail")
    (mail,) = mailoutbox
    assert "failed" in mail.subject
    assert "/nonexistent/lake" not in mail.body  # the reason is on the page, for editors


def test_a_failed_job_says_why_and_can_run_again(attached, make_user, signed_in,
                                                django_capture_on_commit_callbacks, client):
    from hygie.web.catalogue.models import DatasetVersion, Statistics

    DatasetVersion.objects.filter(pk=attached.pk).update(lake_path="/nonexistent/lake")
    run_jobs("statistics")
    stats = Statistics.objects.get(version=attached)
    assert stats.state == Statistics.State.FAILED and stats.result == {}
    assert "/nonexistent/lake" in stats.error and "no such dataset folder" in stats.error
    # The public sees that it failed, not why; the holder's editors see why.
    page = client.get("/catalogue/snds/").content.decode()
    assert "/nonexistent/lake" not in page
    assert "error" not in client.get("/catalogue/snds/v1/statistics/status/").json()
    editor = make_user("ed", holder="cnam", totp=True)
    c = signed_in(editor)
    assert "/nonexistent/lake" in c.get("/catalogue/snds/").content.decode()
    assert c.get("/catalogue/snds/v1/statistics/status/").json()["error"] == stats.error
    # Put the data back, and run again from the button.
    DatasetVersion.objects.filter(pk=attached.pk).update(lake_path=attached.lake_path)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post("/catalogue/snds/v1/statistics/compute/")
    assert response.status_code == 302
    run_jobs("statistics")
    stats.refresh_from_db()
    assert stats.state == Statistics.State.DONE and stats.error == ""
    assert stats.result["individuals"] > 1000


def test_a_changed_lake_is_refused_until_attached_again(attached):
    from hygie.web.catalogue.models import Statistics

    manifest = Path(attached.lake_path) / "manifest.json"
    original = manifest.read_bytes()
    try:
        manifest.write_bytes(original.replace(b'"kind"', b'"kind" ', 1))
        run_jobs("statistics")
    finally:
        manifest.write_bytes(original)
    stats = Statistics.objects.get(version=attached)
    assert stats.state == Statistics.State.FAILED
    assert "changed after it was attached" in stats.error


def test_a_newer_request_supersedes_a_running_job(attached):
    from hygie.web.catalogue.models import Statistics
    from hygie.web.catalogue.tasks import request_statistics, run_statistics

    first = Statistics.objects.get(version=attached).task_id.partition(":")[0]
    calls = []

    def meanwhile(percent: int, step: str) -> None:
        calls.append(step)
        if step == "years":  # someone asks again while the first job runs
            request_statistics(attached, via="test", token="newer")

    assert run_statistics(attached.pk, first, on_progress=meanwhile) == "superseded"
    stats = Statistics.objects.get(version=attached)
    assert stats.state == Statistics.State.QUEUED and stats.result == {}
    assert stats.task_id == "newer"
    assert calls[-1] == "years"  # it stopped at its next step, writing nothing more
    assert run_statistics(attached.pk, first) == "superseded"  # and cannot start again


# --- who may start it ----------------------------------------------------------------------------


def test_only_editors_of_the_holder_and_the_catalogue_team_may_compute(
        attached, make_user, signed_in, client, django_capture_on_commit_callbacks):
    from django.test import Client

    from hygie.web.accounts.models import Role
    from hygie.web.audit.models import AuditEvent
    from hygie.web.catalogue.models import Statistics

    url = "/catalogue/snds/v1/statistics/compute/"
    Statistics.objects.filter(version=attached).update(state=Statistics.State.DONE)
    assert client.post(url).status_code == 403  # anonymous
    outsider = make_user("other", holder="another-holder", totp=True)
    assert signed_in(outsider).post(url).status_code == 403
    assert client.get(url).status_code == 405  # GET never starts a job
    client.post("/accounts/logout/")
    # CSRF: a form posted from elsewhere is refused.
    team = make_user("team", role=str(Role.CATALOGUE_TEAM), totp=True)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(team)
    session = strict.session
    session["otp_device_id"] = team.device.persistent_id
    session.save()
    assert strict.post(url).status_code == 403
    assert Statistics.objects.get(version=attached).state == Statistics.State.DONE
    page = strict.get("/catalogue/snds/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = strict.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Statistics.objects.get(version=attached).state == Statistics.State.QUEUED
    assert AuditEvent.objects.filter(action="catalogue.statistics_requested", actor=team,
                                     detail__via="web").count() == 1
    # Asking again while the job waits does not queue a second one.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        strict.post(url, {"csrfmiddlewaretoken": token})
    assert callbacks == []
    assert AuditEvent.objects.filter(action="catalogue.statistics_requested",
                                     actor=team).count() == 1


def test_the_button_is_shown_to_editors_only(attached, make_user, signed_in, client):
    button = "/catalogue/snds/v1/statistics/compute/"
    from hygie.web.catalogue.models import Statistics

    Statistics.objects.filter(version=attached).update(state=Statistics.State.DONE)
    assert button not in client.get("/catalogue/snds/").content.decode()
    editor = make_user("ed", holder="cnam", totp=True)
    assert button in signed_in(editor).get("/catalogue/snds/").content.decode()


def test_a_version_without_data_has_no_statistics(snds_version, make_user, signed_in):
    from hygie.web.catalogue.models import Statistics

    editor = make_user("ed", holder="cnam", totp=True)
    c = signed_in(editor)
    page = c.get("/catalogue/snds/").content.decode()
    assert 'id="statistics"' not in page
    response = c.post("/catalogue/snds/v1/statistics/compute/", follow=True)
    text = response.content.decode()
    assert "statistics need a lake dataset" in text or "demandent un jeu de données du lac" in text
    assert not Statistics.objects.filter(version=snds_version).exists()


def test_management_command(attached, capsys):
    from django.core.management import CommandError, call_command

    from hygie.web.catalogue.models import DatasetVersion, Statistics

    call_command("compute_statistics", "snds", "--wait")
    out = capsys.readouterr().out
    assert "100% done" in out and "individuals" in out
    assert Statistics.objects.get(version=attached).state == Statistics.State.DONE
    with pytest.raises(CommandError, match="no version"):
        call_command("compute_statistics", "snds", "--version", "99")
    DatasetVersion.objects.filter(pk=attached.pk).update(lake_path="")
    with pytest.raises(CommandError, match="attach one first"):
        call_command("compute_statistics", "snds")


# --- the page ------------------------------------------------------------------------------------


def store(version: Any, result: dict[str, Any], state: str = "done", **fields: Any) -> None:
    from hygie.web.catalogue.models import Statistics

    Statistics.objects.update_or_create(version=version, defaults={
        "state": state, "result": result, "progress": 100 if state == "done" else 40,
        "step": "done" if state == "done" else "years", **fields})


def test_the_page_shows_the_charts_with_their_tables(snds_version, computed, client):
    from hygie.web.catalogue.models import DatasetVersion

    result = computed[0]
    DatasetVersion.objects.filter(pk=snds_version.pk).update(lake_path="/somewhere")
    store(snds_version, result)
    page = client.get("/catalogue/snds/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    for chart in ("chart-pyramid", "chart-people-per-year", "chart-records-per-year",
                  "chart-top-atc", "chart-top-cim10", "chart-top-ccam"):
        svg = re.search(rf'<svg [^>]*id="{chart}"[^>]*>', page)
        assert svg, chart
        assert 'role="img"' in svg.group(0)
        assert f'aria-labelledby="{chart}-title"' in svg.group(0)
        assert re.search(rf'<title id="{chart}-title">[^<]+</title>', page)
    assert "<script" not in page.split('id="statistics"')[1].split("</section>")[0]
    assert ' style="' not in page
    # Numbers in French: grouped with a (narrow) no-break space.
    individuals = f"{result['individuals']:,}".replace(",", "\u202f")
    assert individuals in page or individuals.replace("\u202f", "\xa0") in page
    # The data tables give every figure, hidden ones said so.
    table = page.split('id="figure-pyramid"')[1].split("</figure>")[0]
    men_5_9 = next(c["people"] for c in result["age_pyramid"]
                   if c["band"] == "5-9" and c["sex"] == 1)
    assert men_5_9 is not None and men_5_9 < 1000
    assert f'<th scope="row">5-9</th><td class="num">{men_5_9}</td>' in table
    if any(c["people"] is None for c in result["age_pyramid"]):
        assert "masqué" in table or "hidden" in table  # French once the catalogue is compiled
    # The name beside the code in the bar, first letter capitalised ("N02BE01 Paracetamol").
    top = result["top_codes"]["ATC"][0]
    name = top["label"][:1].upper() + top["label"][1:]
    assert f'>{top["code"]} {name}</text>' in page or f'<title>{top["code"]} {name}</title>' in page


def test_a_running_job_shows_its_progress(snds_version, client):
    from hygie.web.catalogue.models import DatasetVersion

    DatasetVersion.objects.filter(pk=snds_version.pk).update(lake_path="/somewhere")
    store(snds_version, {}, state="running")
    page = client.get("/catalogue/snds/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = page.split('id="statistics"')[1].split("</section>")[0]
    assert '<progress id="statistics-progress" max="100" value="40">' in section
    assert 'data-polling="1"' in section
    assert re.search(r'<script src="/static/hygie/statistics\.js[^"]*" defer>', section)
    status = client.get("/catalogue/snds/v1/statistics/status/",
                        HTTP_ACCEPT_LANGUAGE="en").json()
    assert status == {"state": "running", "progress": 40, "step": "Counting the records by year",
                      "active": True, "finished": None}
    fragment = client.get("/catalogue/snds/v1/statistics/").content.decode()
    assert fragment.lstrip().startswith("<section id=\"statistics\"") or 'id="statistics"' in fragment
    assert "<html" not in fragment


def test_drafts_statistics_are_not_readable_by_the_public(snds_version, client):
    from hygie.catalogue.spec import TableSpec, VariableSpec, VersionSpec
    from hygie.web.catalogue.importer import import_version

    draft = import_version(snds_version.dataset, VersionSpec(tables=(
        TableSpec("T", variables=(VariableSpec("X"),)),)))
    store(draft, {"individuals": 1000})
    for url in ("statistics/", "statistics/status/"):
        assert client.get(f"/catalogue/snds/v{draft.number}/{url}").status_code == 404


# --- the relations diagram -----------------------------------------------------------------------


def test_the_relations_diagram_of_each_product_shows_its_tables_and_keys(snds_version, client):
    from hygie.web.catalogue.diagram import relations_view
    from hygie.web.catalogue.models import Relation

    view = relations_view(snds_version)
    assert view is not None and len(view.products) >= 10
    for product in view.products:  # (its speed is the web benchmark's dataset page)
        response = client.get("/catalogue/snds/", {"relations": product.name})
        page = response.content.decode()
        svg = re.search(r'<svg [^>]*id="relations-diagram".*?</svg>', page, re.S)
        assert svg, product.name
        # Every table of the product is a box linking to its page; every key an arrow.
        links = re.findall(r'<a href="(/catalogue/snds/v1/tables/[^"]+/)" class="diagram-table">',
                           svg.group(0))
        tables = snds_version.tables.filter(product=product.name).values_list("name", flat=True)
        for name in tables:
            assert f"/catalogue/snds/v1/tables/{name}/" in links
        pairs = {(r.table.name, r.ref_table) for r in Relation.objects.filter(
            table__version=snds_version, table__product=product.name).select_related("table")
            if r.ref_table != r.table.name}
        assert len(re.findall(r'<path d="M[^"]*" fill="none"', svg.group(0))) == len(pairs)
        assert f'<option value="{product.name}" selected>' in page
        assert response.status_code == 200


def test_the_diagram_has_a_text_alternative(snds_version, client):
    page = client.get("/catalogue/snds/", {"relations": "DCIR"}).content.decode()
    listing = page.split('class="relations-list"')[1].split("</ul>")[0]
    assert re.search(r'<a href="/catalogue/snds/v1/tables/ER_PHA_F/">ER_PHA_F</a>\s*→\s*'
                     r'<a href="/catalogue/snds/v1/tables/ER_PRS_F/">ER_PRS_F</a>', listing)
    assert "(BENEFICIAIRE)" in listing  # IR_BEN_R, a table of another product
    # An unknown product falls back to the default one rather than failing.
    assert client.get("/catalogue/snds/", {"relations": "<script>"}).status_code == 200


def test_layout_places_every_box_apart_and_survives_cycles():
    from hygie.web.catalogue.diagram import BOX_H, BOX_W, Diagram, Edge, Node, lay_out, layers

    names = [f"T{i}" for i in range(15)]
    edges = [Edge(f"T{i}", "T0") for i in range(1, 14)] + [Edge("T14", "T13"), Edge("T0", "T14"),
                                                            Edge("T3", "T3")]
    depth = layers(names, edges)
    assert depth["T13"] == depth["T14"] - 1 or depth["T14"] == depth["T13"] + 1
    d = lay_out(Diagram("P", [Node(n) for n in names], edges), per_row=4)
    boxes = list(d.positions.values())
    assert len(boxes) == len(names)
    for i, (x1, y1) in enumerate(boxes):
        assert x1 >= 0 and x1 + BOX_W <= d.width and y1 >= 0 and y1 + BOX_H <= d.height
        for x2, y2 in boxes[i + 1:]:
            assert abs(x1 - x2) >= BOX_W or abs(y1 - y2) >= BOX_H


def test_a_job_that_cannot_be_queued_is_a_failure_not_a_wait(snds_version, lake, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    from hygie.web.catalogue import tasks
    from hygie.web.catalogue.lake import attach_lake
    from hygie.web.catalogue.models import Statistics

    def refuse(*args: Any) -> None:
        raise ConnectionError("task database unreachable")

    from django_tasks_db.backend import DatabaseBackend

    monkeypatch.setattr(DatabaseBackend, "enqueue", refuse)  # the task queue is down
    with django_capture_on_commit_callbacks(execute=True):
        attach_lake(snds_version, lake.path)
    stats = Statistics.objects.get(version=snds_version)
    assert stats.state == Statistics.State.FAILED
    assert stats.error == "the job could not be queued: ConnectionError: task database unreachable"
    assert not tasks.job_is_live(stats)


def test_svg_text_is_escaped():
    from hygie.web.catalogue.diagram import Diagram, Edge, Node, lay_out, render
    from hygie.web.svg import bar_chart

    evil = '<script>alert("x")</script>&'
    d = lay_out(Diagram("P", [Node(evil, url=f'/t/"{evil}'), Node("B")], [Edge(evil, "B", (evil,))]))
    out = str(render(d, "d", evil, evil)) + str(bar_chart("c", evil, evil, [(evil, 12)]))
    assert "<script" not in out and 'href="/t/&quot;&lt;script&gt;' in out
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in out
