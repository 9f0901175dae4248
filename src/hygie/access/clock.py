"""A legal clock on one application: started, stopped, resumed with the remaining time, extended.

A stop keeps what is left (in the days the clock counts: working days for a clock in working
days, calendar days otherwise) and a resumption gives it back from the day the file returns, so
the days the file spent with the applicant do not count against the body that decides.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from hygie.access.calendar import Unit, add, between, shift
from hygie.access.description import Clock


@dataclass(frozen=True)
class ClockState:
    name: str
    unit: Unit
    state: Literal["running", "stopped", "ended"]
    due: date | None  # the last day, while running
    since: date | None = None  # when the current run began
    used: int = 0  # days counted by the runs before the current one
    remaining: int = 0  # days left when stopped; negative if stopped late
    extensions: int = 0

    @property
    def running(self) -> bool:
        return self.state == "running"

    def days_used(self, today: date) -> int:
        """Days counted so far, up to `today` while running."""
        if self.running and self.since is not None:
            return self.used + between(self.since, today, self.unit)
        return self.used

    def stop(self, day: date) -> ClockState:
        assert self.due is not None and self.since is not None
        return replace(self, state="stopped", due=None, since=None,
                       used=self.used + between(self.since, day, self.unit),
                       remaining=between(day, self.due, self.unit))

    def resume(self, day: date) -> ClockState:
        return replace(self, state="running", due=shift(day, self.remaining, self.unit), since=day,
                       remaining=0)

    def end(self, day: date) -> ClockState:
        assert self.since is not None
        return replace(self, state="ended", due=None, since=None,
                       used=self.used + between(self.since, day, self.unit))

    def extend(self, spec: Clock) -> ClockState:
        assert self.due is not None and spec.extension is not None
        ext = spec.extension
        return replace(self, due=add(self.due, ext.length or spec.length, ext.unit or spec.unit),
                       extensions=self.extensions + 1)


def start(name: str, spec: Clock, day: date) -> ClockState:
    return ClockState(name, spec.unit, "running", add(day, spec.length, spec.unit), since=day)
