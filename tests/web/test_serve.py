"""`hygie serve` as a service manager runs it: stopping it stops its job worker too."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.web.conftest import _free_port

pytestmark = pytest.mark.server


def workers_of(home: Path) -> list[int]:
    """The job workers running with this HYGIE_HOME."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes()
            env = (proc / "environ").read_bytes()
        except OSError:
            continue
        if b"db_worker" in cmd and f"HYGIE_HOME={home}\0".encode() in env:
            found.append(int(proc.name))
    return found


def queues_of(pid: int) -> list[str]:
    args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return [args[i + 1] for i, a in enumerate(args) if a in ("--queue-name", "--exclude-queues")]


def start(home: Path) -> subprocess.Popen:
    port = _free_port()
    env = {**os.environ, "HYGIE_HOME": str(home), "HYGIE_DATABASE_URL": "",
           "DJANGO_SETTINGS_MODULE": "hygie.web.settings"}
    proc = subprocess.Popen([sys.executable, "-m", "hygie.cli", "serve", "--port", str(port),
                             "--no-demo"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(workers_of(home)) < 3:
        assert proc.poll() is None and time.time() < deadline, "hygie serve did not start"
        time.sleep(0.2)
    return proc


def wait_gone(home: Path) -> list[int]:
    deadline = time.time() + 30
    while workers_of(home) and time.time() < deadline:
        time.sleep(0.2)
    return workers_of(home)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_serve_stops_its_worker(site, tmp_path, how):
    # A copy of the site's database, catalogue imported, so that serve starts at once.
    with (sqlite3.connect(site.home / "hygie.sqlite3") as source,
          sqlite3.connect(tmp_path / "hygie.sqlite3") as copy):
        source.backup(copy)
    proc = start(tmp_path)
    # One worker per kind of job: a long count cannot hold back mail or statistics.
    assert sorted(queues_of(pid) for pid in workers_of(tmp_path)) == [
        ["*", "feasibility,statistics,workspaces,runs"], ["feasibility"], ["runs"],
        ["statistics"], ["workspaces"]]
    proc.send_signal(how)
    proc.wait(timeout=60)
    assert wait_gone(tmp_path) == []


def test_serve_on_the_embedded_defaults_gives_counts_a_secret_and_synthetic_data(site):
    # The `site` fixture starts serve as `make serve` does: nothing configured.
    assert (site.home / "pseudo_secret").stat().st_mode & 0o077 == 0
    out = site.python("from hygie.web.catalogue.models import DatasetVersion\n"
                      "v = DatasetVersion.objects.filter(dataset__slug='snds').latest('number')\n"
                      "print(v.lake_path, v.lake_synthetic)")
    path, synthetic = out.split()[-2:]  # the last line; the shell may say more before
    assert Path(path) == site.home / "lake" / "snds-synthetic" and synthetic == "True"
    assert (Path(path) / "manifest.json").exists()
