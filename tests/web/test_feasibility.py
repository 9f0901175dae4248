"""Feasibility: saved cohorts (builder, YAML editor), counts under secrecy run by the background
worker on a real synthetic SNDS, owner-only access, enquiries to data holders, and the API."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hygie.cohorts.model import Cohort
from hygie.engine.engines import DuckDBEngine
from hygie.engine.lake import Dataset as LakeDataset
from hygie.engine.lake import DatasetWriter
from hygie.pseudo.keys import Secret
from hygie.pseudo.oppositions import SCHEMA, OppositionRegister
from hygie.sdc.cellkey import CellKey
from hygie.snds.views import attach_snds
from hygie.web.audit.models import AuditEvent
from hygie.web.catalogue.lake import attach_lake
from hygie.web.catalogue.models import DataHolder, Dataset, DatasetVersion, Status
from hygie.web.feasibility import counting, services
from hygie.web.feasibility.models import CountState, Enquiry, SavedCohort
from tests.web.helpers import login, run_jobs

pytestmark = pytest.mark.django_db

SECRET_HEX = "cd" * 32
T2D = """name: t2d
title: Type 2 diabetes, adults
period: {start: 2020-01-01, end: 2021-12-31}
codelists:
  t2d: {system: CIM10, codes: ["E11*"]}
  metformin: {system: ATC, codes: [A10BA02]}
entry:
  any_of:
    - diagnosed: t2d
    - dispensed: metformin
require:
  - age_at_index: {min: 18}
"""


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic SNDS of 800 people, 2019-2022 (hygie synth, as in production)."""
    out = tmp_path_factory.mktemp("feasibility") / "snds"
    subprocess.run([sys.executable, "-m", "hygie.cli", "synth", "--patients", "800", "--years",
                    "2019-2022", "--out", str(out), "--workers", "1", "--seed", "7"],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def lake_without_lab(lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same data without the DCIR laboratory table (ER_BIO_F)."""
    out = tmp_path_factory.mktemp("feasibility-nolab") / "snds"
    source = LakeDataset.open(lake)
    with DatasetWriter(out, kind="snds", source=source.manifest.get("source", {})) as writer:
        for table in source.tables:
            if table == "ER_BIO_F":
                continue
            for i, f in enumerate(source.files(table)):
                shutil.copyfile(f, writer.part_path(table, i))
        writer.commit()
    return out


@pytest.fixture
def snds() -> DatasetVersion:
    return DatasetVersion.objects.get(dataset__slug="snds", status=Status.PUBLISHED)


@pytest.fixture
def counting_env(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> Path:
    """The platform secret set, and an opposition register of the test's own (absent at first)."""
    monkeypatch.setenv("HYGIE_PSEUDO_SECRET", SECRET_HEX)
    monkeypatch.delenv("HYGIE_PSEUDO_SECRET_FILE", raising=False)
    settings.HYGIE_OPPOSITION_REGISTER = tmp_path / "register" / "oppositions.parquet"
    return settings.HYGIE_OPPOSITION_REGISTER


@pytest.fixture
def with_lake(snds: DatasetVersion, lake: Path) -> DatasetVersion:
    attach_lake(snds, lake)
    return snds


def make_cohort(owner: Any, definition: str = T2D, name: str = "T2D") -> SavedCohort:
    return services.create_cohort(owner, Dataset.objects.get(slug="snds"), name, definition)


def builder_data(**over: str) -> dict[str, str]:
    """The builder's POST data: 3 entry rows, 5 criterion rows, all empty but what is given (the
    page starts with one entry row; the rows are added by its script or its buttons)."""
    data = {"name": "Type 2 diabetes", "dataset": "snds", "period_start": "2020-01-01",
            "period_end": "2021-12-31",
            "entry-TOTAL_FORMS": "3", "entry-INITIAL_FORMS": "0",
            "entry-MIN_NUM_FORMS": "0", "entry-MAX_NUM_FORMS": "3",
            "rule-TOTAL_FORMS": "5", "rule-INITIAL_FORMS": "0",
            "rule-MIN_NUM_FORMS": "0", "rule-MAX_NUM_FORMS": "5"}
    for i in range(3):
        data.update({f"entry-{i}-kind": "", f"entry-{i}-codes": "",
                     f"entry-{i}-diagnosis_in": "all", f"entry-{i}-at_least": "1"})
    for i in range(5):
        data.update({f"rule-{i}-mode": "require", f"rule-{i}-kind": "",
                     f"rule-{i}-diagnosis_in": "all", f"rule-{i}-at_least": "1"})
    data.update(over)
    return data


def actions(target: Any) -> list[str]:
    return list(AuditEvent.objects.filter(target_type=target._meta.label, target_id=str(target.pk))
                .order_by("pk").values_list("action", flat=True))


# --- the builder --------------------------------------------------------------------------------


def test_builder_writes_the_targeting_language(make_user):
    alice = make_user("alice")
    client = login(alice)
    response = client.post("/feasibility/new/", builder_data(**{
        "entry-0-kind": "diagnosed", "entry-0-codes": "e11*", "entry-0-diagnosis_in": "pmsi",
        "entry-1-kind": "dispensed", "entry-1-codes": "A10BA02, A10BB*",
        "entry-1-at_least": "2", "entry-1-within_days": "365",
        "rule-0-kind": "age", "rule-0-age_min": "18", "rule-0-age_max": "80",
        "rule-1-mode": "exclude", "rule-1-kind": "diagnosed", "rule-1-codes": "E10*",
        "rule-1-window_start": "-365",
        # row 2 left empty: rows in use need not be contiguous
        "rule-3-mode": "exclude", "rule-3-kind": "dispensed", "rule-3-codes": "A10A*",
        "rule-3-window_start": "-365", "rule-3-window_end": "-1", "rule-3-at_least": "2",
        "rule-4-kind": "sex", "rule-4-sex": "female"}))
    assert response.status_code == 302, response.content.decode()[-3000:]
    cohort = SavedCohort.objects.get(owner=alice)
    assert response["Location"] == f"/feasibility/cohorts/{cohort.pk}/"
    assert cohort.name == "Type 2 diabetes"
    built = Cohort.from_yaml(cohort.definition)
    expected = Cohort.from_yaml("""
name: type_2_diabetes
title: Type 2 diabetes
period: {start: 2020-01-01, end: 2021-12-31}
codelists:
  entry_1: {system: CIM10, codes: ["E11*"]}
  entry_2: {system: ATC, codes: [A10BA02, "A10BB*"]}
  criterion_2: {system: CIM10, codes: ["E10*"]}
  criterion_4: {system: ATC, codes: ["A10A*"]}
entry:
  any_of:
    - diagnosed: entry_1
      in: [pmsi_main, pmsi_related, pmsi_associated]
    - {dispensed: entry_2, at_least: 2, within: 365 days}
require:
  - age_at_index: {min: 18, max: 80}
  - sex: female
exclude:
  - {diagnosed: criterion_2, window: [-365 days, 0 days]}
  - {dispensed: criterion_4, window: [-365 days, -1 day], at_least: 2}
""")
    assert built.model_dump() == expected.model_dump()
    assert actions(cohort) == ["feasibility.cohort_created"]
    # The definition compiles to SQL on both engines: it is a definition like any other.
    assert "STARTS_WITH" in built.sql("duckdb").upper()


def test_builder_shows_problems_next_to_their_fields(make_user):
    client = login(make_user("alice"))
    # A code of the wrong form: the message sits next to that row's codes field.
    response = client.post("/feasibility/new/", builder_data(**{
        "entry-0-kind": "dispensed", "entry-0-codes": "A10BA02",
        "entry-1-kind": "diagnosed", "entry-1-codes": "E11*, 12345"}))
    assert response.status_code == 200
    page = response.content.decode()
    errors = re.search(r'class="[^"]*fr-error-text[^"]*" id="id_entry-1-codes_error">(.*?)</div>',
                       page, re.S)
    assert errors and "12345" in errors.group(1)
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_entry-1-codes"|'
                     r'<input[^>]*id="id_entry-1-codes"[^>]*aria-invalid="true"', page)
    assert not SavedCohort.objects.exists()
    # within without at_least 2: on the row's within field.
    page = client.post("/feasibility/new/", builder_data(**{
        "entry-0-kind": "lab", "entry-0-codes": "1577", "entry-0-within_days": "30"})
    ).content.decode()
    assert re.search(r'id="id_entry-0-within_days_error">within needs at_least', page)
    # No entry event at all; an age criterion without bounds.
    page = client.post("/feasibility/new/", builder_data(**{"rule-0-kind": "age"})).content.decode()
    assert "Choose at least one entry event." in page
    assert 'id="id_rule-0-age_min_error"' in page
    assert not SavedCohort.objects.exists()


# --- the YAML editor ------------------------------------------------------------------------------


def test_yaml_editor_names_the_place_of_each_problem(make_user):
    alice = make_user("alice")
    client = login(alice)
    bad = T2D + "exclude:\n  - dispensed: metformin\n    window: [-1 day, -365 days]\n"
    response = client.post("/feasibility/new/yaml/", {"name": "x", "dataset": "snds",
                                                      "definition": bad})
    assert response.status_code == 200
    page = response.content.decode()
    errors = re.search(r'id="id_definition_error">(.*?)</div>', page, re.S)
    assert errors and "exclude[0].window: start after end" in errors.group(1)
    assert 'aria-describedby="id_definition_helptext id_definition_error"' in page
    # A YAML syntax error names its line and column.
    page = client.post("/feasibility/new/yaml/", {"name": "x", "dataset": "snds",
                                                  "definition": "name: [x\nperiod: 1\n"}
                       ).content.decode()
    assert re.search(r"line \d+, column \d+", page)
    # Free text is escaped, never markup.
    page = client.post("/feasibility/new/yaml/", {"name": "x", "dataset": "snds",
                                                  "definition": T2D + "<script>x</script>: 1\n"}
                       ).content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert not SavedCohort.objects.exists()
    # A good one is saved, and audited.
    response = client.post("/feasibility/new/yaml/", {"name": "T2D", "dataset": "snds",
                                                      "definition": T2D})
    cohort = SavedCohort.objects.get(owner=alice)
    assert response.status_code == 302 and cohort.definition == T2D
    assert actions(cohort) == ["feasibility.cohort_created"]


def test_code_lists_from_files_are_refused(make_user, tmp_path, monkeypatch):
    """A definition on the platform cannot make the server read its own files."""
    (tmp_path / "secret.csv").write_text("token\nSECRET-VALUE-123\n")
    monkeypatch.chdir(tmp_path)
    client = login(make_user("alice"))
    definition = T2D.replace('t2d: {system: CIM10, codes: ["E11*"]}',
                             "t2d: {system: CIM10, from_csv: secret.csv}")
    page = client.post("/feasibility/new/yaml/", {"name": "x", "dataset": "snds",
                                                  "definition": definition}).content.decode()
    assert "codelists.t2d.from_csv: code list files cannot be used" in page
    assert "SECRET-VALUE" not in page, page[page.find("SECRET-VALUE") - 300:][:600]
    assert "columns: token" not in page
    assert not SavedCohort.objects.exists()


def test_editing_clears_counts_and_is_audited(make_user):
    alice = make_user("alice")
    cohort = make_cohort(alice)
    SavedCohort.objects.filter(pk=cohort.pk).update(counts=[["entry", "20"]],
                                                    count_state=CountState.DONE)
    client = login(alice)
    # The form expresses this definition: the edit page is the builder; ?as=yaml, the editor.
    assert 'value="E11*"' in client.get(f"/feasibility/cohorts/{cohort.pk}/edit/").content.decode()
    assert T2D.splitlines()[0] in client.get(f"/feasibility/cohorts/{cohort.pk}/edit/?as=yaml"
                                             ).content.decode()
    new = T2D.replace("min: 18", "min: 40")
    response = client.post(f"/feasibility/cohorts/{cohort.pk}/edit/",
                           {"name": "T2D 40+", "dataset": "snds", "definition": new})
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert (cohort.name, cohort.definition, cohort.counts) == ("T2D 40+", new, [])
    assert cohort.count_state == CountState.NONE
    assert actions(cohort) == ["feasibility.cohort_created", "feasibility.cohort_updated"]
    response = client.post(f"/feasibility/cohorts/{cohort.pk}/delete/")
    assert response.status_code == 302 and not SavedCohort.objects.filter(pk=cohort.pk).exists()
    assert actions(cohort)[-1] == "feasibility.cohort_deleted"


# --- owner-only access ----------------------------------------------------------------------------


def test_a_cohort_is_its_owners_only(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    team = make_user("team", role="catalogue-team", totp=True)
    cohort = make_cohort(alice)
    base = f"/feasibility/cohorts/{cohort.pk}/"
    assert login(alice).get(base).status_code == 200
    for other in (login(bob), login(team)):
        for url in (base, base + "edit/", base + "status/", base + "delete/"):
            assert other.get(url).status_code == 404, url
        for url in (base + "edit/", base + "count/", base + "delete/"):
            assert other.post(url, {"name": "mine", "dataset": "snds",
                                    "definition": T2D}).status_code == 404, url
        assert other.get(f"/api/feasibility/cohorts/{cohort.pk}").status_code == 404
        assert other.get(f"/api/feasibility/cohorts/{cohort.pk}/counts").status_code == 404
        assert other.post(f"/api/feasibility/cohorts/{cohort.pk}/counts").status_code == 404
        assert "T2D" not in other.get("/feasibility/").content.decode()
        assert other.get("/api/feasibility/cohorts").json() == []
    cohort.refresh_from_db()
    assert cohort.name == "T2D" and cohort.count_state == CountState.NONE
    assert actions(cohort) == ["feasibility.cohort_created"]
    # Not signed in: to the login page.
    response = Client().get(base)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_every_post_needs_the_csrf_token(make_user):
    alice = make_user("alice")
    cohort = make_cohort(alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/feasibility/cohorts/{cohort.pk}/count/").status_code == 403
    assert client.post(f"/feasibility/cohorts/{cohort.pk}/delete/").status_code == 403
    assert client.post("/feasibility/new/yaml/", {"name": "x", "dataset": "snds",
                                                  "definition": T2D}).status_code == 403
    response = client.post("/api/feasibility/cohorts", json.dumps(
        {"name": "x", "dataset": "snds", "definition": T2D}), content_type="application/json")
    assert response.status_code == 403
    assert SavedCohort.objects.count() == 1 and cohort.count_state == CountState.NONE
    # With the token (from the cookie, as the pages send it), the API accepts the write.
    client.get("/feasibility/")
    token = client.cookies["csrftoken"].value
    response = client.post("/api/feasibility/cohorts", json.dumps(
        {"name": "x", "dataset": "snds", "definition": T2D}), content_type="application/json",
        headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.content


# --- counts ---------------------------------------------------------------------------------------


def expected_marks(definition: str, lake: Path, register: OppositionRegister | None) -> list[str]:
    """The marks `Cohort.feasibility` releases for a definition, computed apart from the app."""
    engine = DuckDBEngine()
    try:
        attach_snds(engine, LakeDataset.open(lake))
        return [r.mark for _label, r in Cohort.from_yaml(definition).feasibility(
            engine, Secret(bytes.fromhex(SECRET_HEX)), register)]
    finally:
        engine.close()


def test_counts_run_in_the_background_and_store_released_marks(make_user, with_lake, lake,
                                                               counting_env):
    alice = make_user("alice")
    cohort = make_cohort(alice)
    client = login(alice)
    assert client.get(f"/feasibility/cohorts/{cohort.pk}/status/").json()["state"] == "none"
    response = client.post(f"/feasibility/cohorts/{cohort.pk}/count/")
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.count_state == CountState.QUEUED and cohort.count_task
    status = client.get(f"/feasibility/cohorts/{cohort.pk}/status/").json()
    assert status["counting"] is True and status["state"] == "queued"
    # Asking again while it is queued queues nothing more.
    client.post(f"/feasibility/cohorts/{cohort.pk}/count/")
    assert not counting_env.exists()  # the register is made by the job, not the page
    assert run_jobs("feasibility") == 1
    cohort.refresh_from_db()
    assert cohort.count_state == CountState.DONE, cohort.count_error
    assert cohort.counted_version == with_lake and cohort.counted is not None
    # The register was created, empty, with its schema.
    assert pq.read_table(counting_env).schema.equals(SCHEMA, check_metadata=False)
    labels = [label for label, _mark in cohort.counts]
    assert labels[0].startswith("entry: diagnosed t2d or dispensed metformin")
    assert labels[1] == "require: age at index 18+"
    marks = [mark for _label, mark in cohort.counts]
    assert marks == expected_marks(T2D, lake, OppositionRegister(counting_env))
    raw = Cohort.from_yaml(T2D).attrition(lake)
    for mark, (_label, n) in zip(marks, raw, strict=True):
        assert mark == "<11" or (int(mark) % 5 == 0 and int(mark) >= 11)
        if mark != "<11":
            assert abs(int(mark) - n) <= 7.5  # noise at most 5, then rounded to 5
    assert any(m != "<11" for m in marks), "the synthetic SNDS should hold some people"
    # The stored JSON holds the marks, nothing else.
    stored = SavedCohort.objects.filter(pk=cohort.pk).values_list("counts", flat=True).get()
    assert stored == [[label, mark] for label, mark in zip(labels, marks, strict=True)]
    # The page shows them in a table with a caption explaining the rules.
    page = client.get(f"/feasibility/cohorts/{cohort.pk}/").content.decode()
    table = re.search(r'<table class="counts">(.*?)</table>', page, re.S)
    assert table and "<caption>" in table.group(1)
    assert "rounded to 5" in table.group(1) and "under 11 are hidden" in table.group(1)
    assert "objected" in table.group(1)
    assert actions(cohort) == ["feasibility.cohort_created", "feasibility.count_requested",
                               "feasibility.cohort_counted"]
    api = client.get(f"/api/feasibility/cohorts/{cohort.pk}/counts").json()
    assert api["state"] == "done" and [s["people"] for s in api["steps"]] == marks


def test_objectors_are_left_out_of_the_counts(make_user, with_lake, lake, counting_env):
    alice = make_user("alice")
    cohort = make_cohort(alice)
    people = Cohort.from_yaml(T2D).people(lake).column("PERSON_KEY").to_pylist()
    assert len(people) >= 11
    OppositionRegister(counting_env).register(Secret(bytes.fromhex(SECRET_HEX)),
                                              [str(p) for p in people])
    services.request_count(cohort)
    run_jobs("feasibility")
    cohort.refresh_from_db()
    assert cohort.count_state == CountState.DONE
    assert [mark for _label, mark in cohort.counts] == ["<11", "<11"]


def test_count_errors_are_clear(make_user, snds, lake_without_lab, counting_env, monkeypatch):
    alice = make_user("alice")
    client = login(alice)
    cohort = make_cohort(alice)
    # No data attached to the published version: refused at once, with the reason.
    snds.lake_path = ""
    snds.save()
    response = client.post(f"/feasibility/cohorts/{cohort.pk}/count/", follow=True)
    assert "No data are attached to the published version" in response.content.decode()
    cohort.refresh_from_db()
    assert cohort.count_state == CountState.FAILED and cohort.count_error["code"] == "no_lake"
    assert run_jobs("feasibility") == 0
    # No secret: refused too.
    attach_lake(snds, lake_without_lab)
    monkeypatch.delenv("HYGIE_PSEUDO_SECRET")
    response = client.post(f"/feasibility/cohorts/{cohort.pk}/count/", follow=True)
    assert "secret is not configured" in response.content.decode()
    monkeypatch.setenv("HYGIE_PSEUDO_SECRET", SECRET_HEX)
    # A definition reading a table the data do not hold: the job says which.
    with_lab = T2D.replace("codelists:\n", "codelists:\n  hba1c: {system: NABM, codes: ['1577']}\n")
    lab = make_cohort(alice, with_lab + "exclude:\n  - lab: hba1c\n", "with lab")
    client.post(f"/feasibility/cohorts/{lab.pk}/count/")
    assert run_jobs("feasibility") == 1
    lab.refresh_from_db()
    assert lab.count_state == CountState.FAILED and lab.counts == []
    assert lab.count_error == {"code": "missing_tables", "detail": "ER_BIO_F"}
    status = client.get(f"/feasibility/cohorts/{lab.pk}/status/").json()
    assert status["counting"] is False
    assert "tables absent from the data" in status["error"] and "ER_BIO_F" in status["error"]
    assert str(lake_without_lab) not in status["error"]  # no server path shown
    assert actions(lab)[-2:] == ["feasibility.count_requested", "feasibility.count_failed"]
    assert "feasibility.count_refused" in actions(cohort)
    # The API answers 409 with the reason when a count cannot start.
    snds.lake_path = ""
    snds.save()
    response = client.post(f"/api/feasibility/cohorts/{cohort.pk}/counts")
    assert response.status_code == 409 and "No data are attached" in response.json()["detail"]


def test_in_cohort_names_the_owners_saved_cohorts_only(make_user, with_lake, lake, counting_env):
    alice, bob = make_user("alice"), make_user("bob")
    make_cohort(bob)  # bob's t2d: never alice's to build on
    uses = T2D.replace("name: t2d", "name: t2d_users") + "  - in_cohort: t2d\n"
    cohort = make_cohort(alice, uses, name="Builds on t2d")
    client = login(alice)
    client.post(f"/feasibility/cohorts/{cohort.pk}/count/")
    run_jobs("feasibility")
    cohort.refresh_from_db()
    assert cohort.count_state == CountState.FAILED
    assert cohort.count_error == {"code": "definition", "detail":
                                  "require[1].in_cohort: unknown cohort 't2d' (known: none)"}
    make_cohort(alice)  # now alice has one
    client.post(f"/feasibility/cohorts/{cohort.pk}/count/")
    run_jobs("feasibility")
    cohort.refresh_from_db()
    assert cohort.count_state == CountState.DONE, cohort.count_error
    assert cohort.counts[-1][0] == "require: in cohort t2d at any time"
    # Every member of t2d_users is in t2d: the same people as t2d itself.
    assert [m for _, m in cohort.counts][-1] == \
        expected_marks(T2D, lake, OppositionRegister(counting_env))[-1]


def test_an_edit_voids_a_count_under_way(make_user, with_lake, counting_env):
    alice = make_user("alice")
    cohort = make_cohort(alice)
    services.request_count(cohort)
    cohort.refresh_from_db()
    services.update_cohort(cohort, name=cohort.name, dataset=cohort.dataset,
                           definition=T2D.replace("min: 18", "min: 65"))
    assert run_jobs("feasibility") == 1
    cohort.refresh_from_db()
    assert cohort.count_state == CountState.NONE and cohort.counts == []


def test_ensure_register_creates_it_once(tmp_path):
    path = tmp_path / "a" / "oppositions.parquet"
    register = counting.ensure_register(path)
    assert len(register) == 0 and pq.read_table(path).schema.equals(SCHEMA, check_metadata=False)
    register.register(Secret(b"k" * 32), ["p1"])
    counting.ensure_register(path)  # present: kept as it is
    assert len(OppositionRegister(path)) == 1
    assert [p.name for p in path.parent.iterdir()] == ["oppositions.parquet"]  # no leftovers


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(counts=st.lists(st.integers(min_value=0, max_value=50_000), min_size=1, max_size=6),
       keys=st.lists(st.integers(min_value=0, max_value=2**40), min_size=6, max_size=6),
       secret=st.binary(min_size=32, max_size=32))
def test_no_count_from_1_to_10_is_ever_shown(make_user, counts, keys, secret):
    """Whatever the true counts and cell keys, what is stored and shown is never 1 to 10."""
    cell_key = CellKey.from_secret(Secret(secret))
    released = [(f"step {i}", cell_key.release_sum(n, k)) for i, (n, k) in
                enumerate(zip(counts, keys, strict=False))]
    marks = counting.released_marks(released)
    for (_label, mark), n in zip(marks, counts, strict=False):
        assert not (mark.isdigit() and 1 <= int(mark) <= 10)
        if n < 11:
            assert mark == "<11"
    cohort = SavedCohort.objects.first() or make_cohort(make_user("p"))
    owner = cohort.owner
    SavedCohort.objects.filter(pk=cohort.pk).update(counts=marks, count_state=CountState.DONE)
    client = Client()
    client.force_login(owner)
    page = client.get(f"/feasibility/cohorts/{cohort.pk}/").content.decode()
    cells = re.findall(r'<td class="num">([^<]*)</td></tr>', page)
    assert len(cells) == len(marks)
    for cell in cells:
        digits = re.sub(r"\D", "", cell)
        assert cell == "&lt;11" or int(digits) >= 11, cell


def test_released_marks_refuses_what_is_not_released():
    with pytest.raises(TypeError):
        counting.released_marks([("step", 7)])  # type: ignore[list-item]


# --- enquiries ------------------------------------------------------------------------------------


def test_enquiry_thread_is_for_author_holder_and_team(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    holder = Dataset.objects.get(slug="snds").holder
    editor = make_user("editor", holder=holder.slug, totp=True)
    other_editor = make_user("other", holder="someone-else", totp=True)
    team = make_user("team", role="catalogue-team", totp=True)
    assert DataHolder.objects.filter(slug="someone-else").exists()

    client = login(alice)
    assert "snds" in client.get("/feasibility/enquiries/new?dataset=snds").content.decode()
    assert client.get("/feasibility/enquiries/new?dataset=nope").status_code == 404
    response = client.post("/feasibility/enquiries/new?dataset=snds",
                           {"subject": "Years covered", "body": "Is 2018 <b>there</b>?"})
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    assert (enquiry.author, enquiry.state, enquiry.messages.count()) == (alice, "open", 1)
    url = f"/feasibility/enquiries/{enquiry.pk}/"
    page = client.get(url).content.decode()
    assert "Is 2018 &lt;b&gt;there&lt;/b&gt;?" in page

    editor_client, team_client = login(editor), login(team)
    for reader in (editor_client, team_client):
        assert reader.get(url).status_code == 200
        assert "Years covered" in reader.get("/feasibility/enquiries/").content.decode()
    for outsider in (login(bob), login(other_editor)):
        assert outsider.get(url).status_code == 404
        assert outsider.post(url, {"body": "me too"}).status_code == 404
        assert "Years covered" not in outsider.get("/feasibility/enquiries/").content.decode()
    assert Client().get(url).status_code == 302  # anonymous: to the login page

    # Replies move the state: the holder answers, the author asks again, someone closes.
    assert editor_client.post(url, {"body": "From 2019."}).status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.state == Enquiry.State.ANSWERED
    client.post(url, {"body": "And 2023?"})
    enquiry.refresh_from_db()
    assert enquiry.state == Enquiry.State.OPEN
    team_client.post(url, {"body": "Not yet; closing.", "close": "on"})
    enquiry.refresh_from_db()
    assert enquiry.state == Enquiry.State.CLOSED and enquiry.messages.count() == 4
    assert client.post(url, {"body": ""}).status_code == 200  # an empty reply is refused
    assert enquiry.messages.count() == 4
    assert actions(enquiry) == ["feasibility.enquiry_opened"] + ["feasibility.enquiry_replied"] * 3
    last = AuditEvent.objects.filter(action="feasibility.enquiry_replied").order_by("pk").last()
    assert last.actor == team and last.detail["state"] == "closed"


def test_dataset_actions_partial_links_to_the_enquiry_form():
    from django.template.loader import render_to_string

    html = render_to_string("feasibility/_dataset_actions.html",
                            {"dataset": Dataset.objects.get(slug="snds")})
    assert 'href="/feasibility/enquiries/new?dataset=snds"' in html


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_creates_and_refuses_bad_definitions(make_user):
    alice = make_user("alice")
    client = login(alice)
    assert Client().get("/api/feasibility/cohorts").status_code == 401
    response = client.post("/api/feasibility/cohorts", {"name": "T2D", "dataset": "snds",
                                                        "definition": T2D},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["dataset"] == "snds" and created["counts"]["state"] == "none"
    cohort = SavedCohort.objects.get(pk=created["id"])
    assert cohort.owner == alice and actions(cohort) == ["feasibility.cohort_created"]
    bad = T2D.replace("min: 18", "min: 200")
    response = client.post("/api/feasibility/cohorts", {"name": "bad", "dataset": "snds",
                                                        "definition": bad},
                           content_type="application/json")
    assert response.status_code == 422
    assert {"place": "require[0].age_at_index.min", "message": "must be at most 130"} in \
        response.json()["detail"]
    response = client.post("/api/feasibility/cohorts", {"name": "bad", "dataset": "nope",
                                                        "definition": T2D},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["place"] == "dataset"
    assert SavedCohort.objects.count() == 1
    listed = client.get("/api/feasibility/cohorts").json()
    assert [c["id"] for c in listed] == [cohort.pk]
    assert client.get(f"/api/feasibility/cohorts/{cohort.pk}").json()["definition"] == T2D
    # The API is in the OpenAPI document.
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/feasibility/cohorts/{cohort_id}/counts" in paths


# --- limits and budgets (issue 10) ---------------------------------------------------------------


def _api_create(client: Client, name: str, definition: str) -> Any:
    return client.post("/api/feasibility/cohorts", {"name": name, "dataset": "snds",
                                                    "definition": definition},
                       content_type="application/json")


@pytest.mark.parametrize(("hostile", "message"), [
    (T2D + "exclude: " + "[" * 9000 + "]" * 9000 + "\n", "nested more than 32 levels deep"),
    # 800 criteria as aliases, 5.8 KB: took 92 s and 673 MB of the worker before.
    (T2D + "  - &r {dispensed: metformin}\n" + "  - *r\n" * 800,
     "804 entry events and criteria; at most 100"),
    (T2D.replace("2020-01-01", "0001-01-01"), "0001-01-01 lies outside 1900-2100"),
    (T2D + "  - {dispensed: metformin, window: [-100000000000000000000 days, 0 days]}\n",
     "longer than 36,525 days"),
    (T2D + "  - {dispensed: metformin, at_least: 100000000000000000000}\n", "at most 10000"),
])
def test_hostile_definitions_are_refused_when_saved(make_user, hostile, message):
    client = login(make_user("alice"))
    response = _api_create(client, "hostile", hostile)
    assert response.status_code == 422, response.content
    assert any(message in p["message"] for p in response.json()["detail"]), response.json()
    page = client.post("/feasibility/new/yaml/", {"name": "hostile", "dataset": "snds",
                                                         "definition": hostile})
    assert page.status_code == 200 and message in page.content.decode()
    assert SavedCohort.objects.count() == 0


def test_a_count_job_is_stopped_past_its_time_and_memory(with_lake, lake, counting_env):
    cohort, secret = Cohort.from_yaml(T2D), Secret(bytes.fromhex(SECRET_HEX))
    register = counting.ensure_register(counting_env)
    with pytest.raises(counting.CountError) as err:
        counting.count_limited(cohort, str(lake), secret, register,
                               limits=counting.JobLimits(seconds=0.2))
    assert err.value.code == "timeout"
    with pytest.raises(counting.CountError) as err:
        counting.count_limited(cohort, str(lake), secret, register,
                               limits=counting.JobLimits(memory_mb=60))
    assert err.value.code == "too_big"
    # Within its limits, the child gives what `count` gives in process.
    assert counting.count_limited(cohort, str(lake), secret, register) == \
        counting.count(cohort, str(lake), secret, register)


def test_a_count_ends_itself_when_its_worker_is_gone(tmp_path, counting_env):
    """Should the worker die without killing its child (SIGKILL), the child still stops after its
    time: here it blocks reading a manifest that is a named pipe, and nobody kills it."""
    import multiprocessing
    import os
    import signal

    lake_dir = tmp_path / "stuck"
    lake_dir.mkdir()
    os.mkfifo(lake_dir / "manifest.json")
    receive, send = multiprocessing.get_context("spawn").Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(
        target=counting._count_in_child,
        args=(send, Cohort.from_yaml(T2D), str(lake_dir), Secret(bytes.fromhex(SECRET_HEX)),
              str(counting_env), {}, counting.JobLimits(seconds=0.5)))
    child.start()
    child.join(30)
    assert child.exitcode == -signal.SIGALRM  # 0.5 s, rounded up, and 5 s of grace
    assert not receive.poll(0)


ATTACK = """name: attack_{i}
title: averaging
period: {{start: 2019-01-01, end: 2022-12-31}}
codelists:
  dementia: {{system: CIM10, codes: [F009]}}
  drug_{i}: {{system: ATC, codes: [{code}]}}
entry:
  any_of:
    - hospitalised_for: dementia
    - dispensed: drug_{i}
require:
  - dispensed: drug_{i}
"""


def test_the_averaging_attack_is_stopped_by_the_budget(make_user, with_lake, counting_env,
                                                       settings):
    """The attack of issue 10: 224 two-step cohorts differing only in one drug, whose mean
    released difference estimated a hidden group of 5 people. Variants of one shape are capped,
    and every count is charged to a daily and a total budget; refusals are 429s, logged."""
    settings.HYGIE_COUNT_BUDGET_DAY, settings.HYGIE_COUNT_VARIANTS = 25, 10
    mallory = make_user("mallory")
    client = login(mallory)
    codes = [f"N02BE{n:02d}" for n in range(1, 60)]
    answers = []
    for i, code in enumerate(codes[:12]):
        created = _api_create(client, f"attack {i}", ATTACK.format(i=i, code=code))
        assert created.status_code == 201, created.content
        answers.append(client.post(f"/api/feasibility/cohorts/{created.json()['id']}/counts"))
    assert [a.status_code for a in answers] == [202] * 10 + [429] * 2
    assert "variants of this definition" in answers[-1].json()["detail"]
    refused = SavedCohort.objects.get(name="attack 11")
    assert actions(refused)[-1] == "feasibility.count_refused"
    assert AuditEvent.objects.filter(action="feasibility.count_refused",
                                     detail__reason="variants").count() == 2
    # Asking again for a variant already counted is allowed (it teaches nothing new) ...
    again = SavedCohort.objects.get(name="attack 0")
    run_jobs("feasibility")
    assert client.post(f"/api/feasibility/cohorts/{again.pk}/counts").status_code == 202
    # ... until the day's budget is spent, whatever the shapes.
    run_jobs("feasibility")
    standing = client.get("/api/feasibility/budget").json()
    assert standing == {"left": 14, "used_today": 11, "per_day": 25, "used_total": 11,
                        "total": settings.HYGIE_COUNT_BUDGET_TOTAL}
    shapes = [T2D.replace("min: 18", f"min: {18 + n}") for n in range(20)]
    codes_left = [client.post(f"/api/feasibility/cohorts/{_api_create(client, f'other {n}', d).json()['id']}/counts").status_code  # noqa: E501
                  for n, d in enumerate(shapes)]
    assert codes_left == [202] * 14 + [429] * 6
    page = client.get(f"/feasibility/cohorts/{again.pk}/").content.decode()
    assert "Counts left: 0 (used in the last 24 hours: 25 of 25" in page
    # Deleting the cohorts gives nothing back.
    for cohort in SavedCohort.objects.filter(owner=mallory):
        services.delete_cohort(cohort)
    assert client.get("/api/feasibility/budget").json()["left"] == 0
    # Another applicant has a budget of their own.
    other = login(make_user("olivia"))
    assert other.get("/api/feasibility/budget").json()["left"] == 25


def test_the_total_budget_holds_across_days(make_user, with_lake, counting_env, settings):
    from datetime import timedelta

    from django.utils import timezone

    from hygie.web.feasibility.models import CountCharge

    settings.HYGIE_COUNT_BUDGET_DAY, settings.HYGIE_COUNT_BUDGET_TOTAL = 2, 3
    alice = make_user("alice")
    cohorts = [make_cohort(alice, T2D.replace("min: 18", f"min: {18 + n}"), f"c{n}")
               for n in range(4)]
    for c in cohorts[:2]:
        assert services.request_count(c).count_state == CountState.QUEUED
    assert services.request_count(cohorts[2]).count_error == {"code": "budget_day"}
    CountCharge.objects.update(created=timezone.now() - timedelta(hours=25))
    assert services.request_count(cohorts[2]).count_state == CountState.QUEUED
    assert services.request_count(cohorts[3]).count_error == {"code": "budget_total"}


def test_a_variant_is_the_definition_without_its_names_and_free_text():
    from hygie.web.feasibility.budget import fingerprints

    one = Cohort.from_yaml(ATTACK.format(i=1, code="N02BE01"))
    renamed = Cohort.from_yaml(ATTACK.format(i=2, code="N02BE01"))
    other_code = Cohort.from_yaml(ATTACK.format(i=1, code="N02BE02"))
    other_shape = Cohort.from_yaml(ATTACK.format(i=1, code="N02BE01") + "  - age_at_index: "
                                   "{min: 18}\n")
    assert fingerprints(one) == fingerprints(renamed)
    assert fingerprints(one)[0] == fingerprints(other_code)[0]
    assert fingerprints(one)[1] != fingerprints(other_code)[1]
    assert fingerprints(one)[0] != fingerprints(other_shape)[0]


def test_the_same_people_asked_differently_give_the_same_answer(make_user, with_lake,
                                                                 counting_env):
    """Across one applicant's releases, rephrasing a question (entry events in another order, an
    age range closed at 130, a criterion repeated) teaches nothing: the same people always get
    the same noise, so such answers cannot be averaged."""
    alice = make_user("alice")
    phrasings = [T2D,
                 T2D.replace("    - diagnosed: t2d\n    - dispensed: metformin\n",
                             "    - dispensed: metformin\n    - diagnosed: t2d\n"),
                 T2D.replace("{min: 18}", "{min: 18, max: 130}"),
                 T2D + "  - age_at_index: {min: 18}\n"]
    cohorts = [make_cohort(alice, text, f"phrasing {n}") for n, text in enumerate(phrasings)]
    for cohort in cohorts:
        assert services.request_count(cohort).count_state == CountState.QUEUED
    assert run_jobs("feasibility") == len(cohorts)
    finals = []
    for cohort in cohorts:
        cohort.refresh_from_db()
        assert cohort.count_state == CountState.DONE, cohort.count_error
        finals.append([mark for _label, mark in cohort.counts[:2]] + [cohort.counts[-1][1]])
    assert finals[0][1] != "<11"
    assert all(f == finals[0] for f in finals), finals
