"""Catalogue statistics and the HealthDCAT-AP export publish released figures only: every count
goes through the cell key of feasibility counts (perturbed, rounded to 5, under 11 hidden), so a
figure exact in the data never shows as such, and no figure from 1 to 10 ever shows.

The expected values are computed apart, in Python, from the people's identifiers
(`CellKey.count`, `CellKey.release` with the record keys of `CellKey.record_keys`), while the
statistics compute them in SQL inside DuckDB.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef

from hygie.catalogue.stats import (
    BANDS,
    CODE_SOURCES,
    SECRECY,
    SEXES,
    UNKNOWN,
    ExactFigures,
    compute,
    release,
)
from hygie.engine.lake import Dataset, DatasetWriter, write_parquet
from hygie.pseudo.keys import Secret
from hygie.sdc import KEY_MODULUS, THRESHOLD, CellKey, cell_key_of
from tests.web.helpers import run_jobs
from tests.web.test_statistics import counts_of
from tests.web.test_statistics import exact_figures as exact_without_keys

SECRET_HEX = "5a" * 32
HEALTH = "http://healthdataportal.eu/ns/health#"


def cell_key() -> CellKey:
    return CellKey.from_secret(Secret(bytes.fromhex(SECRET_HEX)))


def write_lake(path: Path, tables: dict[str, pa.Table]) -> Dataset:
    with DatasetWriter(path, kind="snds") as w:
        for name, table in tables.items():
            write_parquet(table, w.part_path(name, 0))
        return w.commit()


def people_and_lines(n: int, lines_per_person: int = 3) -> dict[str, pa.Table]:
    """`n` people born in 1950-1989, half men, each with a few DCIR lines in 2020 and 2021."""
    ids = [f"P{i:05d}" for i in range(n)]
    ben = pa.table({"BEN_NIR_PSA": [f"N{i:05d}" for i in range(n)], "BEN_RNG_GEM": [1] * n,
                    "BEN_NIR_ANO": ids,
                    "BEN_NAI_ANN": pa.array([1950 + i % 40 for i in range(n)], pa.int64()),
                    "BEN_SEX_COD": [1 + i % 2 for i in range(n)],
                    "BEN_DCD_DTE": pa.array([None] * n, pa.date32())})
    who = [i for i in range(n) for _ in range(1 + i % lines_per_person)]
    dates = [dt.date(2020 + k % 2, 3, 1) for k in range(len(who))]
    prs = pa.table({"BEN_NIR_PSA": [f"N{i:05d}" for i in who],
                    "BEN_RNG_GEM": pa.array([1] * len(who), pa.int64()),
                    "EXE_SOI_DTD": pa.array(dates, pa.date32())})
    return {"IR_BEN_R": ben, "ER_PRS_F": prs}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, dict[str, pa.Table]]:
    tables = people_and_lines(1234)
    return write_lake(tmp_path_factory.mktemp("released") / "lake", tables), tables


def expected_figures(tables: dict[str, pa.Table]) -> dict[str, Any]:
    """What the cell key releases for this data, worked out in Python from the identifiers."""
    ck = cell_key()
    ben = tables["IR_BEN_R"].to_pylist()
    person = {r["BEN_NIR_PSA"]: r["BEN_NIR_ANO"] for r in ben}
    lines = [(person[r["BEN_NIR_PSA"]], r["EXE_SOI_DTD"].year)
             for r in tables["ER_PRS_F"].to_pylist()]
    out: dict[str, Any] = {"individuals": (len(ben), ck.count(r["BEN_NIR_ANO"] for r in ben)),
                           "records": (len(lines), ck.release(
                               len(lines), cell_key_of(ck.record_keys(p for p, _ in lines))))}
    for year in sorted({y for _, y in lines}):
        of_year = [p for p, y in lines if y == year]
        out[f"records.{year}"] = (len(of_year),
                                  ck.release(len(of_year), cell_key_of(ck.record_keys(of_year))))
        out[f"people.{year}"] = (len(set(of_year)), ck.count(of_year))
    return out


# --- the statistics: perturbed figures, computed in the engine ----------------------------------


def test_every_count_is_the_cell_keys_release_never_the_exact_one(lake):
    dataset, tables = lake
    result = compute(dataset, cell_key=cell_key())
    assert result["secrecy"] == SECRECY
    expected = expected_figures(tables)
    released = {"individuals": result["individuals"], "records": result["records"]}
    for y in result["years"]:
        released[f"records.{y['year']}"] = y["records"]
        released[f"people.{y['year']}"] = y["people"]
    assert set(released) == set(expected)
    moved = 0
    for where, (exact, wanted) in expected.items():
        assert released[where] == wanted.value, where  # the SQL and Python cell keys agree
        assert wanted.value is not None and wanted.value % 5 == 0
        assert abs(wanted.value - exact) <= 7
        moved += wanted.value != exact
    # The noise moves figures: 1,234 people do not show as 1,234.
    assert result["individuals"] != 1234
    assert moved >= len(expected) - 1


def test_pyramid_cells_are_released_by_the_cell_key(lake):
    dataset, tables = lake
    ck = cell_key()
    result = compute(dataset, cell_key=ck)
    ben = tables["IR_BEN_R"].to_pylist()
    cells: dict[tuple[str, int], list[str]] = {}
    for r in ben:
        age = 2021 - r["BEN_NAI_ANN"]
        band = BANDS[min(age // 5, len(BANDS) - 1)]
        cells.setdefault((band, r["BEN_SEX_COD"]), []).append(r["BEN_NIR_ANO"])
    shown = [c for c in result["age_pyramid"] if c["people"] is not None]
    assert shown
    for c in shown:
        ids = cells[(c["band"], c["sex"])]
        assert c["people"] == ck.count(ids).value
        assert c["people"] % 5 == 0 and c["people"] >= THRESHOLD


def test_the_statistics_job_the_page_and_the_export_show_released_figures(
        lake, db, client, monkeypatch, django_capture_on_commit_callbacks):
    from django.contrib.humanize.templatetags.humanize import intcomma

    from hygie.web.catalogue.lake import attach_lake
    from hygie.web.catalogue.models import DatasetVersion, Statistics

    monkeypatch.setenv("HYGIE_PSEUDO_SECRET", SECRET_HEX)
    monkeypatch.delenv("HYGIE_PSEUDO_SECRET_FILE", raising=False)
    dataset, tables = lake
    version = DatasetVersion.objects.get(dataset__slug="snds", number=1)
    with django_capture_on_commit_callbacks(execute=True):
        attach_lake(version, dataset.path)
    run_jobs("statistics")
    stats = Statistics.objects.get(version=version)
    assert stats.state == Statistics.State.DONE, stats.error
    wanted = expected_figures(tables)
    individuals, records = wanted["individuals"][1].value, wanted["records"][1].value
    assert (stats.result["individuals"], stats.result["records"]) == (individuals, records)
    assert individuals != 1234

    g = Graph().parse(data=client.get("/catalogue/snds/dcat.ttl").content, format="turtle")
    snds = URIRef("http://testserver/catalogue/snds/")
    assert int(str(g.value(snds, URIRef(HEALTH + "numberOfUniqueIndividuals")))) == individuals
    assert int(str(g.value(snds, URIRef(HEALTH + "numberOfRecords")))) == records

    page = client.get("/catalogue/snds/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = page.split('id="statistics"')[1].split("</section>")[0]
    assert f">{intcomma(individuals)}<" in section
    assert f">{intcomma(1234)}<" not in section and ">1234<" not in section


def test_figures_stored_before_the_cell_key_are_neither_shown_nor_exported(db, client):
    from hygie.web.catalogue.models import DatasetVersion, Statistics

    version = DatasetVersion.objects.get(dataset__slug="snds", number=1)
    DatasetVersion.objects.filter(pk=version.pk).update(lake_path="/somewhere")
    Statistics.objects.create(version=version, state=Statistics.State.DONE, result={
        "records": 98765, "individuals": 4321, "age_min": 3, "age_max": 90, "years": [],
        "age_pyramid": [], "top_codes": {}})
    ttl = client.get("/catalogue/snds/dcat.ttl").content.decode()
    assert "4321" not in ttl and "98765" not in ttl and "numberOfRecords" not in ttl
    page = client.get("/catalogue/snds/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "4,321" not in page and "4321" not in page and "98,765" not in page


# --- no figure from 1 to 10, as a property ----------------------------------------------------------


def assert_released(exact: ExactFigures | None, result: dict[str, Any]) -> None:
    for where, value in counts_of(result):
        assert value is None or (isinstance(value, int) and value >= THRESHOLD
                                 and value % 5 == 0), (where, value)


keys = st.integers(0, KEY_MODULUS - 1)
# test_statistics' exact figures, each count with a cell key.
exact_figures = st.builds(
    dataclasses.replace, exact_without_keys,
    people_keys=st.dictionaries(st.tuples(st.sampled_from([*BANDS, UNKNOWN]),
                                          st.sampled_from([*SEXES, UNKNOWN])), keys),
    records_keys=st.dictionaries(st.integers(2015, 2023) | st.just(UNKNOWN), keys),
    people_by_year_keys=st.dictionaries(st.integers(2015, 2023), keys),
    code_keys=st.fixed_dictionaries({s: st.dictionaries(st.sampled_from(["E119", "I10", "Z000"]),
                                                        keys) for s in CODE_SOURCES}),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exact_figures)
def test_released_counts_are_perturbed_rounded_and_never_1_to_10(exact):
    ck = cell_key()
    result = release(exact, ck)
    assert_released(exact, result)
    # Each shown count is the cell key's release of its exact count and key.
    population = sum(exact.people_by_age_sex.values())
    if result["individuals"] is not None:
        key = sum(exact.people_keys.values()) % KEY_MODULUS
        assert result["individuals"] == ck.release_sum(population, key).value
    for y in result["years"]:
        if y["people"] is not None:
            n = exact.people_by_year.get(y["year"], 0)
            assert y["people"] == ck.release_sum(n, exact.people_by_year_keys.get(y["year"], 0)).value
    for system, top in result["top_codes"].items():
        people = [t["people"] for t in top if t["people"] is not None]
        assert people == sorted(people, reverse=True)  # listed by released count
        exact_of = dict(exact.codes[system])
        for t in top:
            if t["people"] is not None:
                assert abs(t["people"] - exact_of[t["code"]]) <= 7


@st.composite
def tiny_lakes(draw: st.DrawFn) -> dict[str, pa.Table]:
    """A few to a few dozen people and their DCIR lines."""
    n = draw(st.integers(1, 60))
    tables = people_and_lines(n, draw(st.integers(1, 4)))
    keep = draw(st.integers(0, tables["ER_PRS_F"].num_rows))
    return {"IR_BEN_R": tables["IR_BEN_R"], "ER_PRS_F": tables["ER_PRS_F"].slice(0, keep)}


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tables=tiny_lakes())
def test_no_figure_from_1_to_10_in_the_statistics_or_the_export(tmp_path, db, tables):
    from hygie.catalogue import dcat
    from hygie.web.catalogue.models import DatasetVersion, Statistics
    from hygie.web.dcat.export import describe

    result = compute(write_lake(tmp_path / uuid.uuid4().hex, tables), cell_key=cell_key())
    assert_released(None, result)
    version = DatasetVersion.objects.select_related("dataset__holder").get(
        dataset__slug="snds", number=1)
    Statistics.objects.update_or_create(version=version, defaults={
        "state": Statistics.State.DONE, "result": result})
    version = DatasetVersion.objects.select_related("dataset__holder", "statistics").get(
        pk=version.pk)
    ttl = dcat.serialise(dcat.dataset_graph(describe(version, "http://testserver")), "ttl")
    for prop in ("numberOfRecords", "numberOfUniqueIndividuals"):
        for value in re.findall(rf'{prop} "?(\d+)', ttl.decode()):
            assert int(value) >= THRESHOLD and int(value) % 5 == 0, (prop, value)
