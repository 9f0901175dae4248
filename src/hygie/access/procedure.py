"""The review of an access application, as a fold over its events.

An application's state is what its events give when replayed in order: nothing else is stored,
so the history is the audit trail and cannot disagree with the state. Each event is checked
against the state it applies to (who may act, in which stage, with what), so a stored history is
always a valid one.

The rules are not here: they are the procedure's description (`hygie.access.description`, the
packaged ones in `hygie/data/procedures/`), chosen by the first event's `path`. This module is the
one engine that reads any description: steps, the data they need, and the clocks each stage runs,
stops or lets lapse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from hygie.access.calendar import add_days
from hygie.access.clock import ClockState, start
from hygie.access.description import Choice, Procedure, Role, Step, packaged

LEGAL_TIME = ZoneInfo("Europe/Paris")  # the days that deadlines count


class Path(StrEnum):
    """The packaged procedures; a deployment's own procedure is named by its description."""

    AUTHORISATION = "authorisation"
    REFERENCE = "reference-methodology"
    EHDS_PERMIT = "ehds-permit"
    EHDS_REQUEST = "ehds-request"


class Stage(StrEnum):
    """Stage names the packaged procedures use; a description may name others."""

    DRAFT = "draft"
    SUBMITTED = "submitted"  # with the secretariat (of the access body)
    INCOMPLETE = "incomplete"  # back with the applicant, for complements
    CESREES = "cesrees"  # with the ethics and scientific committee
    CNIL = "cnil"  # with the data protection authority
    AUTHORISED = "authorised"
    DECLARED = "declared"  # conformity to a reference methodology recorded
    GRANTED = "granted"  # an EHDS data permit
    ANSWERED = "answered"  # an EHDS health data request, with an approved statistical result
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    AMENDMENT = "amendment"  # an authorised project's change, with the secretariat
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


WHO = MappingProxyType({  # the roles, as messages name them
    Role.APPLICANT: "the applicant", Role.SECRETARIAT: "the secretariat",
    Role.CESREES: "the CESREES", Role.CNIL: "the CNIL", Role.DATA_HOLDER: "a data holder",
    Role.CALENDAR: "the calendar"})


class Opinion(StrEnum):
    FAVOURABLE = "favourable"
    WITH_RECOMMENDATIONS = "favourable-with-recommendations"
    UNFAVOURABLE = "unfavourable"
    DEEMED = "deemed"  # no opinion within the period


class ProcedureError(Exception):
    """An event that the application's state does not allow; the message says why."""


@dataclass(frozen=True)
class Event:
    kind: str  # a step of the procedure
    at: datetime  # aware
    role: Role
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Case:
    """Where an application stands."""

    stage: str = Stage.DRAFT.value
    procedure: Procedure | None = field(default=None, repr=False)  # chosen by the first event
    since: datetime | None = None  # when the current stage began
    clocks: tuple[ClockState, ...] = ()  # every clock started so far, running, stopped or ended
    record: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # steps' data
    history: tuple[Event, ...] = ()

    @property
    def path(self) -> str | None:
        return None if self.procedure is None else self.procedure.name

    @property
    def final(self) -> bool:
        return self.procedure is not None and self.stage in self.procedure.final

    def clock_named(self, name: str) -> ClockState | None:
        return next((c for c in self.clocks if c.name == name), None)

    @property
    def clock(self) -> ClockState | None:
        """The clock of the current stage (None when the stage has none)."""
        name = None if self.procedure is None else self.procedure.stages[self.stage].clock
        return None if name is None else self.clock_named(name)

    @property
    def deadline(self) -> date | None:
        """The last day for the current stage's move; None when no clock runs."""
        return self.clock.due if self.clock is not None and self.clock.running else None

    @property
    def clock_running(self) -> bool:
        return self.deadline is not None

    def days_used(self, today: date) -> int:
        """Days the current stage's clock has counted, stops left out."""
        return 0 if self.clock is None else self.clock.days_used(today)

    def overdue(self, today: date) -> bool:  # today in France: `day_of(now)`
        """Whether the current stage's deadline has passed without a decision."""
        return not self.final and self.deadline is not None and today > self.deadline

    # The facts the steps recorded, under the names the descriptions give them.
    @property
    def opinion(self) -> str | None:
        return self.record.get("opinion")

    @property
    def methodology(self) -> str:
        return str(self.record.get("methodology", ""))

    @property
    def scope(self) -> str:
        return str(self.record.get("scope", ""))

    @property
    def authorised_until(self) -> date | None:
        return self.record.get("until")

    @property
    def extended(self) -> bool:
        return any(c.extensions for c in self.clocks)


@cache
def procedures() -> Mapping[str, Procedure]:
    """The packaged procedures, by name, loaded once."""
    return MappingProxyType(packaged())


def apply(case: Case, event: Event, among: Mapping[str, Procedure] | None = None) -> Case:
    """The case after `event`; ProcedureError when the case does not allow it. The first event
    chooses the procedure by its `path`, among the packaged ones unless `among` is given."""
    if event.at.tzinfo is None:
        raise ProcedureError("event times carry their time zone")
    if case.history and event.at < case.history[-1].at:
        raise ProcedureError("events are applied in the order they happened")
    if case.procedure is None:
        case = _begin(case, event, procedures() if among is None else among)
    proc = case.procedure
    assert proc is not None
    step = proc.steps.get(event.kind)
    if step is None:
        raise ProcedureError(f"unknown event {event.kind!r}: the {proc.name} procedure has no "
                             "such step")
    path = event.data.get("path")
    if path is not None and path != proc.name:
        raise ProcedureError(f"the application follows the {proc.name} procedure, not {path!r}")
    if event.role != step.role:
        raise ProcedureError(f"only {WHO[step.role]} may {step.what}")
    if case.stage not in proc.sources_of(step):
        raise ProcedureError(f"cannot {step.what}: the application is {case.stage}")
    day = day_of(event.at)
    _check_lapse(case, step, event)
    facts = {**step.records, **_needs(step, event, day)}
    to = step.to or case.stage
    return Case(stage=to, procedure=proc, since=event.at if to != case.stage else case.since,
                clocks=_clocks_after(case, step, day), record=MappingProxyType({**case.record, **facts}),
                history=(*case.history, event))


def replay(events: Iterable[Event], among: Mapping[str, Procedure] | None = None) -> Case:
    case = Case()
    for event in events:
        case = apply(case, event, among)
    return case


def due(case: Case, now: datetime) -> list[Event]:
    """What the calendar does by `now`: the lapse of the current stage's clock (a CESREES opinion
    deemed given when its month is out) or the stage's end (an authorisation past its end date),
    the day after the last day."""
    move = _next_move(case)
    return [Event(move.step, move.at, Role.CALENDAR)] if move and now >= move.at else []


def advance(case: Case, now: datetime) -> Case:
    """The case at `now`, with what the calendar did: apply before any event happening at `now`."""
    while events := due(case, now):  # a lapse moves the file on, so this ends
        for event in events:
            case = apply(case, event)
    return case


def day_of(moment: datetime) -> date:
    """The day a moment falls on in France, which is the day deadlines count."""
    return moment.astimezone(LEGAL_TIME).date()


def day_after(deadline: date) -> datetime:
    """The first instant past a deadline (midnight in France at the end of its last day)."""
    return datetime.combine(add_days(deadline, 1), time.min, tzinfo=LEGAL_TIME)


# --- the checks and the clocks --------------------------------------------------------------------


def _begin(case: Case, event: Event, among: Mapping[str, Procedure]) -> Case:
    name = event.data.get("path")
    if name is None:
        raise ProcedureError(f"{event.kind} needs 'path', the procedure to follow: "
                             f"{_either(sorted(among))}")
    proc = among.get(name) if isinstance(name, str) else None
    if proc is None:
        raise ProcedureError(f"path must be one of {_either(sorted(among))}, not {name!r}")
    return replace(case, procedure=proc, stage=proc.start)


def _label(proc: Procedure, stage: str) -> str:
    return proc.stages[stage].label or f"the {stage} stage"


class _Move(NamedTuple):
    at: datetime  # the calendar moves then, the day after `last`
    step: str
    last: date
    says: str


def _next_move(case: Case) -> _Move | None:
    """The calendar's next move in the current stage: a clock's lapse or the stage's end date."""
    if case.procedure is None:
        return None
    moves = []
    spec, clock = case.procedure.clock_of(case.stage), case.clock
    if spec is not None and spec.lapse is not None and clock is not None and clock.due is not None:
        moves.append(_Move(day_after(clock.due), spec.lapse.step, clock.due, spec.lapse.says))
    term = case.procedure.stages[case.stage].ends
    last = None if term is None else case.record.get(term.date)
    if term is not None and isinstance(last, date):
        moves.append(_Move(day_after(last), term.step, last, term.says))
    return min(moves, default=None)


def _check_lapse(case: Case, step: Step, event: Event) -> None:
    """Past a deadline that lapses or an end date, the calendar's move is what happened: nothing
    else may be done in the stage; and the calendar cannot move early."""
    assert case.procedure is not None
    move = _next_move(case)
    label = _label(case.procedure, case.stage)
    if step.role == Role.CALENDAR:
        if move is None or move.step != event.kind:
            raise ProcedureError(f"no deadline runs out in the {case.stage} stage")
        if event.at < move.at:
            raise ProcedureError(f"{label} has until {move.last.isoformat()}")
    elif move is not None and day_of(event.at) > move.last:
        raise ProcedureError(f"{label} had until {move.last.isoformat()}: {move.says}")


def _needs(step: Step, e: Event, day: date) -> dict[str, Any]:
    """The data the step needs, checked, as recorded."""
    found: dict[str, Any] = {}
    for key, need in step.needs.items():
        value = e.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ProcedureError(f"{e.kind} needs {key!r}")
        if isinstance(need, Choice):
            if value not in need.choice:
                choose = _either(need.choice)
                raise ProcedureError(f"{value!r} is not {need.label}: choose {choose}" if need.label
                                     else f"{key} must be {choose}, not {value!r}")
        elif need == "text":
            if not isinstance(value, str):
                raise ProcedureError(f"{key} must be text, not {value!r}")
            value = value.strip()
        elif not isinstance(value, date) or isinstance(value, datetime) or value <= day:
            raise ProcedureError(f"{key} must be a date after {day.isoformat()}, not {value!r}")
        found[key] = value
    return found


def _clocks_after(case: Case, step: Step, day: date) -> tuple[ClockState, ...]:
    proc = case.procedure
    assert proc is not None
    clocks = {c.name: c for c in case.clocks}
    if step.extends is not None:
        spec, clock = proc.clocks[step.extends], clocks[step.extends]
        assert spec.extension is not None
        if clock.extensions >= spec.extension.times:
            times = "once" if spec.extension.times == 1 else f"{spec.extension.times} times"
            raise ProcedureError(f"{_label(proc, case.stage)}'s period can be extended {times} only")
        clocks[step.extends] = clock.extend(spec)
    to = step.to or case.stage
    if to != case.stage:
        old, entering = proc.stages[case.stage].clock, proc.stages[to]
        for name in entering.stops:  # stopped, to resume with what is left
            if name in clocks and clocks[name].running:
                clocks[name] = clocks[name].stop(day)
        if old is not None and old != entering.clock and clocks[old].running:
            # Its stage's move is made; a lapse, taken the day after, ended it on its last day.
            last = clocks[old].due
            clocks[old] = clocks[old].end(min(day, last) if step.role == Role.CALENDAR and last
                                          else day)
        new = entering.clock
        if new is not None and not (new in clocks and clocks[new].running):
            stopped = new in clocks and clocks[new].state == "stopped"
            clocks[new] = clocks[new].resume(day) if stopped else start(new, proc.clocks[new], day)
    return tuple(clocks.values())


def _either(choices: Iterable[str]) -> str:
    items = list(choices)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
