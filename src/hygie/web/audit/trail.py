"""The stored chain as a whole: its head, verification, export and pruning (what `hygie audit`
and the audit page's download call). The chain's rules themselves are in `audit.chain`."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from hygie.web.audit import chain
from hygie.web.audit.actions import Action
from hygie.web.audit.chain import Anchor, Entry, Problem, Report
from hygie.web.audit.models import ENTRY_COLUMNS, AuditCheckpoint, AuditEvent, AuditHead, entry_of
from hygie.web.audit.record import record
from hygie.web.register.views import cell  # the register's CSV cells: formulas quoted

BATCH = 5_000


def head() -> Anchor | None:
    row = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    return Anchor(*row) if row else None


def checkpoint() -> Anchor | None:
    """The last checkpoint: where the chain starts after a pruning."""
    row = AuditCheckpoint.objects.order_by("-upto_seq").values_list("upto_seq", "hash").first()
    return Anchor(*row) if row else None


def entries(after: int = 0) -> Iterator[Entry]:
    rows = (AuditEvent.objects.filter(seq__gt=after).order_by("seq")
            .values_list(*ENTRY_COLUMNS).iterator(chunk_size=BATCH))
    return (entry_of(*row) for row in rows)


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of head, checkpoint and entries while the site keeps writing (read
    only, so writers are not held up); inside a caller's transaction, that transaction's view."""
    if connection.in_atomic_block:
        yield
    elif connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
    else:  # SQLite: a deferred transaction reads one snapshot of the WAL and takes no write lock
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")


def verify(expect: Anchor | None = None, *,
           progress: Callable[[Iterable[Entry]], Iterable[Entry]] | None = None) -> Report:
    """Walk the stored chain from the last checkpoint (or the start) and compare its end with
    the head row and, when given, with a head kept outside the platform."""
    with _snapshot():
        start, stored_head = checkpoint() or chain.START, head()
        report = chain.walk(lambda: (progress or iter)(entries(start.seq)), start,
                            watch=expect.seq if expect else None)
        if stored_head is None and report.problem is None and report.last is not None:
            report.problem = Problem("head", report.last.seq, "the head row is missing")
        chain.check_head(report, stored_head)
        if expect is not None:
            chain.check_kept_head(report, expect)
        chain.check_checkpoint(report)
    return report


# --- export ---------------------------------------------------------------------------------------


def day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """From the start of `since` to the end of `until`, days of the site's time zone."""
    zone = timezone.get_current_timezone()
    return (datetime.combine(since, time.min, zone) if since else None,
            datetime.combine(until + timedelta(days=1), time.min, zone)
            if until and until < date.max else None)


def export_entries(since: date | None, until: date | None) -> Iterator[Entry]:
    """The entries recorded from `since` to `until` (days, both included) as one run of
    numbers, so that the export verifies on its own (`hygie audit verify --file`)."""
    start, end = day_bounds(since, until)
    rows = AuditEvent.objects.order_by("seq")
    if start is not None:
        first = rows.filter(at__gte=start).values_list("seq", flat=True).first()
        if first is None:
            return iter(())
        rows = rows.filter(seq__gte=first)
    if end is not None:
        after = rows.filter(at__gte=end).values_list("seq", flat=True).first()
        if after is not None:
            rows = rows.filter(seq__lt=after)
    return (entry_of(*row) for row in rows.values_list(*ENTRY_COLUMNS).iterator(chunk_size=BATCH))


class _Echo:
    """A file for csv.writer that hands each row back, to stream it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterator[Entry]) -> Iterator[str]:
    """CSV for spreadsheets: one row per entry, detail as canonical JSON, cells starting like a
    formula quoted (so the CSV is for reading; the JSONL export is the one to verify)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(chain.FIELDS)
    for entry in rows:
        values = {**entry.content(), "hash": entry.hash, "detail": chain.canonical_json(entry.detail)}
        yield writer.writerow([cell(values[name]) for name in chain.FIELDS])


def jsonl_lines(rows: Iterator[Entry]) -> Iterator[str]:
    return (entry.to_json() + "\n" for entry in rows)


# --- pruning --------------------------------------------------------------------------------------


class ChainBroken(Exception):
    def __init__(self, report: Report) -> None:
        super().__init__(report.summary())
        self.report = report


@dataclass(frozen=True)
class Pruned:
    checkpoint: AuditCheckpoint
    event: AuditEvent


def prune(days: int, by: str, now: datetime | None = None) -> Pruned | None:
    """Remove the entries older than `days`, after a checkpoint naming the last one removed and
    before an entry recording the pruning, all in one transaction; None when none is that old.
    Refuses (ChainBroken) when the chain does not verify: pruning must not erase the evidence."""
    now = now or timezone.now()
    before = now - timedelta(days=days)
    with transaction.atomic():
        AuditHead.objects.select_for_update().filter(pk=1).first()  # writers wait for us
        report = verify()
        if not report.intact:
            raise ChainBroken(report)
        start = report.start.seq
        first_kept = (AuditEvent.objects.filter(seq__gt=start, at__gte=before).order_by("seq")
                      .values_list("seq", flat=True).first())
        upto = first_kept - 1 if first_kept is not None else (report.last or report.start).seq
        if upto <= start:
            return None
        digest = AuditEvent.objects.values_list("hash", flat=True).get(seq=upto)
        removed = AuditEvent.objects.filter(seq__gt=start, seq__lte=upto).count()
        mark = AuditCheckpoint.objects.create(upto_seq=upto, hash=digest, removed=removed,
                                              before=before, at=now, by=by[:150])
        AuditEvent.objects.filter(seq__lte=upto).delete()
        event = record(Action.AUDIT_PRUNED, None, upto_seq=upto, hash=digest, removed=removed,
                       before=chain.canonical_time(before), retention_days=days, by=by)
    return Pruned(mark, event)
