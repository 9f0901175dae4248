"""Web tests: in-process (pytest-django, on SQLite or on PostgreSQL with HYGIE_DATABASE_URL) and
in a real browser against a real server (`site`, Debian's Chromium driven by Playwright).

The in-process test database holds the SNDS catalogue, imported once per session; each test runs
in a transaction rolled back at its end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hygie.web.devsecret import SECRET_VARS
from tests.web.helpers import PASSWORD, sign_in

CHROMIUM = os.environ.get("HYGIE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    from hygie.web.catalogue.seed import load_snds

    with django_db_blocker.unblock():
        load_snds()


@pytest.fixture(autouse=True)
def _audit_triggers_and_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """A transactional test finds the seeded SNDS catalogue, as every other test does.

    The audit trail's triggers refuse deletes, and Django empties the tables of a
    transactional test with DELETE on SQLite (TRUNCATE on PostgreSQL, which they let through).
    So on SQLite a transactional test drops them at its end, before the flush, and every test
    that uses the database puts them back first (from the migration that creates them)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        yield
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.db import connection

    if transactional:  # an earlier transactional test emptied the database, seeded catalogue too
        from hygie.web.catalogue.models import Dataset
        from hygie.web.catalogue.seed import load_snds

        if not Dataset.objects.filter(slug="snds").exists():
            load_snds()

    if connection.vendor == "sqlite":
        import importlib

        from hygie.web.audit import triggers

        if triggers.missing(connection):
            creation = importlib.import_module("hygie.web.audit.migrations.0005_append_only")
            with connection.cursor() as cursor:
                for statement in creation.SQLITE:
                    cursor.execute(statement.replace("CREATE TRIGGER ",
                                                     "CREATE TRIGGER IF NOT EXISTS ", 1))
    yield
    if transactional and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for name in sorted(triggers.NAMES):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rendered page parts are cached per process: each test starts without another's."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """make_user("alice", role=..., holder="cnam", totp=True): a user; with totp, a confirmed
    TOTP device is attached as `user.device` (use `device.bin_key` to compute codes)."""
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hygie.web.accounts.models import User
    from hygie.web.catalogue.models import DataHolder, Membership

    def make(username: str, *, role: str | None = None, holder: str | None = None,
             totp: bool = False, **fields: Any) -> Any:
        user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, **fields)
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        if holder:
            h, _ = DataHolder.objects.get_or_create(slug=holder, defaults={"name": holder.upper()})
            Membership.objects.create(user=user, holder=h)
        if totp:
            user.device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        return user

    return make


@pytest.fixture
def signed_in(client: Any) -> Callable[[Any], Any]:
    """signed_in(user): the test client, signed in (and verified when the user has a device)."""
    return lambda user: sign_in(client, user)


# --- a real server, for the browser ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Site:
    url: str
    home: Path
    env: dict[str, str]

    def manage(self, *args: str, input: str | None = None) -> str:
        """Run `hygie manage ...` against the site's database."""
        out = subprocess.run([sys.executable, "-m", "hygie.cli", "manage", *args], env=self.env,
                             capture_output=True, text=True, input=input, timeout=600)
        assert out.returncode == 0, out.stderr[-3000:]
        return out.stdout

    def python(self, code: str) -> str:
        """Run Python code in a Django shell of the site (to arrange data)."""
        return self.manage("shell", "-c", code)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """`hygie serve` as `make serve` runs it (waitress and the task workers, a fresh SQLite
    database, no secret configured), on loopback, with a 3,000-person synthetic SNDS made and
    attached by serve itself, as a newcomer's first start does (5,000 people there)."""
    home = tmp_path_factory.mktemp("site")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    env.update({"HYGIE_HOME": str(home), "HYGIE_DATABASE_URL": "",
                "DJANGO_SETTINGS_MODULE": "hygie.web.settings"})
    log = (home / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "hygie.cli", "serve", "--port", str(port),
                             "--demo-people", "3000", "--demo-years", "2019-2022"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("the server did not start: "
                                   + (home / "server.log").read_text()[-3000:]) from None
            time.sleep(0.5)
    # The tests' own commands use the development secret serve made, as an operator would.
    env["HYGIE_PSEUDO_SECRET_FILE"] = str(home / "pseudo_secret")
    site = Site(url, home, env)
    try:
        yield site
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no Chromium at {CHROMIUM}; CI must run the browser tests")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()
