"""A workspace's pages: who enters (members, verified, while the authorisation is in force), what
they read (the extract's provenance, tables and figures under secrecy, never a row or a file's
bytes), their scripts and jobs.

The extract is made by the core (`hygie.workspace.provision`) from a synthetic SNDS, once per
session, and copied into each test's own HYGIE_WORKSPACES; figures are checked against counts
made by hand on the raw data (`tests.test_workspace._people`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from hygie.engine.lake import Dataset as LakeDataset
from hygie.engine.lake import DatasetWriter
from hygie.pseudo.oppositions import OppositionRegister
from hygie.web.audit.models import AuditEvent
from hygie.web.guichet.models import Application, TeamMember
from hygie.web.workspaces import runs
from hygie.web.workspaces.access import Door, door, members
from hygie.web.workspaces.contents import released
from hygie.web.workspaces.models import Extraction, JobState, Run, RunState, State, Workspace
from hygie.workspace.jobs import sandbox_available
from hygie.workspace.layout import Layout
from hygie.workspace.provision import Authorised, provision
from tests.test_workspace import SECRET, _people
from tests.web.guichet_files import complete_file
from tests.web.helpers import PASSWORD, login, run_jobs, totp_now
from tests.web.test_feasibility import (  # noqa: F401  (fixtures)
    counting_env,
    lake,
    snds,
    with_lake,
)

pytestmark = pytest.mark.django_db

REFERENCE = "HYG-2026-00042"
METFORMIN = """name: metformin_users
title: Metformin users, 2020-2021
period: {start: 2020-01-01, end: 2021-12-31}
codelists:
  metformin: {system: ATC, codes: ["A10BA02"]}
entry:
  any_of:
    - dispensed: metformin
"""
TABLES = {"IR_BEN_R": ["BEN_SEX_COD", "BEN_NAI_ANN"], "ER_PHA_F": ["PHA_PRS_C13"]}
MARKER = "SECRET-OUTPUT-7f3c"  # written in an output and a script, printed by no job
JOB = f"""\
import json
from hygie.workspace.client import Workspace
ws = Workspace()
n = ws.sql("SELECT count(DISTINCT PSEUDO_ID) FROM IR_BEN_R").fetchall()[0][0]
ws.output("count.json").write_text(json.dumps({{"people": n, "tag": "{MARKER}"}}))
print("counted", n)
"""


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def template(lake: Path, tmp_path_factory: pytest.TempPathFactory,  # noqa: F811
             django_db_setup: None, django_db_blocker: Any) -> Path:
    """A workspace folder holding extract 1 of the metformin users, made by the core."""
    from hygie.web.catalogue.models import DatasetVersion

    with django_db_blocker.unblock():
        version = DatasetVersion.objects.filter(dataset__slug="snds",
                                                status="published").first()
        number = version.number if version else 1
    root = tmp_path_factory.mktemp("workspace-pages") / "template"
    authorised = Authorised(project=REFERENCE, cohort=METFORMIN, tables=TABLES,
                            start=dt.date(2020, 1, 1), end=dt.date(2021, 12, 31),
                            authorised_on=dt.date(2026, 6, 1))
    provision(Layout(root), 1, authorised, LakeDataset.open(lake), secret=SECRET,
              register=OppositionRegister(root.parent / "register.parquet"),
              provenance={"application": REFERENCE, "authorisation_seq": 5,
                          "dataset": {"slug": "snds", "version": number},
                          "reason": "authorisation"})
    return root


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {
        "applicant": make_user("wsapplicant", totp=True),
        "teammate": make_user("wsteammate", totp=True),
        "newcomer": make_user("wsnewcomer"),  # a team member without a second factor
        "outsider": make_user("wsoutsider", totp=True),
        "secretariat": make_user("wsagent", role="secretariat", totp=True),
    }


def make_workspace(people: dict[str, Any], template: Path, settings: Any, *,
                   stage: str = "authorised", state: str = State.READY,
                   folder: str = "ws-pages") -> Workspace:
    application = complete_file(people["applicant"])
    Application.objects.filter(pk=application.pk).update(stage=stage)
    for key in ("teammate", "newcomer"):
        TeamMember.objects.create(application=application, name=key, user=people[key],
                                  email=people[key].email)
    shutil.copytree(template, settings.HYGIE_WORKSPACES / folder)
    workspace = Workspace.objects.create(application=application, folder=folder, state=state,
                                         current_extract=1)
    provenance = json.loads((template / "data/extract-0001/manifest.json").read_text())
    Extraction.objects.create(workspace=workspace, number=1, reason="authorisation",
                              authorisation_seq=5, state=JobState.DONE,
                              finished=timezone.now(), provenance=provenance["provenance"])
    return Workspace.objects.select_related("application").get(pk=workspace.pk)


@pytest.fixture
def ws_settings(settings: Any, tmp_path: Path) -> Any:
    settings.HYGIE_WORKSPACES = tmp_path / "workspaces"
    settings.HYGIE_JOB_SANDBOX = "bwrap" if sandbox_available() else "none"
    return settings


@pytest.fixture
def workspace(people: dict[str, Any], template: Path, ws_settings: Any) -> Workspace:
    return make_workspace(people, template, ws_settings)


def urls(workspace: Workspace, run: int = 1) -> list[tuple[str, str]]:
    """(method, path) of every page and action of a workspace."""
    pk = workspace.pk
    return [("get", f"/workspaces/{pk}/"), ("get", f"/workspaces/{pk}/status/"),
            ("post", f"/workspaces/{pk}/refresh/"), ("get", f"/workspaces/{pk}/tables/IR_BEN_R/"),
            ("get", f"/workspaces/{pk}/files/"), ("post", f"/workspaces/{pk}/files/add/"),
            ("post", f"/workspaces/{pk}/jobs/"), ("get", f"/workspaces/{pk}/jobs/{run}/"),
            ("get", f"/workspaces/{pk}/jobs/{run}/status/"),
            ("get", f"/workspaces/{pk}/second-factor/"),
            ("post", f"/workspaces/{pk}/second-factor/")]


def actions(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=name).order_by("seq"))


def upload(client: Client, workspace: Workspace, name: str, text: str | bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = text.encode() if isinstance(text, str) else text
    return client.post(f"/workspaces/{workspace.pk}/files/add/",
                       {"script": SimpleUploadedFile(name, data)})


# --- who enters -------------------------------------------------------------------------------


def test_members_are_the_applicant_and_the_team_with_an_account(workspace, people):
    assert members(workspace) == [people["applicant"], people["teammate"], people["newcomer"]]
    TeamMember.objects.create(application=workspace.application, name="No account",
                              email="nobody@example.org")
    assert len(members(workspace)) == 3


def test_a_member_enters_and_each_entry_is_audited(workspace, people):
    client = login(people["teammate"])
    listing = client.get("/workspaces/").content.decode()
    assert f'href="/workspaces/{workspace.pk}/"' in listing
    assert 'href="/workspaces/"' in listing  # the navigation's link
    page = client.get(f"/workspaces/{workspace.pk}/")
    assert page.status_code == 200
    entered = actions("workspace.entered")
    assert [(e.actor, e.target_id, e.detail["page"]) for e in entered] == [
        (people["teammate"], str(workspace.pk), "workspace")]
    # Nobody else has the link in the navigation.
    assert 'href="/workspaces/"' not in login(people["outsider"]).get("/").content.decode()


def test_anyone_but_a_member_gets_404_on_every_url(workspace, people):
    run = Run.objects.create(workspace=workspace, script="x.py", requested_by=people["applicant"])
    nothing = Workspace.objects.order_by("-pk").first().pk + 1000
    for who in ("outsider", "secretariat"):
        client = login(people[who])
        for method, path in urls(workspace, run.pk):
            response = getattr(client, method)(path)
            assert response.status_code == 404, (who, method, path, response.status_code)
        # Indistinguishable from a workspace that does not exist.
        missing = client.get(f"/workspaces/{nothing}/")
        assert missing.status_code == 404
    refused = actions("workspace.access_refused")
    assert {e.actor.username for e in refused} == {"wsoutsider", "wsagent"}
    assert not actions("workspace.entered") and not Run.objects.exclude(pk=run.pk).exists()
    # Signed out: the sign-in page, for a workspace that exists or not alike.
    for method, path in urls(workspace, run.pk):
        response = getattr(Client(), method)(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_member_without_a_second_factor_enrols_one_and_comes_back(
        workspace, people, mailoutbox, django_capture_on_commit_callbacks):
    newcomer = people["newcomer"]
    client = login(newcomer)
    response = client.get(f"/workspaces/{workspace.pk}/tables/IR_BEN_R/")
    assert response.status_code == 302
    assert response["Location"] == f"/workspaces/{workspace.pk}/second-factor/"
    assert client.get(response["Location"]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/workspaces/{workspace.pk}/second-factor/")
    assert sent.status_code == 200 and "sent a link" in sent.content.decode()
    # Asked again within minutes: no second link.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/workspaces/{workspace.pk}/second-factor/")
    run_jobs("mail")
    assert [m.to for m in mailoutbox] == [[newcomer.email]]
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/enrol/" in line)
    # The link, then the authenticator's first code: back to the workspace, verified.
    opened = client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert opened.status_code == 302
    setup = opened["Location"]
    assert setup.startswith("/accounts/two-factor/setup/?next=")
    assert client.get(setup).status_code == 200
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    done = client.post(setup, {"token": totp_now(device),
                               "next": f"/workspaces/{workspace.pk}/"})
    assert done.status_code == 302 and done["Location"] == f"/workspaces/{workspace.pk}/"
    assert client.get(done["Location"]).status_code == 200
    assert actions("account.enrolment_invited")[0].detail["via"] == "workspace"


def test_a_member_with_a_device_is_asked_for_a_code_then_comes_back(workspace, people):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post("/accounts/login/", {"username": "wsteammate", "password": PASSWORD})
    response = client.get(f"/workspaces/{workspace.pk}/files/")
    assert response.status_code == 302
    assert response["Location"] == (f"/accounts/two-factor/?next=%2Fworkspaces%2F{workspace.pk}"
                                    "%2Ffiles%2F")
    verified = client.post(response["Location"], {"token": totp_now(people["teammate"].device)})
    assert verified["Location"] == f"/workspaces/{workspace.pk}/files/"


@pytest.mark.parametrize(("stage", "state"), [("suspended", State.SUSPENDED),
                                              ("expired", State.CLOSED),
                                              ("revoked", State.DELETED),
                                              ("authorised", State.SUSPENDED),
                                              # The stage governs, read at each request.
                                              ("suspended", State.READY),
                                              ("withdrawn", State.READY)])
def test_a_closed_workspace_refuses_entry_and_jobs(people, template, ws_settings, stage, state):
    workspace = make_workspace(people, template, ws_settings, stage=stage, state=state)
    (workspace.layout.files / "job.py").write_text(JOB)
    client = login(people["applicant"])
    for method, path in urls(workspace):
        if "second-factor" in path:
            continue
        response = getattr(client, method)(path, {"script": "job.py"})
        assert response.status_code == 403, (path, response.status_code)
        text = response.content.decode()
        if path.endswith("/status/"):
            assert response.json() == {"detail": "closed"}
        else:
            assert "Access to this workspace is closed" in text
        main = text.partition("<main")[2].partition("</main>")[0]
        assert "IR_BEN_R" not in main and "PHA_PRS_C13" not in main
    assert not Run.objects.exists()
    assert door(people["applicant"], workspace) is Door.CLOSED


def test_a_job_queued_before_a_suspension_never_starts(workspace, people,
                                                      django_capture_on_commit_callbacks):
    (workspace.layout.files / "job.py").write_text(JOB)
    client = login(people["applicant"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/workspaces/{workspace.pk}/jobs/",
                           {"script": "job.py"}).status_code == 302
    Application.objects.filter(pk=workspace.application_id).update(stage="suspended")
    Workspace.objects.filter(pk=workspace.pk).update(state=State.SUSPENDED)
    assert run_jobs("runs") == 1
    run = Run.objects.get()
    assert (run.state, run.error) == (RunState.FAILED, "closed")
    assert not (workspace.layout.outputs / "count.json").exists()


def test_while_provisioning_only_the_status_page_opens(people, template, ws_settings):
    workspace = make_workspace(people, template, ws_settings, state=State.PROVISIONING)
    shutil.rmtree(workspace.layout.data)
    Workspace.objects.filter(pk=workspace.pk).update(current_extract=0)
    Extraction.objects.filter(workspace=workspace).update(state=JobState.RUNNING,
                                                          progress="extracting ER_PHA_F")
    client = login(people["applicant"])
    page = client.get(f"/workspaces/{workspace.pk}/").content.decode()
    assert "An extraction is under way" in page and "hygie/workspace.js" in page
    assert "extracting ER_PHA_F" in page
    status = client.get(f"/workspaces/{workspace.pk}/status/").json()
    assert status["active"] and status["progress"] == "extracting ER_PHA_F"
    for path in ("files/", "tables/IR_BEN_R/"):
        response = client.get(f"/workspaces/{workspace.pk}/{path}")
        assert response.status_code == 302 and response["Location"] == f"/workspaces/{workspace.pk}/"


# --- what members read ------------------------------------------------------------------------


def test_the_workspace_page_shows_the_extract_and_its_provenance(workspace, people, lake):  # noqa: F811
    from hygie import __version__

    page = login(people["applicant"]).get(f"/workspaces/{workspace.pk}/").content.decode()
    cohort = len(_people(LakeDataset.open(lake)))
    assert REFERENCE in page and "June 1, 2026" in page
    assert "/catalogue/snds/" in page  # the dataset's version in the catalogue
    assert f"Hygie {__version__}" in page
    figure = released(cohort)
    assert re.search(rf'people-released">\s*{figure.value:,}\s*<', page), figure
    assert f'href="/workspaces/{workspace.pk}/tables/ER_PHA_F/"' in page
    # Provisioning is over: nothing polls.
    assert "hygie/workspace.js" not in page


def test_the_table_page_shows_columns_the_catalogue_words_and_released_counts(
        workspace, people, lake):  # noqa: F811
    from hygie.web.catalogue.models import Variable

    client = login(people["teammate"])
    page = client.get(f"/workspaces/{workspace.pk}/tables/IR_BEN_R/").content.decode()
    for column in ("PSEUDO_ID", "BEN_SEX_COD", "BEN_NAI_ANN"):
        assert f"<code>{column}</code>" in page
    sex = Variable.objects.filter(table__version__dataset__slug="snds", table__name="IR_BEN_R",
                                  name="BEN_SEX_COD").first()
    assert sex is not None and sex.description and sex.description[:40] in page
    assert "The person&#x27;s pseudonym in this project" in page
    rows = sum(pq.read_metadata(f).num_rows
               for f in (workspace.layout.current() / "IR_BEN_R").glob("*.parquet"))
    people_ = len(_people(LakeDataset.open(lake)))
    assert re.search(rf'class="figure rows">\s*{released(rows).value:,}\s*<', page)
    assert re.search(rf'class="figure people">\s*{released(people_).value:,}\s*<', page)
    read = actions("workspace.table_read")
    assert [(e.actor, e.detail["table"]) for e in read] == [(people["teammate"], "IR_BEN_R")]
    for name in ("ER_PRS_F", "..", "manifest.json", "IR_BEN_R%2F..%2F..%2Fdata"):
        assert client.get(f"/workspaces/{workspace.pk}/tables/{name}/").status_code == 404


def small_extract(layout: Layout, number: int, people: int, rows_each: int) -> None:
    """Extract `number`: IR_BEN_R with `people` people, ER_PHA_F with `rows_each` rows each."""
    target = layout.extract(number)
    ids = [f"P{i:04d}" for i in range(people)]
    with DatasetWriter(target, kind="extract", source={"project": REFERENCE}) as writer:
        for table, repeat in (("IR_BEN_R", 1), ("ER_PHA_F", rows_each)):
            data = pa.table({"PSEUDO_ID": [p for p in ids for _ in range(repeat)],
                             "BEN_SEX_COD": pa.array([1] * len(ids) * repeat, pa.int64())})
            pq.write_table(data, writer.part_path(table, 0))
        writer.commit({"provenance": {"released_people": people, "tables": {}}})
    layout.set_current(number)


def test_a_table_of_fewer_than_11_people_shows_lt_11(workspace, people):
    small_extract(workspace.layout, 2, people=7, rows_each=5)
    Workspace.objects.filter(pk=workspace.pk).update(current_extract=2)
    client = login(people["applicant"])
    page = client.get(f"/workspaces/{workspace.pk}/tables/IR_BEN_R/").content.decode()
    assert re.search(r'class="figure people">\s*&lt;11\s*<', page)
    assert re.search(r'class="figure rows">\s*&lt;11\s*<', page)
    page = client.get(f"/workspaces/{workspace.pk}/tables/ER_PHA_F/").content.decode()
    assert re.search(r'class="figure rows">\s*35\s*<', page)  # 7 people x 5 rows
    assert re.search(r'class="figure people">\s*&lt;11\s*<', page)
    overview = client.get(f"/workspaces/{workspace.pk}/").content.decode()
    assert not re.search(r'people-released">\s*7\s*<', overview)


@hsettings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=0, max_value=100_000))
def test_a_released_figure_is_never_1_to_10_and_rounds_to_5(n):
    figure = released(n)
    if 1 <= n <= 12:  # 11 and 12 round to 10: hidden too
        assert figure.hidden and figure.mark == "<11"
    else:
        assert figure.value is not None and figure.value % 5 == 0 and abs(figure.value - n) <= 2
        assert figure.value == 0 or figure.value >= 11


@hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(count=st.integers(min_value=0, max_value=40), each=st.integers(min_value=1, max_value=4))
def test_no_page_shows_a_count_of_1_to_10(workspace, people, count, each):
    """Whatever the people and rows of a table, its page's figures are 0, <11 or 11 and more."""
    layout = workspace.layout
    number = 2 + len(list(layout.data.glob("extract-*")))
    small_extract(layout, number, people=count, rows_each=each)
    Workspace.objects.filter(pk=workspace.pk).update(current_extract=number)
    from django.core.cache import cache

    cache.clear()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(people["applicant"])
    session = client.session
    from django_otp import DEVICE_ID_SESSION_KEY

    session[DEVICE_ID_SESSION_KEY] = people["applicant"].device.persistent_id
    session.save()
    for table in ("IR_BEN_R", "ER_PHA_F"):
        page = client.get(f"/workspaces/{workspace.pk}/tables/{table}/").content.decode()
        shown = re.findall(r'class="figure (?:rows|people)">\s*([^<]*?)\s*<', page)
        assert len(shown) == 2
        for mark in shown:
            assert mark == "&lt;11" or int(mark.replace(",", "")) == 0 \
                or int(mark.replace(",", "")) >= 11, mark


# --- files and jobs ---------------------------------------------------------------------------


def test_a_script_is_added_run_as_a_job_and_its_output_listed(
        workspace, people, django_capture_on_commit_callbacks, lake):  # noqa: F811
    client = login(people["applicant"])
    assert upload(client, workspace, "count.py", JOB).status_code == 302
    assert (workspace.layout.files / "count.py").read_text() == JOB
    files = client.get(f"/workspaces/{workspace.pk}/files/").content.decode()
    assert "count.py" in files and '<option value="count.py">' in files
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/workspaces/{workspace.pk}/jobs/", {"script": "count.py"})
    run = Run.objects.get()
    assert started["Location"] == f"/workspaces/{workspace.pk}/jobs/{run.pk}/"
    queued = client.get(started["Location"]).content.decode()
    assert "hygie/workspace.js" in queued  # the page follows the job
    assert client.get(f"/workspaces/{workspace.pk}/jobs/{run.pk}/status/").json()["active"]
    assert run_jobs("runs") == 1
    run.refresh_from_db()
    assert (run.state, run.returncode) == (RunState.DONE, 0), run.log
    people_ = len(_people(LakeDataset.open(lake)))
    assert run.log.strip() == f"counted {people_}"
    page = client.get(f"/workspaces/{workspace.pk}/jobs/{run.pk}/").content.decode()
    assert f"counted {people_}" in page and "hygie/workspace.js" not in page
    files = client.get(f"/workspaces/{workspace.pk}/files/").content.decode()
    assert "outputs/count.json" in files
    assert [e.detail["name"] for e in actions("workspace.file_added")] == ["count.py"]
    assert [e.detail["run"] for e in actions("workspace.job_queued")] == [run.pk]
    finished = actions("workspace.job_finished")
    assert [(e.detail["state"], e.detail["returncode"]) for e in finished] == [("done", 0)]


def test_the_web_path_runs_jobs_in_the_configured_sandbox(workspace, people, settings,
                                                          monkeypatch,
                                                          django_capture_on_commit_callbacks):
    (workspace.layout.files / "job.py").write_text("print(1)\n")
    seen = []
    real = runs.run_job

    def spy(layout: Layout, script: str, job: str, *, sandbox: str, limits: Any) -> Any:
        seen.append((sandbox, limits.seconds, limits.memory_mb))
        return real(layout, script, job, sandbox="none", limits=limits)

    monkeypatch.setattr(runs, "run_job", spy)
    settings.HYGIE_JOB_SECONDS, settings.HYGIE_JOB_MEMORY_MB = 42, 512
    client = login(people["applicant"])
    for sandbox in ("bwrap", "none"):
        settings.HYGIE_JOB_SANDBOX = sandbox
        monkeypatch.setattr(runs, "sandbox_available", lambda: True)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/workspaces/{workspace.pk}/jobs/", {"script": "job.py"})
        run_jobs("runs")
    assert seen == [("bwrap", 42, 512), ("none", 42, 512)]
    # Without bubblewrap, a deployment that asks for it runs nothing.
    settings.HYGIE_JOB_SANDBOX = "bwrap"
    monkeypatch.setattr(runs, "sandbox_available", lambda: False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/workspaces/{workspace.pk}/jobs/", {"script": "job.py"})
    run_jobs("runs")
    assert len(seen) == 2
    assert Run.objects.order_by("-pk").first().error == "sandbox"


@pytest.mark.skipif(not sandbox_available(), reason="bubblewrap is not installed")
def test_a_job_through_the_web_cannot_read_outside_its_workspace(
        workspace, people, settings, django_capture_on_commit_callbacks, tmp_path):
    """One check of the web path (the core's tests cover the confinement itself)."""
    settings.HYGIE_JOB_SANDBOX = "bwrap"
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("platform secret")
    (workspace.layout.files / "probe.py").write_text(
        f"try:\n    open({str(secret)!r}).read()\n    print('read')\n"
        "except OSError:\n    print('refused')\n")
    client = login(people["applicant"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/workspaces/{workspace.pk}/jobs/", {"script": "probe.py"})
    run_jobs("runs")
    assert Run.objects.get().log.strip() == "refused"


def test_no_view_returns_the_bytes_of_the_extract_or_a_file(workspace, people,
                                                            django_capture_on_commit_callbacks):
    client = login(people["applicant"])
    workspace.layout.outputs.mkdir(parents=True, exist_ok=True)
    (workspace.layout.outputs / "table1.csv").write_text(f"a,b\n{MARKER},1\n")
    upload(client, workspace, "quiet.py", f"x = '{MARKER}'\n")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/workspaces/{workspace.pk}/jobs/", {"script": "quiet.py"})
    run_jobs("runs")
    run = Run.objects.get()
    parquet = next((workspace.layout.current() / "IR_BEN_R").glob("*.parquet"))
    pseudo = pq.read_table(parquet).column("PSEUDO_ID")[0].as_py()
    names = ["IR_BEN_R", "ER_PHA_F", parquet.name, "manifest.json", "quiet.py", "outputs",
             "table1.csv", "..", "CURRENT", "outputs%2Ftable1.csv"]
    paths = {path for _method, path in urls(workspace, run.pk)}
    paths |= {f"/workspaces/{workspace.pk}/tables/{n}/" for n in names}
    paths |= {f"/workspaces/{workspace.pk}/files/{n}" for n in names}
    paths |= {f"/workspaces/{workspace.pk}/files/{n}/" for n in names}
    paths |= {f"/workspaces/{workspace.pk}/jobs/{run.pk}/{n}" for n in names}
    for path in sorted(paths):
        for method in ("get", "post"):
            body = getattr(client, method)(path).content
            assert b"PAR1" not in body, path
            assert MARKER.encode() not in body, path
            assert pseudo.encode() not in body, path  # no row's pseudonym either


def test_the_admin_never_shows_a_jobs_output(workspace, people, make_user):
    run = Run.objects.create(workspace=workspace, script="x.py", requested_by=people["applicant"],
                             state=RunState.DONE, log=MARKER)
    admin = login(make_user("wsroot", is_superuser=True, is_staff=True, totp=True))
    page = admin.get(f"/admin/workspaces/run/{run.pk}/change/")
    assert page.status_code == 200 and MARKER.encode() not in page.content
    assert admin.get("/admin/workspaces/workspace/").status_code == 200


def test_retention_deletes_the_jobs_outputs_with_the_data(workspace, people):
    from hygie.web.workspaces.lifecycle import delete_expired

    run = Run.objects.create(workspace=workspace, script="x.py", requested_by=people["applicant"],
                             state=RunState.DONE, log=MARKER)
    Workspace.objects.filter(pk=workspace.pk).update(state=State.CLOSED,
                                                     delete_after=dt.date(2027, 1, 1))
    assert delete_expired(dt.date(2027, 1, 2)) == 1
    run.refresh_from_db()
    assert run.log == ""


@pytest.mark.parametrize(("name", "data", "status", "says"), [
    ("my script.py", b"print(1)\n", 400, "must be letters"),
    ("notes.txt", b"print(1)\n", 400, "must be letters"),
    (".hidden.py", b"print(1)\n", 400, "must be letters"),
    ("bad.py", b"def (:\n", 400, "not valid Python"),
    ("bad.py", b"\xff\xfe", 400, "not UTF-8"),
    ("bad.py", b"x = 1\x00\n", 400, "NUL"),
    ("big.py", b"#" * (1 << 20) + b"\n", 413, "larger than 1 MB"),
])
def test_a_script_is_checked_before_it_is_written(workspace, people, name, data, status, says):
    client = login(people["applicant"])
    response = upload(client, workspace, name, data)
    assert response.status_code == status
    assert says in response.content.decode()
    assert sorted(p.name for p in workspace.layout.files.iterdir()) == ["outputs"]
    assert not actions("workspace.file_added")


def test_a_path_in_a_scripts_name_is_dropped(workspace, people):
    client = login(people["applicant"])
    assert upload(client, workspace, "../../evil.py", "print(1)\n").status_code == 302
    assert (workspace.layout.files / "evil.py").is_file()
    assert not (workspace.layout.root.parent / "evil.py").exists()


def test_every_action_needs_its_csrf_token(workspace, people):
    client = login(people["applicant"])
    guarded = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    guarded.cookies = client.cookies
    (workspace.layout.files / "job.py").write_text("print(1)\n")
    for path, data in ((f"/workspaces/{workspace.pk}/refresh/", {}),
                       (f"/workspaces/{workspace.pk}/jobs/", {"script": "job.py"}),
                       (f"/workspaces/{workspace.pk}/second-factor/", {})):
        assert guarded.post(path, data).status_code == 403, path
    response = upload(guarded, workspace, "ok.py", "print(1)\n")
    assert response.status_code == 403
    assert not Run.objects.exists() and not (workspace.layout.files / "ok.py").exists()
    assert workspace.extractions.count() == 1


def test_three_jobs_at_most_wait_at_once(workspace, people, django_capture_on_commit_callbacks):
    (workspace.layout.files / "job.py").write_text("print(1)\n")
    client = login(people["applicant"])
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(f"/workspaces/{workspace.pk}/jobs/",
                               {"script": "job.py"}).status_code == 302
    refused = client.post(f"/workspaces/{workspace.pk}/jobs/", {"script": "job.py"})
    assert refused.status_code == 409 and "Three jobs" in refused.content.decode()
    assert Run.objects.count() == 3
    # A run whose worker died long ago stops counting.
    Run.objects.filter(pk=Run.objects.first().pk).update(
        state=RunState.RUNNING, started=timezone.now() - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/workspaces/{workspace.pk}/jobs/",
                           {"script": "job.py"}).status_code == 302
    assert Run.objects.filter(error="lost").count() == 1


def test_a_script_outside_the_files_cannot_be_chosen(workspace, people, tmp_path):
    outside = tmp_path / "evil.py"
    outside.write_text("print('evil')\n")
    (workspace.layout.files / "link.py").symlink_to(outside)
    client = login(people["applicant"])
    for script in ("../evil.py", str(outside), "link.py", "outputs/x.py"):
        response = client.post(f"/workspaces/{workspace.pk}/jobs/", {"script": script})
        assert response.status_code == 400, script
    assert not Run.objects.exists()
    assert "link.py" not in client.get(f"/workspaces/{workspace.pk}/files/").content.decode()


# --- refreshing the extract -------------------------------------------------------------------


def test_a_member_refreshes_the_extract_once_at_a_time(workspace, people,
                                                      django_capture_on_commit_callbacks):
    from hygie.web.guichet.models import ApplicationEvent

    ApplicationEvent.objects.create(application=workspace.application, seq=5,
                                    kind="cnil_authorisation", at=timezone.now(), role="cnil",
                                    data={"authorised_scope": {}}, stage_before="cnil",
                                    stage_after="authorised")
    client = login(people["applicant"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/workspaces/{workspace.pk}/refresh/")
    assert response.status_code == 302
    second = workspace.extractions.get(number=2)
    assert (second.reason, second.state, second.requested_by) == (
        "refresh", JobState.QUEUED, people["applicant"])
    page = client.get(f"/workspaces/{workspace.pk}/").content.decode()
    assert "Refresh the extract" not in page and "hygie/workspace.js" in page
    client.post(f"/workspaces/{workspace.pk}/refresh/")
    assert workspace.extractions.count() == 2
    assert [e.detail["number"] for e in actions("workspace.extraction_queued")] == [2]


# --- the whole way, from the guichet ----------------------------------------------------------


def test_pages_of_a_workspace_provisioned_from_an_authorisation(
        make_user, settings, tmp_path, with_lake, counting_env,  # noqa: F811
        django_capture_on_commit_callbacks):
    """The guichet's decision, the provisioning job, then the pages: the provenance the job
    writes is the one the pages read."""
    from tests.web.guichet_files import make_desk
    from tests.web.test_workspace_lifecycle import authorised_file

    settings.HYGIE_WORKSPACES = tmp_path / "workspaces"
    desk = make_desk(make_user)
    desk.applicant.device = TOTPDevice.objects.create(user=desk.applicant, name="phone",
                                                      confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        file = authorised_file(desk)
    assert run_jobs("workspaces") == 1
    workspace = Workspace.objects.get(application=file)
    assert workspace.state == State.READY
    client = login(desk.applicant)
    page = client.get(reverse("workspaces:workspace", args=[workspace.pk])).content.decode()
    assert file.reference in page and "June 1, 2026" in page
    assert "/catalogue/snds/" in page
    assert client.get(f"/workspaces/{workspace.pk}/tables/ER_PHA_F/").status_code == 200


def test_the_pages_read_in_french(workspace, people):
    client = login(people["applicant"])
    client.cookies["django_language"] = "fr"
    page = client.get(f"/workspaces/{workspace.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Espace de travail" in page and "Personnes dans l'extraction" in page
    assert "arrondis à 5, et les effectifs de 1 à 10 affichés «\u00a0&lt;11\u00a0»." in page
    files = client.get(f"/workspaces/{workspace.pk}/files/").content.decode()
    assert "Ajouter un script" in files and "Tâches" in files


def test_an_enrolment_link_carries_no_offsite_next(people):
    from hygie.web.accounts import enrolment

    path = enrolment.invitation_path(people["newcomer"])
    client = login(people["newcomer"])
    assert client.get(path + "?next=https://evil.example/")["Location"] == \
        "/accounts/two-factor/setup/"
