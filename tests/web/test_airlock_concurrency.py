"""Checkers approving at the same time: a request gets exactly two approvals and is approved once,
whatever the interleaving. Several processes, each with its own connection, approve the same
requests at the same moment (`flow.decide` locks the request's row first: SELECT ... FOR UPDATE on
PostgreSQL, the IMMEDIATE write lock on SQLite).

The race needs committed transactions, which the tests' shared database (rolled back after each
test, holding the catalogue the others read) cannot give: it runs on a database of its own, made
for it, on the engine the tests run on (a new PostgreSQL database beside the test database, or a
SQLite file).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

CHECKERS, REQUESTS = 5, 12

ARRANGE = """
import json
from django.contrib.auth.models import Group
from django.utils import timezone
from hygie.web.accounts.models import User
from hygie.web.airlock.models import ReleaseFile, ReleaseRequest
from hygie.web.guichet.models import Application
from hygie.web.workspaces.models import Workspace
group = Group.objects.get_or_create(name="output-checker")[0]
author = User.objects.create_user("race-author", "race-author@example.org", "x")
checkers = []
for i in range({checkers}):
    user = User.objects.create_user(f"race-checker{{i}}", f"race-checker{{i}}@example.org", "x")
    user.groups.add(group)
    checkers.append(user.pk)
application = Application.objects.create(procedure="authorisation", applicant=author,
                                         title="Race", stage="authorised")
workspace = Workspace.objects.create(application=application, folder="race", state="ready")
requests = []
for r in range({requests}):
    release = ReleaseRequest.objects.create(workspace=workspace, author=author, title=f"Race {{r}}",
                                            purpose="p", submitted=timezone.now())
    ReleaseFile.objects.create(request=release, round=1, name="t.csv", stored="race/t.csv",
                               size=1, sha256="0" * 64, report={{"findings": []}}, blocking=False)
    requests.append(release.pk)
print(json.dumps({{"checkers": checkers, "requests": requests}}))
"""

# Each checker waits for the start signal, then approves every request (in its own order).
APPROVE = """
import json, os, random, sys, time
import django
django.setup()
from hygie.web.accounts.models import User
from hygie.web.airlock import flow
from hygie.web.airlock.review import Decision
checker, requests, go = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
user = User.objects.get(pk=checker)
random.Random(checker).shuffle(requests)
while not os.path.exists(go):
    time.sleep(0.005)
done = {}
for pk in requests:
    refused = flow.decide(pk, user, Decision.APPROVE, "", verified=True).refused
    done[pk] = refused.value if refused else "approved"
print(json.dumps(done))
"""

COUNT = """
import json
from hygie.web.airlock.models import ReleaseRequest
from hygie.web.audit.models import AuditEvent
from hygie.web.audit import trail
out = {}
for release in ReleaseRequest.objects.all():
    out[release.pk] = {
        "status": release.status,
        "approvals": list(release.reviews.filter(decision="approve").values_list("reviewer_id",
                                                                                  flat=True)),
        "approved_events": AuditEvent.objects.filter(action="airlock.approved",
                                                     target_id=str(release.pk)).count()}
print(json.dumps({"requests": out, "chain": trail.verify().intact}))
"""


@pytest.fixture
def race_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of processes working on a new database of their own."""
    env = {**os.environ, "HYGIE_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "hygie.web.settings",
           "HYGIE_AIRLOCK": str(tmp_path / "airlock"), "HYGIE_DATABASE_URL": ""}
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        yield env
        return
    import psycopg

    name = f"airlock_race_{uuid.uuid4().hex[:8]}"
    params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432,
              "user": db["USER"], "password": db["PASSWORD"] or None, "dbname": "postgres",
              "autocommit": True}
    with psycopg.connect(**params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env["HYGIE_DATABASE_URL"] = (f"postgres://{db['USER']}{password}@{params['host']}:"
                                 f"{params['port']}/{name}")
    try:
        yield env
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def test_simultaneous_approvals_give_two_approvals_and_one_decision(race_env, tmp_path):
    _run(race_env, "-m", "hygie.cli", "manage", "migrate", "-v0")
    arranged = json.loads(_run(race_env, "-m", "hygie.cli", "manage", "shell", "-c",
                               ARRANGE.format(checkers=CHECKERS, requests=REQUESTS)))
    go = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", APPROVE, str(checker),
                                 json.dumps(arranged["requests"]), str(go)],
                                env=race_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for checker in arranged["checkers"]]
    time.sleep(8)  # every worker has started Django and waits for the signal
    go.touch()
    answers = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]
        answers.append(json.loads(out.strip().splitlines()[-1]))
    counted = json.loads(_run(race_env, "-m", "hygie.cli", "manage", "shell", "-c", COUNT))
    assert counted["chain"]
    for pk in arranged["requests"]:
        state = counted["requests"][str(pk)]
        assert state["status"] == "approved"
        assert len(state["approvals"]) == 2 and len(set(state["approvals"])) == 2, state
        assert state["approved_events"] == 1
        said = sorted(a[str(pk)] for a in answers)
        assert said == ["approved"] * 2 + ["not_in_review"] * (CHECKERS - 2), said
