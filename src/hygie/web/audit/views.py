"""The audit trail page: the catalogue team and the data protection officer read who did what.

Filters (GET, validated by a form): actor (part of a username), action (one of
`audit.actions.Action`), object (part of its description, or an exact type and id from a row's
link). Paginated. The same people download the trail of a period (CSV or JSON Lines, every
field with the chain's numbers and hashes); each download is itself recorded.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from hygie.web.audit import trail
from hygie.web.audit.actions import Action
from hygie.web.audit.models import AuditEvent
from hygie.web.audit.record import record

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who (username)"), max_length=150, required=False)
    # Every action the code records (`Action`), grouped by area as their values sort.
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[
        ("", _("All actions")), *((a.value, a.value) for a in sorted(Action))])
    object = forms.CharField(label=_("Object"), max_length=200, required=False)
    object_type = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)
    object_id = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        data = self.cleaned_data
        if data["actor"]:
            events = events.filter(actor__username__icontains=data["actor"])
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["object"]:
            text = data["object"]
            events = events.filter(Q(target_repr__icontains=text) | Q(target_type__iexact=text)
                                   | Q(target_id=text))
        if data["object_type"]:
            events = events.filter(target_type=data["object_type"])
        if data["object_id"]:
            events = events.filter(target_id=data["object_id"])
        return events


def _day_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExportForm(forms.Form):
    since = forms.DateField(label=_("From (day included)"), required=False, widget=_day_input())
    until = forms.DateField(label=_("To (day included)"), required=False, widget=_day_input())
    format = forms.ChoiceField(label=_("Format"), initial="csv", choices=[
        ("csv", _("CSV, for a spreadsheet")),
        ("jsonl", _("JSON Lines, to verify with hygie audit verify --file"))])

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise forms.ValidationError(_("The last day comes before the first."))
        return data


@login_required
def events(request: HttpRequest) -> HttpResponse:
    if not request.user.can_read_audit:
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    rows = AuditEvent.objects.select_related("actor")
    if form.is_bound:
        rows = form.filter(rows) if form.is_valid() else rows.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/events.html",
                  {"form": form, "page": page, "export_form": ExportForm()})


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}


@require_GET
@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The entries of a period, as one run of numbers (a JSON Lines download verifies on its
    own); the download is recorded first, so it lands in the trail even if cut short."""
    if not request.user.can_read_audit:
        raise PermissionDenied
    form = ExportForm(request.GET)
    if not form.is_valid():
        return HttpResponse(_("These dates are not valid."), status=400,
                            content_type="text/plain; charset=utf-8")
    since, until, kind = (form.cleaned_data[k] for k in ("since", "until", "format"))
    record(Action.AUDIT_EXPORTED, None, request=request, format=kind,
           since=since.isoformat() if since else "", until=until.isoformat() if until else "")
    rows = trail.export_entries(since, until)
    lines = trail.csv_lines(rows) if kind == "csv" else trail.jsonl_lines(rows)
    response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES[kind])
    name = f"audit-{since or 'start'}-{until or 'now'}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
