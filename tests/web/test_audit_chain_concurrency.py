"""Writers recording at the same time never share a number nor fork the chain: threads on
PostgreSQL (each its own connection and transactions), processes on a SQLite file (as the web
server and the job workers run)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, transaction

from hygie.web.audit import trail
from hygie.web.audit.actions import Action
from hygie.web.audit.models import AuditEvent
from hygie.web.audit.record import record

WRITERS, EACH = 8, 25


# Committed transactions, so the test cannot run in one rolled back; afterwards only the audit
# tables are emptied (the catalogue the other tests share stays), and record() starts the head
# again from an empty table. Skipped before the database is set up on SQLite, whose emptying
# (DELETE, not TRUNCATE) the triggers would refuse.
@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                    reason="threads on one database: PostgreSQL (SQLite: processes, below)")
@pytest.mark.django_db(transaction=True, available_apps=["hygie.web.audit"])
def test_threads_recording_at_once_on_postgresql_make_one_gapless_chain():
    first = record(Action.SEARCH_INDEX_REBUILT, None).seq
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with transaction.atomic():
                    record(Action.SEARCH_INDEX_REBUILT, None, writer=writer, i=i)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    seqs = list(AuditEvent.objects.filter(seq__gt=first).order_by("seq")
                .values_list("seq", flat=True))
    assert seqs == list(range(first + 1, first + 1 + WRITERS * EACH))
    written = AuditEvent.objects.filter(seq__gt=first).values_list("detail", flat=True)
    assert sorted((d["writer"], d["i"]) for d in written) == \
        [(w, i) for w in range(WRITERS) for i in range(EACH)]
    report = trail.verify()
    assert report.intact, report.summary()
    assert report.last is not None and report.last.seq == first + WRITERS * EACH


WRITER = """
from django.db import transaction
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
for i in range({each}):
    with transaction.atomic():
        record(Action.SEARCH_INDEX_REBUILT, None, writer={writer}, i=i)
"""


@pytest.mark.slow
def test_processes_recording_at_once_on_a_sqlite_file_make_one_gapless_chain(tmp_path: Path):
    env = {**os.environ, "HYGIE_HOME": str(tmp_path), "HYGIE_DATABASE_URL": "",
           "DJANGO_SETTINGS_MODULE": "hygie.web.settings"}

    def hygie(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "hygie.cli", *args], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def done(proc: subprocess.Popen[str]) -> str:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
        return out

    done(hygie("manage", "migrate", "-v0"))
    writers = [hygie("manage", "shell", "-c", WRITER.format(each=EACH, writer=w))
               for w in range(4)]
    for proc in writers:
        done(proc)
    assert done(hygie("audit", "verify")).startswith(f"{4 * EACH} entries, chain intact")
