"""`hygie manage guichet_calendar`: store the deadlines' lapses and send the reminders, once, or
every few minutes until stopped (`--every`, which `hygie serve` uses)."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from hygie.web.guichet import calendar_job

log = logging.getLogger(__name__)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("give the time zone, e.g. 2026-06-27T00:00+02:00")
    return moment


class Command(BaseCommand):
    help = ("Store what the passing of time did to the access applications (an opinion deemed "
            "given, an authorisation ended) and send the reminders of deadlines and results.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", metavar="ISO-DATETIME",
                            help="Run as at this moment (with its time zone), for a check.")
        parser.add_argument("--every", type=int, metavar="MINUTES",
                            help="Run again every MINUTES minutes until stopped.")

    def handle(self, *args: Any, now: str | None = None, every: int | None = None,
               **options: Any) -> None:
        try:
            moment = _moment(now) if now else None
        except ValueError as exc:
            raise CommandError(f"--now: {exc}") from None
        if every is None:
            self._once(moment)
            return
        if every < 1 or moment is not None:
            raise CommandError("--every takes a number of minutes (1 or more), without --now")
        while True:
            close_old_connections()  # a connection the database dropped meanwhile is not reused
            try:
                self._once(None, quiet=True)
            except Exception:  # the next run tries again; the error is in the log
                log.exception("the guichet's calendar failed")
            time.sleep(every * 60)

    def _once(self, now: datetime | None, *, quiet: bool = False) -> None:
        ran = calendar_job.run(now)
        if quiet and not (ran.stored or ran.reminders):
            return  # under `hygie serve`: a line only when something happened
        self.stdout.write(f"{ran.stored} calendar event(s) stored, {ran.reminders} reminder(s) "
                          "sent")
