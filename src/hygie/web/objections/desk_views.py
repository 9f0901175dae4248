"""The data protection officer's screen: pending requests, what the directory finds for each,
and the decision (accept for one person, or reject with a reason).

Only people with the DPO role, past their second factor, see any of it; for anyone else signed
in, every page is a 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hygie.pseudo.keys import SecretError
from hygie.web.accounts.models import Role
from hygie.web.objections import lookup, services
from hygie.web.objections.forms import AcceptForm, RejectForm
from hygie.web.objections.models import Kind, ObjectionRequest, Reason, State

MATCHED = {
    "nir": gettext_lazy("the whole number"), "sex": gettext_lazy("sex"),
    "birth_year": gettext_lazy("year of birth"), "birth_month": gettext_lazy("month of birth"),
    "department": gettext_lazy("department"), "order": gettext_lazy("order digits"),
}
DECISION_REFUSALS = {
    "decided": gettext_lazy("This request was decided meanwhile."),
    "choice": gettext_lazy("Choose one of the people found (the directory's answer changed: "
                           "look again)."),
    str(Reason.NOT_THE_SAME): gettext_lazy("The number is not the one of the objection: reject the "
                                      "withdrawal instead."),
    str(Reason.NOT_IN_FORCE): gettext_lazy("The register holds no objection of this person: reject "
                                      "the withdrawal instead."),
}


def _dpo_only(request: HttpRequest) -> None:
    user = request.user
    if not (user.has_role(str(Role.DPO)) and user.is_verified()):
        raise Http404


@never_cache
@login_required
def desk(request: HttpRequest) -> HttpResponse:
    _dpo_only(request)
    pending = ObjectionRequest.objects.filter(state=State.RECEIVED).select_related("objection")
    return render(request, "objections/desk.html", {"pending": pending})


def _labelled(candidates: list[services.Candidate]) -> list[dict[str, Any]]:
    rows = []
    for number, c in enumerate(candidates, start=1):
        matched = [str(MATCHED[f]) for f in MATCHED if f in c.match.matched]
        missing = [str(MATCHED[f]) for f in MATCHED if f not in c.match.matched]
        label = _("Person %(n)s: %(matched)s") % {"n": number, "matched": ", ".join(matched)}
        rows.append({"candidate": c, "number": number, "matched": matched, "missing": missing,
                     "label": label})
    return rows


def _screen(request: HttpRequest, item: ObjectionRequest, **forms: Any) -> HttpResponse:
    context: dict[str, Any] = {"item": item, "kinds": Kind, "states": State}
    if item.state == State.RECEIVED:
        try:
            key = services.secret()
        except SecretError:
            return render(request, "objections/unavailable.html", status=503)
        try:
            rows = _labelled(services.candidates(item, key))
        except lookup.NoDirectory:
            rows, context["no_directory"] = [], True
        context.update(
            rows=rows, identity_nir=_spaced(item.nir),
            accept_form=forms.get("accept_form") or AcceptForm(
                choices=[(r["candidate"].token, r["label"]) for r in rows]),
            reject_form=forms.get("reject_form") or RejectForm(initial={
                "reason": Reason.NOT_FOUND if not rows else Reason.AMBIGUOUS}))
        if item.kind == Kind.WITHDRAWAL:
            context["same_person"] = services.same_person_as_objection(item, key)
    return render(request, "objections/request.html", context,
                  status=400 if any(f.errors for f in forms.values()) else 200)


def _spaced(nir: str) -> str:
    """A NIR as people read it: 2 55 08 14 168 025 38."""
    parts = (nir[0:1], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:15])
    return " ".join(p for p in parts if p)


@never_cache
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _dpo_only(request)
    return _screen(request, get_object_or_404(ObjectionRequest, pk=pk))


@require_POST
@login_required
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    _dpo_only(request)
    item = get_object_or_404(ObjectionRequest, pk=pk)
    if item.state != State.RECEIVED:
        messages.error(request, DECISION_REFUSALS["decided"])
        return redirect("objections:request", pk=pk)
    try:
        key = services.secret()
        choices = [(r["candidate"].token, r["label"])
                   for r in _labelled(services.candidates(item, key))]
    except (SecretError, lookup.NoDirectory):
        return render(request, "objections/unavailable.html", status=503)
    form = AcceptForm(request.POST, choices=choices)
    if not form.is_valid():
        return _screen(request, item, accept_form=form)
    try:
        services.accept(pk, form.cleaned_data["person"], user=request.user, http=request)
    except services.Refused as refusal:
        messages.error(request, DECISION_REFUSALS.get(refusal.code, _("Not possible.")))
        return redirect("objections:request", pk=pk)
    messages.success(request, _("Request %(receipt)s accepted; the register is updated and the "
                                "identity details are erased.") % {"receipt": item.receipt})
    return redirect("objections:desk")


@require_POST
@login_required
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    _dpo_only(request)
    item = get_object_or_404(ObjectionRequest, pk=pk)
    if item.state != State.RECEIVED:
        messages.error(request, DECISION_REFUSALS["decided"])
        return redirect("objections:request", pk=pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _screen(request, item, reject_form=form)
    try:
        services.reject(pk, form.cleaned_data["reason"], form.cleaned_data["text"].strip(),
                        user=request.user, http=request)
    except services.Refused as refusal:
        messages.error(request, DECISION_REFUSALS.get(refusal.code, _("Not possible.")))
        return redirect("objections:request", pk=pk)
    messages.success(request, _("Request %(receipt)s rejected; the identity details are "
                                "erased.") % {"receipt": item.receipt})
    return redirect("objections:desk")
