"""How long each stage of a file took, against the deadline that applied: the facts of the public
delay dashboard, from a case's history alone.

A span is one stay of the file in a stage, from the event that brought it there to the event that
took it away. Where a stage's clock is stopped (an EHDS application sent back for completion) and
later resumes in the same stage, the two stays are one span and the days in between are left out:
they are the applicant's, not the deciding body's. A span is met when it was left on or before
the last day its clock gave; a period that ran out (a CESREES opinion deemed given) is not met.

```python
from hygie.access import replay
from hygie.access.durations import spans

for s in spans(replay(events)):
    s.stage, s.entered, s.left, s.deadline, s.met, s.days, s.working_days
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from hygie.access.calendar import Unit, working_days_between
from hygie.access.description import Procedure, Role
from hygie.access.procedure import Case, Event, apply, day_of


@dataclass(frozen=True)
class Span:
    stage: str
    entered: datetime
    left: datetime | None  # None: still there, or its clock stands stopped in a later stage
    clock: str | None  # the stage's clock, None when no legal period applies
    unit: Unit | None
    deadline: date | None  # the last day that applied when it left (so far, while open)
    met: bool | None  # None: no deadline, or not left yet
    days: int | None  # calendar days from entry to leaving, the stops left out; None while open
    working_days: int | None  # the same in working days, for a clock in working days
    stopped: tuple[tuple[date, date], ...] = ()  # the days the clock stood stopped: (from, to)
    lapsed: bool = False  # left by the calendar when the period ran out


def timed(procedure: Procedure, stage: str) -> bool:
    """Whether a stage is a wait for someone's move (a review, a completion), as the dashboard
    counts them: not a final stage, and not a stage that lasts until an end date (an authorisation
    in force) unless a clock runs there too (an amendment under review)."""
    spec = procedure.stages[stage]
    return not spec.final and (spec.clock is not None or spec.ends is None)


@dataclass
class _Stay:
    """A span being built while the history is walked."""

    stage: str
    entered: datetime
    clock: str | None
    unit: Unit | None
    deadline: date | None = None
    runs: list[tuple[date, date | None]] = field(default_factory=list)  # days the clock ran
    left: datetime | None = None
    paused: datetime | None = None  # when a later stage stopped the clock
    lapsed: bool = False

    def span(self) -> Span:
        stopped = tuple((end, nxt[0]) for (_, end), nxt in zip(self.runs, self.runs[1:],
                                                              strict=False) if end is not None)
        if self.left is None:
            return Span(self.stage, self.entered, None, self.clock, self.unit, self.deadline,
                        None, None, None, stopped, False)
        first, last = day_of(self.entered), day_of(self.left)
        days = (last - first).days - sum((b - a).days for a, b in stopped)
        working = None
        if self.unit == "working_days":
            working = working_days_between(first, last) - sum(
                working_days_between(a, b) for a, b in stopped)
        met = None
        if self.deadline is not None:
            met = not self.lapsed and last <= self.deadline
        return Span(self.stage, self.entered, self.left, self.clock, self.unit, self.deadline,
                    met, days, working, stopped, self.lapsed)


def spans(case: Case) -> list[Span]:
    """The spans of the case's non-final stages, in the order they began. The case may be
    advanced (`advance`, `workflow.case_of(..., now)`): what the calendar did counts like any
    event."""
    proc = case.procedure
    if proc is None:
        return []
    among = {proc.name: proc}
    stays: list[_Stay] = []
    current: _Stay | None = None
    paused: dict[str, _Stay] = {}  # by clock: stays whose clock a later stage stopped
    before = Case()
    for event in case.history:
        after = apply(before, event, among)
        if after.stage != before.stage:
            if current is not None:
                _leave(current, before, after, event, proc, paused)
            current = _enter(after, event, proc, before, paused, stays)
        before = after
    if current is not None and current.clock is not None and current.left is None:
        clock = case.clock_named(current.clock)  # extended since it began, perhaps
        current.deadline = clock.due if clock is not None and clock.running else current.deadline
    for stay in paused.values():
        if case.final:  # the file ended while the clock stood stopped: the stay ended then
            stay.left = stay.paused
    return [s.span() for s in sorted(stays, key=lambda s: s.entered)]


def _leave(stay: _Stay, before: Case, after: Case, event: Event, proc: Procedure,
           paused: dict[str, _Stay]) -> None:
    day = day_of(event.at)
    clock = None if stay.clock is None else before.clock_named(stay.clock)
    if clock is not None and clock.running:
        stay.deadline = clock.due
    stay.runs[-1] = (stay.runs[-1][0], day)
    now = None if stay.clock is None else after.clock_named(stay.clock)
    if now is not None and now.state == "stopped":
        stay.paused = event.at
        paused[now.name] = stay
        return
    stay.left = event.at
    spec = None if stay.clock is None else proc.clocks[stay.clock]
    stay.lapsed = (proc.steps[event.kind].role == Role.CALENDAR and spec is not None
                   and spec.lapse is not None and spec.lapse.step == event.kind)


def _enter(after: Case, event: Event, proc: Procedure, before: Case,
           paused: dict[str, _Stay], stays: list[_Stay]) -> _Stay | None:
    day = day_of(event.at)
    name = proc.stages[after.stage].clock
    waiting = paused.get(name) if name is not None else None
    was = None if name is None else before.clock_named(name)
    if waiting is not None and was is not None and was.state == "stopped":
        del paused[waiting.clock or ""]
        if waiting.stage == after.stage:  # the clock resumes where it stopped: the same span
            waiting.runs.append((day, None))
            waiting.paused = None
            return waiting
        waiting.left = waiting.paused  # resumed elsewhere: the stay ended when it stopped
    if proc.stages[after.stage].final:
        return None
    unit = None if name is None else proc.clocks[name].unit
    stay = _Stay(after.stage, event.at, name, unit, runs=[(day, None)])
    clock = None if name is None else after.clock_named(name)
    stay.deadline = clock.due if clock is not None else None
    stays.append(stay)
    return stay
