"""Helpers for the web tests: signing in, TOTP codes, the job worker, the accessibility check."""

from __future__ import annotations

import time
from typing import Any

PASSWORD = "correct horse battery staple"  # every test user's


def totp_now(device: Any) -> str:
    """The current code of a django-otp TOTP device (as an authenticator app shows it)."""
    from django_otp.oath import TOTP

    t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    t.time = time.time()
    return f"{t.token():0{device.digits}d}"


def sign_in(client: Any, user: Any) -> Any:
    """Sign `client` in as `user`, past the second factor when the user has a device."""
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    if getattr(user, "device", None) is not None:
        response = client.post("/accounts/two-factor/", {"token": totp_now(user.device)})
        assert response.status_code == 302
    return client


def login(user: Any) -> Any:
    """A fresh client signed in as `user`, with pages in English. One client per user: a TOTP
    code is accepted once, so a user signs in once per test."""
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    return sign_in(client, user)


def run_jobs(queue: str) -> int:
    """Run the queued jobs of a queue as `hygie manage db_worker` does (claim, run, record)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(queue_names=[queue], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="test-worker",
                    excluded_queue_names=[])
    done = 0
    for row in DBTaskResult.objects.ready().filter(queue_name=queue):
        row.claim("test-worker")
        worker.run_task(row)
        done += 1
    return done


def assert_accessible(page: Any) -> None:
    """axe-core finds no serious or critical WCAG 2.1 A/AA violation on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(f"{v['id']} ({v['impact']}): {v['help']} at "
                              f"{[n['target'] for n in v['nodes']][:3]}" for v in bad)
