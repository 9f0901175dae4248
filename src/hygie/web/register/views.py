"""The public register's pages: the list with its search and filters, a file's entry, the CSV
export, the projects whose results are overdue, the delay dashboard; and the form by which the
applicant (or the secretariat) adds a result."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.guichet.permissions import Permission, allowed, get_file
from hygie.web.register import delays as delay_dashboard
from hygie.web.register import labels
from hygie.web.register.entries import Entry, entry, public, summary, today, with_history
from hygie.web.register.filters import Criteria, RegisterFilter, search
from hygie.web.register.results import ResultForm

PER_PAGE = 25


def _criteria(request: HttpRequest) -> tuple[RegisterFilter, Criteria | None]:
    form = RegisterFilter(request.GET or None)
    return form, form.criteria()


@require_GET
def register(request: HttpRequest) -> HttpResponse:
    form, criteria = _criteria(request)
    files = search(public(), criteria) if criteria is not None else public().none()
    page = Paginator(files, PER_PAGE).get_page(request.GET.get("page"))
    day = today()
    return render(request, "register/list.html", {
        "form": form, "criteria": criteria, "page": page,
        "entries": [summary(a, day) for a in page.object_list],
        "query": request.GET.urlencode()})


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = with_history(public()).filter(pk=pk).first()
    if application is None:
        raise Http404
    return render(request, "register/entry.html", {
        "entry": entry(application, today()),
        "may_add_result": allowed(request.user, Permission.ADD_RESULT, application)})


@require_GET
def overdue(request: HttpRequest) -> HttpResponse:
    day = today()
    late = [e for e in (summary(a, day) for a in public().filter(results_count=0)) if e.overdue]
    late.sort(key=lambda e: (e.results_due, e.reference))
    page = Paginator(late, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "register/overdue.html", {"page": page, "entries": page.object_list})


@require_GET
def delays(request: HttpRequest) -> HttpResponse:
    return render(request, "register/delays.html", {
        "tables": delay_dashboard.dashboard(timezone.now()),
        "minimum": delay_dashboard.MINIMUM_FILES})


# --- the CSV export ---------------------------------------------------------------------------

COLUMNS = ("reference", "url", "title", "acronym", "controller", "procedure", "procedure_label",
           "stage", "stage_label", "received", "decided", "ends", "datasets", "purpose",
           "public_interest", "lay_summary", "opinion", "decision", "decision_date",
           "decision_reasons", "authorisation_reference", "results", "results_due", "overdue")
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would read as a formula


def cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: one starting like a formula gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA) else text


def row(e: Entry, absolute: str) -> list[str]:
    decision = e.decision
    reasons = "; ".join(labels.said(f.label, f.value) for f in e.decision_facts)
    values = {
        "reference": e.reference, "url": absolute + e.url, "title": e.title,
        "acronym": e.acronym, "controller": e.controller, "procedure": e.procedure,
        "procedure_label": e.procedure_label, "stage": e.stage, "stage_label": e.stage_label,
        "received": e.received.date().isoformat(),
        "decided": e.decided.date().isoformat() if e.decided else "",
        "ends": e.ends.isoformat() if e.ends else "",
        "datasets": " ".join(d.slug for d in e.datasets), "purpose": e.purpose,
        "public_interest": e.public_interest, "lay_summary": e.lay_summary,
        "opinion": next((f.value for f in e.opinion.facts if f.key == "opinion"), "")
        if e.opinion else "",
        "decision": decision.label if decision else "",
        "decision_date": decision.at.date().isoformat() if decision else "",
        "decision_reasons": reasons, "authorisation_reference": e.authorisation_reference,
        "results": str(len(e.results)),
        "results_due": e.results_due.isoformat() if e.results_due else "",
        "overdue": "yes" if e.overdue else "no"}
    return [cell(values[c]) for c in COLUMNS]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _lines(entries: Iterable[Entry], absolute: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for e in entries:
        yield writer.writerow(row(e, absolute))


@require_GET
def export(request: HttpRequest) -> HttpResponse:
    criteria = _criteria(request)[1]
    if criteria is None:
        return HttpResponse(_("These filters are not valid."), status=400,
                            content_type="text/plain; charset=utf-8")
    files = with_history(search(public(), criteria))
    day = today()
    entries = (entry(a, day) for a in files.iterator(chunk_size=200))
    response = StreamingHttpResponse(_lines(entries, request.build_absolute_uri("/")[:-1]),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="register.csv"'
    return response


# --- adding a result --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def add_result(request: HttpRequest, pk: int) -> HttpResponse:
    """404 to whoever may not view the file, 403 to those who may view it but not add results
    (a team member, a file not authorised)."""
    application = get_file(request.user, pk, Permission.ADD_RESULT)
    day = today()
    form = ResultForm(request.POST or None, today=day)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            result = form.save(commit=False)
            result.application, result.added_by = application, request.user
            result.save()
            record(Action.GUICHET_RESULT, application, request=request, kind=result.kind,
                   result=result.pk)
        messages.success(request, _("The result is added to the public register."))
        return redirect("register:entry", pk=application.pk)
    return render(request, "register/add_result.html", {
        "form": form, "entry": summary(public().get(pk=application.pk), day)})
