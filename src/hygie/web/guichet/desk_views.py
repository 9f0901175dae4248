"""The staff's side of the guichet: the form of each step, and the dashboard of files.

`step`: any step of any procedure (the applicant's too), its form built from the description
(`step_forms`). Who may not view the file gets 404 (its existence does not leak), who may view it
but not take the step 403; the procedure's refusals are shown in the form, in the reader's
language (`wording.refusal`), and nothing is stored.

`desk`: the files a staff member may see (`permissions.visible`), by deadline, with filters: late,
due within 7 days, stage, procedure, awaiting their action. "Today" is the day in France, the day
the legal deadlines count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from hygie.access import ProcedureError, Role, procedures
from hygie.access.procedure import day_of
from hygie.web.accounts.models import Role as StaffRole
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.guichet import wording
from hygie.web.guichet.completeness import missing
from hygie.web.guichet.models import Application, ApplicationEvent
from hygie.web.guichet.permissions import get_file, may_take, visible
from hygie.web.guichet.step_forms import StepForm, grave
from hygie.web.guichet.workflow import (
    Conflict,
    Incomplete,
    act,
    case_of,
    procedure_of,
    steps_for,
)

PAGE_SIZE = 50
SOON = 7  # days: "due this week"


# --- one step -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    application = get_file(request.user, pk)  # 404 for who may not view it
    proc = procedure_of(application)
    spec = proc.steps.get(kind)
    if spec is None or spec.role == Role.CALENDAR:
        raise Http404
    if not may_take(request.user, application, spec.role):
        raise PermissionDenied
    case = case_of(application, timezone.now())
    context: dict[str, Any] = {
        "application": application, "kind": kind, "title": wording.what(spec.what),
        "stage": wording.stage(case.stage), "grave": grave(proc, kind), "problems": []}
    if request.method == "GET" and kind not in steps_for(request.user, application, case):
        return render(request, "guichet/desk/step_unavailable.html", context, status=403)
    form = StepForm(request.POST if request.method == "POST" else None,
                    initial={"seen": application.seq}, proc=proc, kind=kind,
                    application=application, user=request.user)
    if request.method == "POST" and form.is_valid():
        refused = _take(request, application, kind, form)
        if refused is None:
            application.refresh_from_db()
            done = gettext("“%(what)s”: done. The file is now at the stage “%(stage)s”.")
            messages.success(request, done % {"what": context["title"],
                                              "stage": wording.stage(application.stage)})
            return redirect(application)
        context["problems"] = refused
    if kind == "submit" and not context["problems"]:
        context["missing"] = missing(application)
    return render(request, "guichet/desk/step.html", {**context, "form": form})


def _take(request: HttpRequest, application: Application, kind: str,
          form: StepForm) -> list[str] | None:
    """Take the step; None when done, else the items to show (the form says why)."""
    try:
        act(application.pk, request.user, kind, form.step_data(),
            seen=form.cleaned_data["seen"], request=request)
    except Conflict:
        code, problems = "conflict", []
        form.add_error(None, gettext(
            "The file changed since you opened this form: someone else acted on it. Nothing "
            "was recorded; read the file again before taking this step."))
    except Incomplete as e:
        code, problems = "incomplete", list(e.items)
        form.add_error(None, gettext("The file cannot be submitted yet: add what is listed "
                                     "below."))
    except ProcedureError as e:
        refusal = wording.refusal(e)
        code, problems = refusal.code, []
        form.add_error(None, refusal.message)
    except PermissionDenied:
        record(Action.GUICHET_REFUSED, application, request=request, step=kind,
               reason="permission")
        raise
    else:
        return None
    # The reason code, never the person's text: a refusal can quote what they typed.
    record(Action.GUICHET_REFUSED, application, request=request, step=kind, reason=code)
    return problems


# --- the dashboard --------------------------------------------------------------------------------


def is_staff_desk(user: Any) -> bool:
    """Whether `user` works at the desk: secretariat, CESREES, CNIL, or a data holder's member."""
    return bool(user.is_authenticated and user.is_active and (
        any(user.has_role(str(r)) for r in (StaffRole.SECRETARIAT, StaffRole.CESREES,
                                            StaffRole.CNIL))
        or user.memberships.exists()))


def _final_stages() -> set[str]:
    return {s for p in procedures().values() for s in p.final}


def awaiting(role: Role) -> Q:
    """Files in a stage where `role` moves the file on: a step of theirs leads to another open
    stage, and the stage is not one an authorisation rests in until its end date."""
    found = Q(pk__in=[])
    for name, proc in procedures().items():
        stages = set()
        for step in proc.steps.values():
            if step.role != role or step.to is None or step.to in proc.final:
                continue
            for source in proc.sources_of(step):
                spec = proc.stages[source]
                resting = spec.ends is not None and spec.clock is None
                if source != step.to and not resting:
                    stages.add(source)
        if stages:
            found |= Q(procedure=name, stage__in=sorted(stages))
    return found


def awaiting_me(user: Any) -> Q:
    mine = Q(pk__in=[])
    for staff, role in ((StaffRole.SECRETARIAT, Role.SECRETARIAT),
                        (StaffRole.CESREES, Role.CESREES), (StaffRole.CNIL, Role.CNIL)):
        if user.has_role(str(staff)):
            mine |= awaiting(role)
    slugs = list(user.memberships.values_list("holder__slug", flat=True))
    if slugs:  # consulted, and their holder has not answered
        asked = ApplicationEvent.objects.filter(kind="consult_holder", data__holder__in=slugs)
        answered = ApplicationEvent.objects.filter(kind="holder_answer",
                                                   data__holder__in=slugs)
        mine |= Q(pk__in=asked.values("application")) & ~Q(
            pk__in=answered.values("application"))
    return mine


class DeskFilter(forms.Form):
    due = forms.ChoiceField(label=_("Deadline"), required=False, choices=[
        ("", _("Any")), ("late", _("Late (deadline passed)")),
        ("week", _("Due within 7 days"))])
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    procedure = forms.ChoiceField(label=_("Procedure"), required=False)
    todo = forms.BooleanField(label=_("Only the files awaiting my action"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stages = sorted({s for p in procedures().values() for s in p.stages} - {"draft"},
                        key=wording.stage)
        self.fields["stage"].choices = [("", _("Any")),
                                        *((s, wording.stage(s)) for s in stages)]
        self.fields["procedure"].choices = [("", _("Any")), *(
            (name, gettext(p.title)) for name, p in sorted(procedures().items()))]


def late(today: date) -> Q:
    return Q(deadline__lt=today) & ~Q(stage__in=_final_stages())


def due_soon(today: date) -> Q:
    return Q(deadline__gte=today, deadline__lte=today + timedelta(days=SOON))


@dataclass(frozen=True)
class Line:
    application: Application
    stage: str
    procedure: str
    days_left: int | None  # negative: late by that many days
    mine: bool  # awaiting the person's action

    @property
    def days_late(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not is_staff_desk(user):
        raise PermissionDenied
    today = day_of(timezone.now())
    files = visible(user).exclude(stage="draft")
    form = DeskFilter(request.GET or None)
    shown = _filtered(files, form, user, today)
    shown = shown.order_by(F("deadline").asc(nulls_last=True), "received", "pk")
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    mine = set(files.filter(awaiting_me(user)).values_list("pk", flat=True))
    titles = {name: gettext(p.title) for name, p in procedures().items()}
    page.object_list = [Line(a, wording.stage(a.stage), titles.get(a.procedure, a.procedure),
                             (a.deadline - today).days if a.deadline else None, a.pk in mine)
                        for a in page.object_list]
    counts = {"late": files.filter(late(today)).count(),
              "week": files.filter(due_soon(today)).count(), "todo": len(mine)}
    return render(request, "guichet/desk/desk.html", {
        "form": form, "page": page, "today": today, "counts": counts,
        "secretariat": user.has_role(str(StaffRole.SECRETARIAT)),
        "sessions": user.has_role(str(StaffRole.SECRETARIAT))
        or user.has_role(str(StaffRole.CESREES))})


def _filtered(files: QuerySet[Application], form: DeskFilter, user: Any,
              today: date) -> QuerySet[Application]:
    if not form.is_bound:
        return files
    if not form.is_valid():
        return files.none()
    data = form.cleaned_data
    if data["due"] == "late":
        files = files.filter(late(today))
    elif data["due"] == "week":
        files = files.filter(due_soon(today))
    if data["stage"]:
        files = files.filter(stage=data["stage"])
    if data["procedure"]:
        files = files.filter(procedure=data["procedure"])
    if data["todo"]:
        files = files.filter(awaiting_me(user))
    return files
