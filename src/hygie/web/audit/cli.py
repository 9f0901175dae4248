"""`hygie audit ...`: the security officer's tools for the audit trail (verify, head, export,
prune). Exit codes: 0 done (chain intact), 1 the chain is broken, 2 a wrong argument."""

from __future__ import annotations

import contextlib
import getpass
import sys
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

audit_app = typer.Typer(no_args_is_help=True,
                        help="The audit trail: verify its hash chain, print its head, export, "
                             "prune past the retention.")


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _operator() -> str:
    """Who runs the command, for the trail: the account of the shell."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (OSError, KeyError):
        return "unknown (command line)"


def _anchor(text: str | None) -> Any:
    from hygie.web.audit.chain import Anchor

    if text is None:
        return None
    try:
        return Anchor.parse(text)
    except ValueError as exc:
        raise _fail(str(exc)) from None


def _report(report: Any) -> None:
    if report.intact:
        typer.echo(report.summary())
        return
    typer.echo(report.summary(), err=True)
    raise typer.Exit(1)


def _django() -> None:
    from hygie.web.cli import _django as setup

    setup()


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _tracked(total: int) -> Any:
    """The entries, counted on a progress bar (standard error) when there are many."""
    from rich.progress import track

    def wrap(rows: Iterable[Any]) -> Iterator[Any]:
        if total < 50_000:
            yield from rows
        else:
            yield from track(rows, total=total, description="Verifying", transient=True,
                             console=_stderr())
    return wrap


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@audit_app.command("verify")
def verify(file: Path | None = typer.Option(None, "--file", exists=True, dir_okay=False,
                                            help="Verify a JSONL export instead of the "
                                                 "database."),
           expect_head: str | None = typer.Option(None, "--expect-head", metavar="SEQ:HASH",
                                                  help="A head kept outside the platform "
                                                       "(`hygie audit head`): the chain must "
                                                       "still hold it.")) -> None:
    """Walk the hash chain from the last checkpoint and report the first problem (altered,
    removed, reordered entries, a truncated tail) with its number; exit 1 if there is one."""
    kept = _anchor(expect_head)
    if file is not None:
        from hygie.web.audit.chain import verify_export

        def lines() -> Iterator[str]:
            with file.open(encoding="utf-8", errors="replace") as handle:
                yield from handle

        _report(verify_export(lines, kept))
        return
    _django()
    from django.db import connection

    from hygie.web.audit import trail, triggers

    head = trail.head()
    start = trail.checkpoint()
    report = trail.verify(kept, progress=_tracked((head.seq if head else 0)
                                                  - (start.seq if start else 0)))
    absent = triggers.missing(connection)
    if absent:
        typer.echo(f"warning: the append-only triggers {', '.join(absent)} are missing or "
                   "disabled: re-create them (audit migration 0005)", err=True)
    _report(report)


@audit_app.command("head")
def head() -> None:
    """Print the chain's last entry as SEQ:HASH, to keep outside the platform (then
    `verify --expect-head SEQ:HASH` detects a truncation that also rewrote the head)."""
    _django()
    from hygie.web.audit import trail
    from hygie.web.audit.chain import START

    typer.echo(str(trail.head() or START))


@audit_app.command("export")
def export(since: datetime | None = typer.Option(None, formats=["%Y-%m-%d"],
                                                 help="First day (YYYY-MM-DD), included."),
           until: datetime | None = typer.Option(None, formats=["%Y-%m-%d"],
                                                 help="Last day (YYYY-MM-DD), included."),
           format: Format = typer.Option(Format.jsonl, "--format",
                                         help="jsonl (verifiable with verify --file) or csv "
                                              "(for spreadsheets)."),
           out: Path | None = typer.Option(None, "--out", "-o", dir_okay=False,
                                           help="The file to write (default: standard output).")
           ) -> None:
    """Export the entries of a period with every field (seq, prev_hash, hash included). The
    export is itself recorded in the trail."""
    if since and until and until < since:
        raise _fail("--until is before --since")
    _django()
    from hygie.web.audit import trail
    from hygie.web.audit.actions import Action
    from hygie.web.audit.record import record

    rows = trail.export_entries(_day(since), _day(until))
    count = 0

    def counted() -> Iterator[Any]:
        nonlocal count
        for entry in rows:
            count += 1
            yield entry

    lines = (trail.jsonl_lines if format is Format.jsonl else trail.csv_lines)(counted())
    target: Any = (out.open("w", encoding="utf-8", newline="") if out
                   else contextlib.nullcontext(sys.stdout))
    with target as handle:
        handle.writelines(lines)
    record(Action.AUDIT_EXPORTED, None, format=format.value, entries=count, by=_operator(),
           since=str(_day(since) or ""), until=str(_day(until) or ""))
    if out:
        typer.echo(f"{count:,} entries written to {out}", err=True)


@audit_app.command("prune")
def prune(by: str = typer.Option(None, "--by", help="Who prunes (default: the shell's user).")
          ) -> None:
    """Remove the entries older than HYGIE_AUDIT_RETENTION_DAYS (400 days by default), after
    checking the chain; a checkpoint keeps it verifiable, and the pruning is recorded."""
    _django()
    from hygie.web.audit import trail
    from hygie.web.audit.retention import retention_days

    days = retention_days()
    try:
        done = trail.prune(days, by or _operator())
    except trail.ChainBroken as exc:
        typer.echo(f"not pruned, {exc}", err=True)
        raise typer.Exit(1) from None
    if done is None:
        typer.echo(f"Nothing to prune: no entry is older than {days} days.")
        return
    mark = done.checkpoint
    typer.echo(f"Removed {mark.removed:,} entries older than {mark.before:%Y-%m-%d} (up to seq "
               f"{mark.upto_seq}); checkpoint {mark.upto_seq}:{mark.hash}; recorded as entry "
               f"{done.event.seq}.")
