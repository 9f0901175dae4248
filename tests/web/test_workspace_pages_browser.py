"""A workspace in a real browser against `hygie serve`: a member signs in with their second
factor, reads the workspace, a table, adds a script and runs it as a job in the server's own
worker (bubblewrap, as deployed); the job's page follows it without being reloaded by hand.
axe-core checks each page."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest

from tests.web.helpers import PASSWORD, assert_accessible, totp_now
from tests.web.test_guichet_browser import english

pytestmark = pytest.mark.browser

ARRANGE = """
import datetime as dt, json
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from hygie.engine.lake import Dataset
from hygie.pseudo.keys import load_secret
from hygie.web.accounts.models import User
from hygie.web.catalogue.models import DatasetVersion
from hygie.web.feasibility.counting import ensure_register
from hygie.web.guichet.models import Application
from hygie.web.workspaces.models import Extraction, Workspace
from hygie.workspace.layout import Layout
from hygie.workspace.provision import Authorised, provision
version = DatasetVersion.objects.filter(dataset__slug="snds", status="published").first()
user = User.objects.create_user("ws-walker", "ws-walker@example.org", %(password)r,
                                first_name="Wanda", last_name="Walker")
key = TOTPDevice.objects.create(user=user, name="phone", confirmed=True).key
application = Application.objects.create(procedure="authorisation", applicant=user,
                                         title="Metformin in the workspace", stage="authorised")
authorised = Authorised(project=application.reference, cohort=%(cohort)r,
                        tables={"IR_BEN_R": ["BEN_SEX_COD", "BEN_NAI_ANN"],
                                "ER_PHA_F": ["PHA_PRS_C13"]},
                        start=dt.date(2020, 1, 1), end=dt.date(2021, 12, 31),
                        authorised_on=dt.date(2026, 6, 1))
folder = "browser-walk"
made = provision(Layout(settings.HYGIE_WORKSPACES / folder), 1, authorised,
                 Dataset.open(version.lake_path), secret=load_secret(),
                 register=ensure_register(settings.HYGIE_OPPOSITION_REGISTER),
                 provenance={"application": application.reference, "authorisation_seq": 1,
                             "dataset": {"slug": "snds", "version": version.number},
                             "reason": "authorisation"})
workspace = Workspace.objects.create(application=application, folder=folder, state="ready",
                                     current_extract=1)
Extraction.objects.create(workspace=workspace, number=1, reason="authorisation",
                          authorisation_seq=1, state="done", provenance=made)
print(json.dumps({"key": key, "pk": workspace.pk}))
"""
COHORT = """name: metformin_users
title: Metformin users, 2020-2021
period: {start: 2020-01-01, end: 2021-12-31}
codelists:
  metformin: {system: ATC, codes: ["A10BA02"]}
entry:
  any_of:
    - dispensed: metformin
"""
JOB = b"""from hygie.workspace.client import Workspace
ws = Workspace()
n = ws.sql("SELECT count(*) FROM ER_PHA_F").fetchall()[0][0]
ws.output("rows.txt").write_text(str(n))
print("rows counted")
"""


def test_a_member_reads_the_workspace_and_runs_a_job(site: Any, page: Any) -> None:
    arranged = json.loads(site.python(ARRANGE % {"password": PASSWORD, "cohort": COHORT})
                          .strip().splitlines()[-1])
    pk = arranged["pk"]
    # Signed in with a password only, the workspace asks for the second factor, then opens.
    english(page, site.url)
    page.goto(f"{site.url}/accounts/login/?next=/workspaces/{pk}/")
    page.fill("#id_username", "ws-walker")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/two-factor/\?next="))
    device = SimpleNamespace(bin_key=bytes.fromhex(arranged["key"]), step=30, t0=0, digits=6,
                             drift=0)
    page.fill("#id_token", totp_now(device))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/workspaces/{pk}/$"))
    assert page.locator("#provenance").is_visible()
    assert_accessible(page)
    page.locator("nav a", has_text="Workspaces").first.click()
    page.wait_for_url(re.compile(r"/workspaces/$"))
    assert_accessible(page)
    page.locator("main a", has_text=re.compile(r"HYG-")).click()
    page.wait_for_url(re.compile(rf"/workspaces/{pk}/$"))

    page.locator("#tables a", has_text="IR_BEN_R").click()
    page.wait_for_url(re.compile(r"/tables/IR_BEN_R/$"))
    assert page.locator("table.columns code", has_text="BEN_SEX_COD").count() == 1
    assert_accessible(page)

    page.goto(f"{site.url}/workspaces/{pk}/files/")
    assert_accessible(page)
    page.set_input_files("#id_script", files=[{"name": "rows.py", "mimeType": "text/x-python",
                                               "buffer": JOB}])
    page.locator("#add-script button[type=submit]").click()
    page.wait_for_url(re.compile(r"/files/#files$"))
    assert page.locator("code.file-name", has_text="rows.py").count() == 1
    page.select_option("#run_script", "rows.py")
    page.locator("#run-script button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/workspaces/{pk}/jobs/\d+/$"))
    # The page follows the job (workspace.js) until it ends, then shows its output.
    page.locator("pre.job-log", has_text="rows counted").wait_for(timeout=120_000)
    assert page.locator(".run-state").inner_text().strip() == "done"
    assert page.locator("code.file-name", has_text="outputs/rows.txt").count() == 1
    assert_accessible(page)
