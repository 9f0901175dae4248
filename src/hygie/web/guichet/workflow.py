"""Every change of a file's review goes through `act`: it replays the stored events through
`hygie.access` (the one state machine), applies the new one, and stores it, in one transaction.

Two agents acting on one file at once: the row lock (PostgreSQL) or the database's single writer
(SQLite) serialises them, the second replays the first's event and is refused by the procedure
("cannot forward: the application is cesrees") or, when it says which version of the file it
saw (`seen`), by `Conflict`; the unique (file, seq) pair makes a lost update impossible even
without the lock.

What the calendar does (a CESREES opinion deemed given, an authorisation's end) is stored as
events too, when anyone next acts on the file and by `catch_up_all` (the background job), dated
when it happened, not when it was noticed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from hygie.access import Case, Event, ProcedureError, Role, apply, due, procedures, replay
from hygie.access.description import Procedure
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.guichet.completeness import missing
from hygie.web.guichet.models import Application, ApplicationEvent
from hygie.web.guichet.permissions import may_take
from hygie.web.guichet.scope import AUTHORISING, snapshot
from hygie.web.guichet.signals import stage_changed


class Conflict(Exception):
    """The file changed since the person acting saw it; nothing was done."""


class Incomplete(ProcedureError):
    """The file cannot be submitted; `items` names what is missing."""

    def __init__(self, items: list[str]) -> None:
        super().__init__("the file is incomplete: " + "; ".join(items))
        self.items = items


def procedure_of(application: Application) -> Procedure:
    return procedures()[application.procedure]


def _decode(proc: Procedure, kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A stored event's data as the procedure reads it (dates back from ISO text)."""
    step = proc.steps.get(kind)
    out = dict(data)
    for key, need in (step.needs.items() if step else ()):
        if need == "future_date" and isinstance(out.get(key), str) and out[key].strip():
            try:
                out[key] = date.fromisoformat(out[key].strip())
            except ValueError:
                raise ProcedureError(f"{key} must be a date (YYYY-MM-DD), not {out[key]!r}") \
                    from None
    return out


def _encode(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def events_of(application: Application) -> list[Event]:
    proc = procedure_of(application)
    return [Event(e.kind, e.at, Role(e.role), _decode(proc, e.kind, e.data))
            for e in application.events.order_by("seq")]


def case_of(application: Application, now: datetime | None = None) -> Case:
    """Where the file stands: its stored events replayed, and what the calendar did by `now`
    (not stored: `act` and `catch_up_all` store it)."""
    case = replay(events_of(application))
    if now is not None:
        case = _advance(case, now)
    return case


def _advance(case: Case, now: datetime) -> Case:
    while events := due(case, now):
        for event in events:
            case = apply(case, event)
    return case


def _store(application: Application, case: Case, before: str, event: Event,
           actor: Any) -> None:
    application.seq += 1
    ApplicationEvent.objects.create(
        application=application, seq=application.seq, kind=event.kind, at=event.at,
        role=event.role.value, actor=actor if actor is not None else None,
        data=_encode(event.data),
        stage_before=before, stage_after=case.stage)
    application.stage, application.deadline = case.stage, case.deadline
    if event.kind == "submit" and application.received is None:
        application.received = event.at
    if case.final or case.authorised_until is not None:
        application.decided = application.decided or event.at
    application.ends = case.authorised_until
    application.save(update_fields=["seq", "stage", "deadline", "received", "decided", "ends",
                                    "updated"])
    stage_changed.send(Application, application=application, before=before, after=case.stage,
                       event=event, seq=application.seq)


def _catch_up(application: Application, now: datetime) -> Case:
    """Replay the file and store what the calendar did by `now`; the caller holds the lock."""
    case = case_of(application)
    while events := due(case, now):
        for event in events:
            before, case = case.stage, apply(case, event)
            _store(application, case, before, event, None)
            record(Action.GUICHET_CALENDAR, application, step=event.kind, before=before,
                   after=case.stage)
    return case


# What steps take from the file itself rather than from the person acting: forms do not ask.
FROM_THE_FILE: dict[str, frozenset[str]] = {
    "submit": frozenset({"path", "methodology", "output"}),
    "approve_result": frozenset({"result"}),
    **{kind: frozenset({"authorised_scope"}) for kind in AUTHORISING},
}


def _file_data(application: Application, kind: str) -> dict[str, Any]:
    if kind in AUTHORISING:
        return {"authorised_scope": snapshot(application)}
    if kind == "approve_result":
        return {"result": _released_result(application)}
    if kind != "submit":
        return {}
    items = missing(application)
    if items:
        raise Incomplete(items)
    data: dict[str, Any] = {"path": application.procedure}
    if application.procedure == "reference-methodology":
        data["methodology"] = application.reference_methodology
    if application.procedure == "ehds-request":
        data["output"] = "anonymised-statistics"
    return data


def _released_result(application: Application) -> str:
    """A health data request is answered with its cohort's feasibility counts, as the engine
    released them under statistical secrecy: frozen into the approving event."""
    cohort = application.cohort
    if cohort is None or cohort.count_state != "done" or not cohort.counts:
        raise ProcedureError("the request has no released result: its saved cohort must be "
                             "counted first")
    return json.dumps({"cohort": cohort.name, "counted": cohort.counted.isoformat()
                       if cohort.counted else None,
                       "version": cohort.counted_version.number if cohort.counted_version
                       else None, "counts": cohort.counts}, ensure_ascii=False)


def act(application_id: int, user: Any, kind: str, data: Mapping[str, Any] | None = None, *,
        now: datetime | None = None, seen: int | None = None,
        request: HttpRequest | None = None) -> Case:
    """Take step `kind` on the file as `user`; returns the new case.

    Raises PermissionDenied (the step's role is not the person's on this file), Conflict (the
    file changed since version `seen`), Incomplete or ProcedureError (the procedure refuses; the
    message says why). Nothing is stored unless everything succeeds.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=application_id)
            if seen is not None and seen != application.seq:
                raise Conflict
            case = _catch_up(application, now)
            proc = procedure_of(application)
            step = proc.steps.get(kind)
            if step is None:
                raise ProcedureError(f"unknown event {kind!r}: the {proc.name} procedure has "
                                     "no such step")
            if not may_take(user, application, step.role):
                raise PermissionDenied
            given = _decode(proc, kind, {k: v for k, v in (data or {}).items()
                                         if k in step.needs})
            named = {} if case.history else {"path": application.procedure}  # the first event
            event = Event(kind, now, step.role, {**given, **_file_data(application, kind),
                                                 **named})
            before, case = case.stage, apply(case, event)
            _store(application, case, before, event, user)
            record(Action.GUICHET_STEP, application, actor=user, request=request, step=kind,
                   before=before, after=case.stage)
    except IntegrityError:
        raise Conflict from None  # another agent stored this file's next event first
    return case


def catch_up_all(now: datetime | None = None) -> int:
    """Store what the calendar did by `now` on every open file; the number of events stored."""
    now = now or timezone.now()
    stored = 0
    open_stages = {s for p in procedures().values() for s in p.stages if s not in p.final}
    for pk in Application.objects.filter(stage__in=open_stages).exclude(
            stage="draft").values_list("pk", flat=True):
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=pk)
            seq = application.seq
            _catch_up(application, now)
            stored += application.seq - seq
    return stored


def steps_for(user: Any, application: Application, case: Case | None = None) -> list[str]:
    """The steps `user` may take on the file now, in the procedure's order (what the file page
    offers; `act` checks again)."""
    case = case or case_of(application, timezone.now())
    proc = procedure_of(application)
    if case.stage == "draft" and application.seq:  # never: a stored draft has no event
        return []
    return [kind for kind, step in proc.steps.items()
            if case.stage in proc.sources_of(step) and may_take(user, application, step.role)]
