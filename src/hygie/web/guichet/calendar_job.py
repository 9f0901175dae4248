"""The guichet's calendar: what the passing of time does to files, and the reminders it sends.

`run(now)` stores what the calendar did by `now` (a CESREES opinion deemed given, an
authorisation's end: `workflow.catch_up_all`), then reminds, by e-mail:

- the secretariat (everyone with the role), of every file whose current deadline is within
  REMIND_DAYS days or passed; the CNIL's agents too for a file before the CNIL; the applicant too
  when the deadline is theirs (a file returned for completion, with a period to complete it);
- the applicant, of a file returned for completion without such a period, once it has waited
  INCOMPLETE_DAYS days;
- the applicant of an authorised project, of the results to publish within RESULTS_MONTHS of its
  end date: a month before, then once it has passed with no result in the register.

Each reminder goes once (the `Reminder` row, unique per file, clock and due date, is written in
the same transaction as the mails are queued): a new due date (a period extended) is a new
reminder. Mails go through `notify`, in each person's language, and say where the file stands,
never what its messages or notes say. `hygie manage guichet_calendar` runs it once, or every few
minutes under `hygie serve`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import lazy

from hygie.access.calendar import add_months
from hygie.access.description import Procedure, Role
from hygie.access.procedure import day_of
from hygie.web.accounts.models import Role as StaffRole
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.guichet.models import Application, Reminder
from hygie.web.guichet.wording import stage as stage_words
from hygie.web.guichet.workflow import case_of, catch_up_all, procedure_of
from hygie.web.notify import notify

REMIND_DAYS = 5  # a deadline this close, or passed, is reminded
INCOMPLETE_DAYS = 14  # a file back with the applicant, without a period, is reminded after
RESULTS_MONTHS = 18  # results are published within this many months of the end date
RESULTS_WARNING_MONTHS = 1
NO_RESULTS_STAGES = ("refused", "withdrawn")  # never processed: nothing to publish
INCOMPLETE = "incomplete"  # the stage where the file is back with the applicant

_stage_label = lazy(stage_words, str)  # translated when each mail is written, in its language


@dataclass(frozen=True)
class Ran:
    stored: int  # calendar events stored (lapses, end dates)
    reminders: int  # reminders sent (each to one or more people)


@dataclass
class _Due:
    """A reminder to send: about what (`what`, `due`), to whom, with which template."""

    application: Application
    what: str  # a clock's name, "incomplete", "results" or "results-overdue"
    due: date
    mails: list[tuple[str, Any]] = field(default_factory=list)  # (template, people)
    context: dict[str, Any] = field(default_factory=dict)


def run(now: datetime | None = None) -> Ran:
    now = now or timezone.now()
    stored = catch_up_all(now)
    today = day_of(now)
    sent = 0
    for due in [*_deadlines(today), *_incomplete(today), *_results(today)]:
        sent += _send(due, today)
    return Ran(stored=stored, reminders=sent)


def _with_roles(*roles: str) -> QuerySet[Any]:
    return get_user_model().objects.filter(groups__name__in=roles, is_active=True).distinct()


def _cnil_decides(proc: Procedure, stage: str) -> bool:
    """Whether the CNIL moves the file on from `stage` (its clock is the CNIL's period)."""
    return any(step.role == Role.CNIL and step.to not in (None, stage)
               and stage in proc.sources_of(step) for step in proc.steps.values())


def _deadlines(today: date) -> Iterator[_Due]:
    soon = today + timedelta(days=REMIND_DAYS)
    # The projection finds the candidates; the replay says which clock and which day.
    for application in (Application.objects.filter(deadline__lte=soon).exclude(stage="draft")
                        .select_related("applicant")):
        case = case_of(application)
        clock = case.clock
        if clock is None or not clock.running or clock.due is None or clock.due > soon:
            continue
        due = _Due(application, clock.name, clock.due,
                   context={"overdue": today > clock.due})
        staff = [str(StaffRole.SECRETARIAT)]
        if _cnil_decides(procedure_of(application), case.stage):
            staff.append(str(StaffRole.CNIL))
        due.mails.append(("guichet_reminder_deadline", _with_roles(*staff)))
        if case.stage == INCOMPLETE:
            due.mails.append(("guichet_reminder_incomplete", [application.applicant]))
        yield due


def _incomplete(today: date) -> Iterator[_Due]:
    """Files back with the applicant with no period to complete them (the deadline rule says
    nothing of them): reminded once they have waited INCOMPLETE_DAYS days."""
    for application in (Application.objects.filter(stage=INCOMPLETE, deadline__isnull=True)
                        .select_related("applicant")):
        case = case_of(application)
        if case.stage != INCOMPLETE or case.deadline is not None or case.since is None:
            continue
        returned = day_of(case.since)
        if today >= returned + timedelta(days=INCOMPLETE_DAYS):
            yield _Due(application, INCOMPLETE, returned,
                       [("guichet_reminder_incomplete", [application.applicant])],
                       {"returned": returned})


def _results(today: date) -> Iterator[_Due]:
    # Candidates with some slack (months differ in length); the exact day is checked below.
    ended_by = add_months(today, -(RESULTS_MONTHS - RESULTS_WARNING_MONTHS)) + timedelta(days=3)
    for application in (Application.objects.filter(ends__isnull=False, ends__lte=ended_by,
                                                   results__isnull=True)
                        .exclude(stage__in=NO_RESULTS_STAGES).select_related("applicant")):
        assert application.ends is not None
        by = add_months(application.ends, RESULTS_MONTHS)
        overdue = today > by
        if not overdue and today < add_months(by, -RESULTS_WARNING_MONTHS):
            continue
        yield _Due(application, "results-overdue" if overdue else "results", by,
                   [("guichet_reminder_results", [application.applicant])],
                   {"overdue": overdue, "ends": application.ends})


def _send(due: _Due, today: date) -> int:
    """Send one reminder unless it went already; 1 when sent."""
    application = due.application
    if Reminder.objects.filter(application=application, what=due.what, due=due.due).exists():
        return 0
    context = {"application": application, "reference": application.reference,
               "title": application.title, "path": application.get_absolute_url(),
               "stage": _stage_label(application.stage), "due": due.due,
               "overdue": today > due.due, **due.context}
    try:
        with transaction.atomic():
            Reminder.objects.create(application=application, what=due.what, due=due.due)
            to: set[str] = set()
            for template, people in due.mails:
                to.update(notify(people, template, context))
            record(Action.GUICHET_REMINDER, application, what=due.what,
                   due=due.due.isoformat(), recipients=len(to))
    except IntegrityError:  # another run sent it meanwhile
        return 0
    return 1
