"""Feasibility pages: saved cohorts (counts under secrecy) and enquiries; the builder and the
YAML editor are in `builder_views`.

Every page needs a signed-in user; a cohort is its owner's only, an enquiry its participants'
(`feasibility.access`): others get 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hygie.web.feasibility import budget, services
from hygie.web.feasibility.access import (
    get_cohort,
    get_enquiry,
    is_holder_side,
    visible_datasets,
    visible_enquiries,
)
from hygie.web.feasibility.errors import count_error_message
from hygie.web.feasibility.forms import EnquiryForm, ReplyForm
from hygie.web.feasibility.models import CountState, SavedCohort


@login_required
@require_GET
def cohorts(request: HttpRequest) -> HttpResponse:
    mine = SavedCohort.objects.filter(owner_id=request.user.pk).select_related("dataset")
    return render(request, "feasibility/cohorts.html", {"cohorts": mine})


def _status(request: HttpRequest, cohort: SavedCohort) -> dict[str, Any]:
    return {"state": cohort.count_state, "label": str(cohort.get_count_state_display()),
            "counting": cohort.counting,
            "error": count_error_message(cohort.count_error, cohort.dataset)
            if cohort.count_state == CountState.FAILED else ""}


@login_required
@require_GET
def cohort(request: HttpRequest, pk: int) -> HttpResponse:
    c = get_cohort(request.user, pk)
    return render(request, "feasibility/cohort.html", {"cohort": c, "status": _status(request, c),
                                                       "budget": budget.standing(request.user)})


@login_required
@require_GET
def status(request: HttpRequest, pk: int) -> JsonResponse:
    """The count's state, polled by feasibility.js while a count is under way."""
    c = get_cohort(request.user, pk)
    response = JsonResponse(_status(request, c))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def count(request: HttpRequest, pk: int) -> HttpResponse:
    c = services.request_count(get_cohort(request.user, pk), request=request)
    if c.count_state == CountState.FAILED:
        messages.error(request, count_error_message(c.count_error, c.dataset))
    return redirect(c)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    c = get_cohort(request.user, pk)
    if request.method == "POST":
        services.delete_cohort(c, request=request)
        messages.success(request, _("Cohort deleted."))
        return redirect("feasibility:cohorts")
    return render(request, "feasibility/delete.html", {"cohort": c})


# --- enquiries ------------------------------------------------------------------------------------


@login_required
@require_GET
def enquiries(request: HttpRequest) -> HttpResponse:
    return render(request, "feasibility/enquiries.html",
                  {"enquiries": visible_enquiries(request.user).order_by("-created")})


@login_required
@require_http_methods(["GET", "POST"])
def new_enquiry(request: HttpRequest) -> HttpResponse:
    """Ask a dataset's holder a question (`?dataset=<slug>`, a dataset the user may see)."""
    dataset = visible_datasets(request.user).filter(slug=request.GET.get("dataset", "")).first()
    if dataset is None:
        raise Http404("no such dataset")
    form = EnquiryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enquiry = services.open_enquiry(request.user, dataset, form.cleaned_data["subject"],
                                        form.cleaned_data["body"], request=request)
        messages.success(request, _("Your question has been sent to the data holder."))
        return redirect(enquiry)
    return render(request, "feasibility/enquiry_new.html", {"form": form, "dataset": dataset})


@login_required
@require_http_methods(["GET", "POST"])
def enquiry(request: HttpRequest, pk: int) -> HttpResponse:
    e = get_enquiry(request.user, pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.reply(e, request.user, form.cleaned_data["body"],
                       close=form.cleaned_data["close"], request=request)
        messages.success(request, _("Reply sent."))
        return redirect(e)
    thread = list(e.messages.select_related("author"))
    sides = {m.author_id: is_holder_side(m.author, e) for m in thread}
    return render(request, "feasibility/enquiry.html", {
        "enquiry": e, "thread": [(m, sides[m.author_id]) for m in thread], "form": form})
