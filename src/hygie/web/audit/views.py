"""The audit trail page: the catalogue team and the data protection officer read who did what.

Filters (GET, validated by a form): actor (part of a username), action (one of
`audit.actions.Action`), object (part of its description, or an exact type and id from a row's
link). Paginated.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from hygie.web.audit.actions import Action
from hygie.web.audit.models import AuditEvent

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


@login_required
def events(request: HttpRequest) -> HttpResponse:
    if not request.user.can_read_audit:
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    rows = AuditEvent.objects.select_related("actor")
    if form.is_bound:
        rows = form.filter(rows) if form.is_valid() else rows.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/events.html", {"form": form, "page": page})
