"""The citizen's pages, open to anyone without an account: what an objection is, filing one,
following it, withdrawing it.

Every POST is counted per address (`limits`) and refused unread past a small size. Following and
withdrawing answer the same "not found" for an unknown receipt, an impossible one and a wrong
birth date. The receipt is shown once, on the page after filing (kept in the session for that
redirect only). No page is cached: they hold identity details or a receipt.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from hygie.pseudo.keys import SecretError
from hygie.web.objections import limits, services
from hygie.web.objections.forms import FollowForm, ObjectionForm, WithdrawForm

log = logging.getLogger(__name__)
SESSION_RECEIPT = "hygie_objection_receipt"
NOT_FOUND = gettext_lazy("No request matches this receipt number and birth date. Check both, "
                         "as written on your receipt.")
WITHDRAWAL_REFUSALS = {
    "objection-received": gettext_lazy("Your objection is still being examined: you can withdraw "
                                       "it once it has been decided."),
    "objection-rejected": gettext_lazy("Your objection was not accepted: there is nothing to "
                                       "withdraw."),
    "objection-withdrawn": gettext_lazy("This objection has already been withdrawn."),
    "withdrawal-pending": gettext_lazy("A withdrawal of this objection is already being "
                                       "examined."),
}


def _refused(request: HttpRequest, form: str) -> HttpResponse | None:
    """The answer to a POST that is too big or one too many from its address; None if it may
    go on."""
    if limits.too_big(request):
        return render(request, "objections/refused.html", {"why": "size"}, status=413)
    if not limits.spend(request, form):
        return render(request, "objections/refused.html", {"why": "rate"}, status=429)
    return None


def _unavailable(request: HttpRequest) -> HttpResponse:
    log.error("objection pages: no pseudonymisation secret is configured")
    return render(request, "objections/unavailable.html", status=503)


@never_cache
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "objections/index.html")


@never_cache
def object_(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    if posted and (refused := _refused(request, "object")):
        return refused
    form = ObjectionForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            objection = services.file_objection(form.cleaned_data["identity"],
                                                form.cleaned_data["email"], request=request)
        except SecretError:
            return _unavailable(request)
        request.session[SESSION_RECEIPT] = objection.receipt
        return redirect("objections:receipt")
    return render(request, "objections/object.html", {"form": form})


@never_cache
def receipt(request: HttpRequest) -> HttpResponse:
    return render(request, "objections/receipt.html",
                  {"receipt": request.session.pop(SESSION_RECEIPT, None)})


@never_cache
def follow(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    if posted and (refused := _refused(request, "follow")):
        return refused
    form = FollowForm(request.POST if posted else None)
    objection = None
    if posted and form.is_valid():
        try:
            objection = services.find_objection(form.cleaned_data["receipt"],
                                                form.cleaned_data["birth_date"])
        except SecretError:
            return _unavailable(request)
        if objection is None:
            form = _not_found(FollowForm)
    return render(request, "objections/follow.html", {
        "form": form, "objection": objection,
        "withdrawal": objection.last_withdrawal if objection is not None else None})


def _not_found(form_class: type[FollowForm]) -> FollowForm:
    """A blank form saying "not found": nothing typed is shown back, so that the answer is the
    same page whatever the receipt and birth date were."""
    form = form_class({})
    form.is_valid()
    form.errors.clear()
    form.add_error(None, NOT_FOUND)
    return form


@never_cache
def withdraw(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    if posted and (refused := _refused(request, "withdraw")):
        return refused
    form = WithdrawForm(request.POST if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            objection = services.find_objection(data["receipt"], data["birth_date"])
            if objection is None:
                form = _not_found(WithdrawForm)
            else:
                services.file_withdrawal(objection, data["nir"], data["birth_date"],
                                         data["email"], request=request)
                return render(request, "objections/withdraw_sent.html",
                              {"receipt": objection.receipt})
        except SecretError:
            return _unavailable(request)
        except services.Refused as refusal:
            form.add_error(None, WITHDRAWAL_REFUSALS.get(refusal.code, _("Not possible.")))
    return render(request, "objections/withdraw.html", {"form": form})
