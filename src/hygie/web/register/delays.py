"""The public delay dashboard: for each procedure and stage, by year of entry, how many files,
the median and 90th percentile of the days they took, and the share of deadlines met.

Every file from its receipt is replayed (`workflow.case_of`, with what the calendar did by now)
and cut into spans (`hygie.access.durations`). One file counts once per stage and year: its days
in the stage are added up over its stays there (a file sent back for complements and submitted
again), and its deadlines there are met when every one of them was. A stay still under way is not
counted until it ends. Days are calendar days, or working days where the stage's clock counts
those; the stops of a clock are left out. Cells of fewer than `MINIMUM_FILES` files show no
figure: a median of one or two files says nothing of the body's delays.

The median is the middle value (the mean of the two middle ones for an even number); the 90th
percentile is the nearest rank: the smallest number of days that 90% of the files did not exceed.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Max

from hygie.access import procedures
from hygie.access.durations import Span, spans, timed
from hygie.access.procedure import day_of
from hygie.web.guichet.models import Application
from hygie.web.guichet.workflow import case_of
from hygie.web.register import labels

MINIMUM_FILES = 5
CACHE_SECONDS = 600


@dataclass(frozen=True)
class Observation:
    procedure: str
    stage: str
    year: int  # of entry into the stage, in France
    days: int
    met: bool | None  # None: no legal period in the stage


@dataclass(frozen=True)
class Cell:
    year: int
    files: int
    median: float | None  # None when fewer than MINIMUM_FILES files
    p90: int | None
    met_share: float | None  # None also when the stage has no legal period

    @property
    def shown(self) -> bool:
        return self.files >= MINIMUM_FILES

    @property
    def met_percent(self) -> int | None:
        return None if self.met_share is None else round(self.met_share * 100)


@dataclass(frozen=True)
class StageRow:
    stage: str
    label: str
    period: str  # the legal period, "" when none
    unit: str  # what the days count: "days" or "working_days"
    cells: tuple[Cell, ...]  # by year, newest first


@dataclass(frozen=True)
class ProcedureTable:
    name: str
    label: str
    stages: tuple[StageRow, ...]


def observe(case_spans: list[Span], procedure: str) -> list[Observation]:
    """A file's observations: one per stage it finished, per year it entered it."""
    proc = procedures()[procedure]
    stays: dict[str, list[Span]] = defaultdict(list)
    for span in case_spans:
        if timed(proc, span.stage):
            stays[span.stage].append(span)
    found = []
    for stage, group in stays.items():
        if any(s.left is None for s in group):
            continue  # still under way
        days = sum((s.working_days if s.unit == "working_days" else s.days) or 0 for s in group)
        verdicts = [s.met for s in group if s.met is not None]
        found.append(Observation(procedure, stage, day_of(group[0].entered).year, days,
                                 all(verdicts) if verdicts else None))
    return found


def observations(now: datetime) -> list[Observation]:
    """Every public file's observations at `now`; cached while no file changes (and for the day,
    since the calendar moves files by itself)."""
    files = Application.objects.filter(received__isnull=False)
    state = files.aggregate(n=Count("pk"), last=Max("updated"))
    last = state["last"].timestamp() if state["last"] else 0
    key = f"register:delays:{state['n']}:{last}:{day_of(now).isoformat()}"
    found: list[Observation] | None = cache.get(key)
    if found is None:
        found = []
        for application in files.order_by("pk"):
            if application.procedure in procedures():
                found += observe(spans(case_of(application, now)), application.procedure)
        cache.set(key, found, CACHE_SECONDS)
    return found


def percentile(values: list[int], share: float) -> int:
    """The nearest-rank percentile: the smallest value that `share` of the values do not
    exceed."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def cell(year: int, found: list[Observation]) -> Cell:
    if len(found) < MINIMUM_FILES:
        return Cell(year, len(found), None, None, None)
    days = [o.days for o in found]
    verdicts = [o.met for o in found if o.met is not None]
    share = sum(verdicts) / len(verdicts) if verdicts else None
    return Cell(year, len(found), float(statistics.median(days)), percentile(days, 0.9), share)


def dashboard(now: datetime) -> list[ProcedureTable]:
    grouped: dict[tuple[str, str, int], list[Observation]] = defaultdict(list)
    for o in observations(now):
        grouped[(o.procedure, o.stage, o.year)].append(o)
    tables = []
    for name, proc in procedures().items():
        rows = []
        for stage in proc.stages:
            years = sorted({y for (p, s, y) in grouped if (p, s) == (name, stage)}, reverse=True)
            if not years:
                continue
            clock = proc.clock_of(stage)
            rows.append(StageRow(
                stage, labels.stage(stage), labels.period(clock) if clock else "",
                clock.unit if clock is not None and clock.unit == "working_days" else "days",
                tuple(cell(y, grouped[(name, stage, y)]) for y in years)))
        if rows:
            tables.append(ProcedureTable(name, labels.procedure(name), tuple(rows)))
    return tables
