"""From an authorisation in the guichet to data in the workspace, and its end.

The extract is compared with an independent answer: hand-written SQL over the raw synthetic
tables for the cohort's people, and the authorised columns exactly.
"""

# ruff: noqa: F401, F811  (pytest fixtures imported from the feasibility tests)
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from hygie.engine.lake import Dataset as LakeDataset
from hygie.pseudo.keys import Secret
from hygie.pseudo.oppositions import OppositionRegister
from hygie.web.audit.models import AuditEvent
from hygie.web.guichet.workflow import act
from hygie.web.workspaces import lifecycle
from hygie.web.workspaces.models import Extraction, JobState, State, Workspace
from hygie.web.workspaces.tasks import STALE_AFTER, resume_stale
from hygie.workspace.client import Workspace as Client
from tests.test_workspace import _people
from tests.web.guichet_files import at, complete_file, make_desk, on_agenda
from tests.web.helpers import run_jobs
from tests.web.test_feasibility import (
    SECRET_HEX,
    counting_env,
    lake,
    make_cohort,
    snds,
    with_lake,
)

pytestmark = pytest.mark.django_db(transaction=True)
METFORMIN = """name: metformin_users
title: Metformin users, 2020-2021
period: {start: 2020-01-01, end: 2021-12-31}
codelists:
  metformin: {system: ATC, codes: ["A10BA02"]}
entry:
  any_of:
    - dispensed: metformin
"""
VARIABLES = ["ER_PHA_F.PHA_PRS_C13", "IR_BEN_R.BEN_NAI_ANN", "IR_BEN_R.BEN_SEX_COD"]


@pytest.fixture
def desk(make_user: Any) -> Any:
    return make_desk(make_user)


@pytest.fixture
def ready(settings: Any, tmp_path: Path, with_lake: Any, counting_env: Path) -> Any:
    settings.HYGIE_WORKSPACES = tmp_path / "workspaces"
    settings.HYGIE_JOB_SANDBOX = "none"
    return with_lake


def authorised_file(desk: Any, *, cohort: bool = True, until: dt.date = dt.date(2028, 6, 30)
                    ) -> Any:
    fields: dict[str, Any] = {"variables": VARIABLES, "period_start": dt.date(2020, 1, 1),
                              "period_end": dt.date(2021, 12, 31)}
    if cohort:
        fields["cohort"] = make_cohort(desk.applicant, METFORMIN, "Metformin")
    file = complete_file(desk.applicant, **fields)
    act(file.pk, desk.applicant, "submit", now=at("2026-05-04"))
    act(file.pk, desk.secretariat, "forward_to_cesrees", now=at("2026-05-05"))
    on_agenda(file, desk.cesrees)
    act(file.pk, desk.cesrees, "cesrees_opinion",
        {"opinion": "favourable", "reasons": "Sound design."}, now=at("2026-05-20"))
    act(file.pk, desk.cnil, "cnil_authorisation",
        {"scope": "Metformin users", "conditions": "On the platform", "until": until},
        now=at("2026-06-01"))
    file.refresh_from_db()
    return file


def test_an_authorisation_provisions_exactly_the_authorised_people_and_columns(
        desk: Any, ready: Any, lake: Path) -> None:
    file = authorised_file(desk)
    workspace = Workspace.objects.get(application=file)
    extraction = workspace.extractions.get()
    assert (workspace.state, extraction.state, extraction.number) == (
        State.PROVISIONING, JobState.QUEUED, 1)
    assert extraction.task, "the job is queued once the step is stored"
    # The scope is frozen in the decision: editing the file afterwards changes nothing.
    file.variables = ["ER_PRS_F.PRS_NAT_REF"]
    file.save()
    assert run_jobs("workspaces") == 1
    workspace.refresh_from_db()
    extraction.refresh_from_db()
    assert (workspace.state, extraction.state, workspace.current_extract) == (
        State.READY, JobState.DONE, 1), extraction.error
    with Client(workspace.layout.root) as ws:
        assert ws.tables == ["ER_PHA_F", "IR_BEN_R"]
        assert ws.table("IR_BEN_R").columns == ["PSEUDO_ID", "BEN_NAI_ANN", "BEN_SEX_COD"]
        assert ws.table("ER_PHA_F").columns == ["PSEUDO_ID", "LINE_ID", "PHA_PRS_C13"]
        people = ws.sql("SELECT count(DISTINCT PSEUDO_ID) FROM IR_BEN_R").fetchall()[0][0]
        provenance = ws.provenance
    assert people == len(_people(LakeDataset.open(lake))) > 11
    assert provenance["application"] == file.reference
    assert provenance["authorised_on"] == "2026-06-01"
    assert provenance["dataset"]["slug"] == "snds"
    assert provenance["source"]["project"] == file.reference
    assert extraction.provenance["released_people"] == people
    actions = list(AuditEvent.objects.filter(target_type="workspaces.Workspace")
                   .values_list("action", flat=True))
    assert "workspace.extraction_queued" in actions and "workspace.provisioned" in actions


def test_a_refresh_leaves_out_who_objected_since(desk: Any, ready: Any, lake: Path,
                                                  counting_env: Path) -> None:
    file = authorised_file(desk)
    run_jobs("workspaces")
    workspace = Workspace.objects.get(application=file)
    objector = sorted(_people(LakeDataset.open(lake)))[0]
    OppositionRegister(counting_env).register(Secret(bytes.fromhex(SECRET_HEX)), [objector])
    lifecycle.refresh(workspace, desk.applicant)
    assert run_jobs("workspaces") == 1
    second = workspace.extractions.get(number=2)
    assert second.state == JobState.DONE, second.error
    assert (second.reason, second.provenance["opposed_people_dropped"]) == ("refresh", 1)
    workspace.refresh_from_db()
    assert workspace.layout.current() == workspace.layout.extract(2)


def test_suspension_closes_access_and_its_lifting_reopens_it(desk: Any, ready: Any) -> None:
    file = authorised_file(desk)
    run_jobs("workspaces")
    act(file.pk, desk.cnil, "suspend", {"reason": "Breach of conditions"}, now=at("2026-07-01"))
    assert Workspace.objects.get(application=file).state == State.SUSPENDED
    act(file.pk, desk.cnil, "lift_suspension", now=at("2026-07-10"))
    assert Workspace.objects.get(application=file).state == State.READY


def test_the_end_date_closes_the_workspace_and_retention_deletes_its_data(
        desk: Any, ready: Any, settings: Any) -> None:
    from hygie.web.guichet.workflow import catch_up_all

    settings.HYGIE_WORKSPACE_RETENTION_DAYS = 90
    file = authorised_file(desk, until=dt.date(2026, 12, 31))
    run_jobs("workspaces")
    workspace = Workspace.objects.get(application=file)
    assert workspace.layout.current() is not None
    catch_up_all(at("2027-01-02"))
    workspace.refresh_from_db()
    assert (workspace.state, workspace.close_reason, workspace.delete_after) == (
        State.CLOSED, "expired", dt.date(2027, 1, 1) + dt.timedelta(days=90))
    assert lifecycle.delete_expired(dt.date(2027, 3, 31)) == 0  # still within retention
    assert workspace.layout.current() is not None
    assert lifecycle.delete_expired(dt.date(2027, 4, 2)) == 1
    workspace.refresh_from_db()
    assert workspace.state == State.DELETED and workspace.layout.current() is None
    assert not workspace.layout.files.exists()
    assert AuditEvent.objects.filter(action="workspace.data_deleted").count() == 1


def test_a_decision_without_a_cohort_fails_with_a_reason(desk: Any, ready: Any) -> None:
    file = authorised_file(desk, cohort=False)
    run_jobs("workspaces")
    extraction = Extraction.objects.get(workspace__application=file)
    assert extraction.state == JobState.FAILED
    assert "names no cohort" in extraction.error
    assert Workspace.objects.get(application=file).layout.current() is None


def test_an_extraction_whose_worker_died_is_resumed(desk: Any, ready: Any) -> None:
    from django.utils import timezone

    file = authorised_file(desk)
    extraction = Extraction.objects.get(workspace__application=file)
    # The worker claimed it and died: running, its heartbeat old.
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    Extraction.objects.filter(pk=extraction.pk).update(
        state=JobState.RUNNING, task="dead", heartbeat=timezone.now() - STALE_AFTER * 2)
    assert resume_stale() == 1
    assert resume_stale() == 0  # once
    assert run_jobs("workspaces") == 1
    extraction.refresh_from_db()
    assert extraction.state == JobState.DONE and extraction.attempts == 1


def test_a_running_extraction_is_not_taken_twice(desk: Any, ready: Any) -> None:
    from django.utils import timezone

    file = authorised_file(desk)
    Extraction.objects.filter(workspace__application=file).update(
        state=JobState.RUNNING, task="alive", heartbeat=timezone.now())
    assert resume_stale() == 0
    assert run_jobs("workspaces") == 1  # the queued job finds it running: void
    assert Extraction.objects.get(workspace__application=file).task == "alive"


def test_hand_sql_agrees_on_the_rows_of_the_period(desk: Any, ready: Any, lake: Path) -> None:
    """ER_PHA_F rows in the extract = the cohort's dispensings dated within the period."""
    file = authorised_file(desk)
    run_jobs("workspaces")
    workspace = Workspace.objects.get(application=file)
    data = LakeDataset.open(lake)
    people = _people(data)
    con = duckdb.connect()
    expected = con.execute(
        "SELECT count(*) FROM read_parquet(?) p JOIN read_parquet(?) f USING (FLX_DIS_DTD, "
        "FLX_TRT_DTD, FLX_EMT_TYP, FLX_EMT_NUM, FLX_EMT_ORD, ORG_CLE_NUM, DCT_ORD_NUM, "
        "PRS_ORD_NUM, REM_TYP_AFF) JOIN (SELECT DISTINCT BEN_NIR_PSA, BEN_RNG_GEM, BEN_NIR_ANO "
        "FROM read_parquet(?)) m ON m.BEN_NIR_PSA = f.BEN_NIR_PSA AND m.BEN_RNG_GEM = f.BEN_RNG_GEM "
        "WHERE m.BEN_NIR_ANO IN (SELECT unnest(?)) "
        "AND f.EXE_SOI_DTD BETWEEN DATE '2020-01-01' AND DATE '2021-12-31'",
        [[str(x) for x in data.files("ER_PHA_F")], [str(x) for x in data.files("ER_PRS_F")],
         [str(x) for x in data.files("IR_BEN_R")], sorted(people)]).fetchall()[0][0]
    with Client(workspace.layout.root) as ws:
        assert ws.rows("ER_PHA_F") == expected > 0
