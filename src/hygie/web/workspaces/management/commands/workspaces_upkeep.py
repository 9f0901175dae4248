"""`hygie manage workspaces_upkeep`: queue again the provisioning jobs whose worker died, and
delete the data of workspaces closed past their retention; once, or every few minutes until
stopped (`--every`, which `hygie serve` uses)."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from hygie.web.workspaces.lifecycle import delete_expired
from hygie.web.workspaces.tasks import resume_stale

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = ("Resume the workspace extractions whose job died, and delete the data of workspaces "
            "closed past their retention period.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, metavar="MINUTES",
                            help="Run again every MINUTES minutes until stopped.")

    def handle(self, *args: Any, every: int | None = None, **options: Any) -> None:
        if every is None:
            self._once(quiet=False)
            return
        if every < 1:
            raise CommandError("--every takes a number of minutes (1 or more)")
        while True:
            close_old_connections()
            try:
                self._once(quiet=True)
            except Exception:
                log.exception("the workspaces' upkeep failed")
            time.sleep(every * 60)

    def _once(self, *, quiet: bool) -> None:
        resumed, deleted = resume_stale(), delete_expired()
        if not quiet or resumed or deleted:
            self.stdout.write(f"{resumed} extraction(s) resumed, {deleted} workspace(s) deleted")
