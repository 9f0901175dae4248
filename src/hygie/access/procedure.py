"""The review of an access application, as a fold over its events.

An application's state is what its events give when replayed in order: nothing else is stored,
so the history is the audit trail and cannot disagree with the state. Each event is checked
against the state it applies to (who may act, in which stage, with what), so a stored history is
always a valid one.

Two paths, chosen when the application is submitted:

- **authorisation**: the secretariat checks the file is complete and forwards it to the CESREES
  within 7 days; the CESREES gives its opinion within one month, and its silence counts as an
  opinion given; the CNIL then has two months, extendable once by two months, to authorise (with
  a scope and an end date) or refuse;
- **reference methodology** (MR-003 to MR-006): the secretariat checks the file and records the
  project's declaration of conformity; neither the CESREES nor a CNIL authorisation is needed.

The secretariat may ask for complements while it checks the file (the 7 days start again on the
next submission); the applicant may withdraw at any time before the decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from hygie.access.calendar import add_days, add_months

FORWARD_DAYS = 7  # complete file -> CESREES
CESREES_MONTHS = 1  # CESREES opinion, deemed given after
CNIL_MONTHS = 2  # CNIL decision, extendable once by as much
REFERENCE_METHODOLOGIES = ("MR-003", "MR-004", "MR-005", "MR-006")
LEGAL_TIME = ZoneInfo("Europe/Paris")  # the days that deadlines count


class Path(StrEnum):
    AUTHORISATION = "authorisation"
    REFERENCE = "reference-methodology"


class Stage(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # with the secretariat
    INCOMPLETE = "incomplete"  # back with the applicant, for complements
    CESREES = "cesrees"  # with the ethics and scientific committee
    CNIL = "cnil"  # with the data protection authority
    AUTHORISED = "authorised"
    DECLARED = "declared"  # conformity to a reference methodology recorded
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


FINAL = frozenset({Stage.AUTHORISED, Stage.DECLARED, Stage.REFUSED, Stage.WITHDRAWN})


class Role(StrEnum):
    APPLICANT = "applicant"
    SECRETARIAT = "secretariat"
    CESREES = "cesrees"
    CALENDAR = "calendar"  # what the passing of a deadline does


class Opinion(StrEnum):
    FAVOURABLE = "favourable"
    UNFAVOURABLE = "unfavourable"
    DEEMED = "deemed"  # no opinion within the month


class ProcedureError(Exception):
    """An event that the application's state does not allow; the message says why."""


@dataclass(frozen=True)
class Event:
    kind: str  # a key of RULES
    at: datetime  # aware
    role: Role
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Case:
    """Where an application stands."""

    stage: Stage = Stage.DRAFT
    path: Path | None = None
    methodology: str = ""  # MR-00x on the reference path
    since: datetime | None = None  # when the current stage began
    deadline: date | None = None  # the last day for the current stage's decision
    opinion: Opinion | None = None
    extended: bool = False
    authorised_until: date | None = None
    scope: str = ""
    history: tuple[Event, ...] = ()

    @property
    def final(self) -> bool:
        return self.stage in FINAL

    def overdue(self, today: date) -> bool:  # today in France: `day_of(now)`
        """Whether the current stage's deadline has passed without a decision."""
        return not self.final and self.deadline is not None and today > self.deadline


# --- the rules: who may do what, from which stages ----------------------------------------------


def _submit(case: Case, e: Event) -> Case:
    path = _choice(Path, e, "path")
    methodology = ""
    if path == Path.REFERENCE:
        methodology = _required(e, "methodology")
        if methodology not in REFERENCE_METHODOLOGIES:
            raise ProcedureError(f"{methodology!r} is not a reference methodology; choose one "
                                 f"of {', '.join(REFERENCE_METHODOLOGIES)}")
    deadline = add_days(day_of(e.at), FORWARD_DAYS) if path == Path.AUTHORISATION else None
    return replace(case, stage=Stage.SUBMITTED, path=path, methodology=methodology,
                   deadline=deadline)


def _request_complements(case: Case, e: Event) -> Case:
    _required(e, "reason")
    return replace(case, stage=Stage.INCOMPLETE, deadline=None)


def _forward(case: Case, e: Event) -> Case:
    _on_path(case, Path.AUTHORISATION, "forwarded to the CESREES")
    return replace(case, stage=Stage.CESREES, deadline=add_months(day_of(e.at), CESREES_MONTHS))


def _conformity(case: Case, e: Event) -> Case:
    _on_path(case, Path.REFERENCE, "declared conforming to a reference methodology")
    return replace(case, stage=Stage.DECLARED, deadline=None)


def _opinion(case: Case, e: Event) -> Case:
    assert case.deadline is not None
    if day_of(e.at) > case.deadline:
        raise ProcedureError(f"the CESREES had until {case.deadline.isoformat()}: its opinion is "
                             "deemed given")
    opinion = _choice(Opinion, e, "opinion")
    if opinion == Opinion.DEEMED:
        raise ProcedureError("the CESREES gives a favourable or unfavourable opinion")
    return _to_cnil(case, e, opinion)


def _deemed(case: Case, e: Event) -> Case:
    assert case.deadline is not None
    if e.at < day_after(case.deadline):
        raise ProcedureError(f"the CESREES has until {case.deadline.isoformat()}")
    return _to_cnil(case, e, Opinion.DEEMED)


def _to_cnil(case: Case, e: Event, opinion: Opinion) -> Case:
    return replace(case, stage=Stage.CNIL, opinion=opinion,
                   deadline=add_months(day_of(e.at), CNIL_MONTHS))


def _extend(case: Case, e: Event) -> Case:
    assert case.deadline is not None
    if case.extended:
        raise ProcedureError("the CNIL's period can be extended once only")
    return replace(case, extended=True, deadline=add_months(case.deadline, CNIL_MONTHS))


def _authorise(case: Case, e: Event) -> Case:
    until = _required(e, "until")
    if not isinstance(until, date) or until <= day_of(e.at):
        raise ProcedureError("an authorisation ends on a date after it is given")
    scope = str(_required(e, "scope")).strip()
    return replace(case, stage=Stage.AUTHORISED, deadline=None, authorised_until=until,
                   scope=scope)


def _refuse(case: Case, e: Event) -> Case:
    _required(e, "reason")
    return replace(case, stage=Stage.REFUSED, deadline=None)


def _withdraw(case: Case, e: Event) -> Case:
    return replace(case, stage=Stage.WITHDRAWN, deadline=None)


@dataclass(frozen=True)
class Rule:
    role: Role
    stages: frozenset[Stage]
    step: Any  # (Case, Event) -> Case
    what: str  # for messages


_OPEN = frozenset(Stage) - FINAL
RULES: Mapping[str, Rule] = MappingProxyType({
    "submit": Rule(Role.APPLICANT, frozenset({Stage.DRAFT, Stage.INCOMPLETE}), _submit,
                   "submit the application"),
    "request_complements": Rule(Role.SECRETARIAT, frozenset({Stage.SUBMITTED}),
                                _request_complements, "ask for complements"),
    "forward_to_cesrees": Rule(Role.SECRETARIAT, frozenset({Stage.SUBMITTED}), _forward,
                               "forward the file to the CESREES"),
    "record_conformity": Rule(Role.SECRETARIAT, frozenset({Stage.SUBMITTED}), _conformity,
                              "record the declaration of conformity"),
    "cesrees_opinion": Rule(Role.CESREES, frozenset({Stage.CESREES}), _opinion,
                            "give the CESREES opinion"),
    "cesrees_deemed": Rule(Role.CALENDAR, frozenset({Stage.CESREES}), _deemed,
                           "deem the CESREES opinion given"),
    "cnil_extension": Rule(Role.SECRETARIAT, frozenset({Stage.CNIL}), _extend,
                           "record the CNIL's extension"),
    "cnil_authorisation": Rule(Role.SECRETARIAT, frozenset({Stage.CNIL}), _authorise,
                               "record the CNIL's authorisation"),
    "cnil_refusal": Rule(Role.SECRETARIAT, frozenset({Stage.CNIL}), _refuse,
                         "record the CNIL's refusal"),
    "withdraw": Rule(Role.APPLICANT, _OPEN, _withdraw, "withdraw the application"),
})


def apply(case: Case, event: Event) -> Case:
    """The case after `event`; ProcedureError when the case does not allow it."""
    rule = RULES.get(event.kind)
    if rule is None:
        raise ProcedureError(f"unknown event {event.kind!r}")
    if event.at.tzinfo is None:
        raise ProcedureError("event times carry their time zone")
    if case.history and event.at < case.history[-1].at:
        raise ProcedureError("events are applied in the order they happened")
    if event.role != rule.role:
        raise ProcedureError(f"only the {rule.role.value} may {rule.what}")
    if case.stage not in rule.stages:
        raise ProcedureError(f"cannot {rule.what}: the application is {case.stage.value}")
    after = rule.step(case, event)
    return replace(after, since=event.at if after.stage != case.stage else case.since,
                   history=(*case.history, event))


def replay(events: Iterable[Event]) -> Case:
    case = Case()
    for event in events:
        case = apply(case, event)
    return case


def due(case: Case, now: datetime) -> list[Event]:
    """What the calendar does by `now`: the CESREES opinion deemed given when its month is out."""
    if case.stage == Stage.CESREES and case.deadline is not None:
        at = day_after(case.deadline)
        if now >= at:
            return [Event("cesrees_deemed", at, Role.CALENDAR)]
    return []


def advance(case: Case, now: datetime) -> Case:
    """The case at `now`, with what the calendar did: apply before any event happening at `now`."""
    for event in due(case, now):
        case = apply(case, event)
    return case


def day_of(moment: datetime) -> date:
    """The day a moment falls on in France, which is the day deadlines count."""
    return moment.astimezone(LEGAL_TIME).date()


def day_after(deadline: date) -> datetime:
    """The first instant past a deadline (midnight in France at the end of its last day)."""
    return datetime.combine(add_days(deadline, 1), time.min, tzinfo=LEGAL_TIME)


def _required(e: Event, key: str) -> Any:
    value = e.data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ProcedureError(f"{e.kind} needs {key!r}")
    return value


E = TypeVar("E", bound=StrEnum)


def _choice(kind: type[E], e: Event, key: str) -> E:
    value = _required(e, key)
    try:
        return kind(value)
    except ValueError:
        raise ProcedureError(f"{key} must be one of {', '.join(kind)}, not {value!r}") from None


def _on_path(case: Case, path: Path, what: str) -> None:
    if case.path != path:
        raise ProcedureError(f"an application on the {case.path} path is not {what}")
