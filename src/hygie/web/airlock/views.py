"""The airlock's pages, under /airlock/.

- A workspace's requests, and the form of a new one: the members, inside the workspace (the same
  door as its other pages: `workspaces.access`).
- A request: its files with their findings, the reviews round by round, and what the viewer may
  do. Members of the project see their project's requests; output checkers who are not members
  see every request, to review it. Anyone else gets 404.
- The checkers' queue: requests waiting for a review, the oldest first, without those the checker
  may not review (their own project's, those reviewed in this round).
- Downloads: an approved file, for members; a file under review, for checkers; a published file,
  for everyone (it is a result of the register). Each served as an attachment that runs nothing.
"""

from __future__ import annotations

import enum
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hygie.web.airlock import flow, review
from hygie.web.airlock.findings import shown
from hygie.web.airlock.forms import RequestForm, ReviewForm, file_formset
from hygie.web.airlock.models import Decision, ReleaseFile, ReleaseRequest, Review, Status
from hygie.web.airlock.outputs import outputs
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.workspaces import access
from hygie.web.workspaces.access import Door
from hygie.web.workspaces.models import Workspace

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8",
    "json": "application/json", "txt": "text/plain; charset=utf-8", "html": "text/html",
    "svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf",
}
REFUSED = {
    "no_files": gettext_lazy("Choose at least one file, each once."),
    "unreadable": gettext_lazy("%(name)s cannot be copied: it is no longer a file of outputs/, "
                               "is reached through a link, or is over the size limit."),
    "is_sidecar": gettext_lazy("%(name)s is a sidecar of contributions: it holds individual "
                               "values and never leaves the workspace. Declare it beside its "
                               "table instead."),
    "bad_sidecar": gettext_lazy("%(name)s is not a sidecar made with magnitude_table."),
    "not_author": gettext_lazy("Only the author of the request replaces its files."),
    "not_changes": gettext_lazy("The files can be replaced only after a checker asked for "
                                "changes."),
    "not_approved": gettext_lazy("%(name)s is not an approved file of this request."),
    "published": gettext_lazy("%(name)s is already published in the register."),
    "damaged": gettext_lazy("The airlock's copy of %(name)s is missing or damaged: tell the "
                            "platform's operators."),
}
REVIEW_REFUSED = {
    review.Refusal.NOT_CHECKER: gettext_lazy("Only output checkers review release requests."),
    review.Refusal.SECOND_FACTOR: gettext_lazy("Sign in with your second factor to review."),
    review.Refusal.AUTHOR: gettext_lazy("You cannot review your own request."),
    review.Refusal.MEMBER: gettext_lazy("You are a member of this project: another checker "
                                        "must review it."),
    review.Refusal.ALREADY_REVIEWED: gettext_lazy("You already reviewed this round: a second "
                                                  "checker must review it."),
    review.Refusal.NOT_IN_REVIEW: gettext_lazy("This request is not waiting for a review."),
    review.Refusal.BLOCKING: gettext_lazy("A file has a blocking finding: it cannot be "
                                          "approved. Ask for changes or reject the request."),
    review.Refusal.COMMENT: gettext_lazy("Say why in a comment."),
}


class Viewer(enum.Enum):
    MEMBER = "member"
    CHECKER = "checker"


def _refused(request: HttpRequest, target: Any, reason: str, **detail: Any) -> None:
    record(Action.AIRLOCK_REFUSED, target, request=request, reason=reason,
           path=request.path[:200], **detail)


def _verified(request: HttpRequest) -> bool:
    return bool(request.user.is_verified())


# --- who sees what --------------------------------------------------------------------------------


def _member_door(request: HttpRequest, workspace: Workspace | None) -> HttpResponse | None:
    """None when the person may use the workspace's airlock pages; otherwise the answer: 404 to
    anyone but its members; to a member, the second factor to pass (then back here), or the
    workspace's own page, which says why access is closed."""
    door = access.door(request.user, workspace) if workspace is not None else Door.NOT_MEMBER
    if door is Door.OPEN:
        return None
    _refused(request, workspace, door.value)
    if door is Door.NOT_MEMBER:
        raise Http404
    assert workspace is not None
    if door is Door.SECOND_FACTOR:
        if not request.user.totpdevice_set.filter(confirmed=True).exists():
            return redirect("workspaces:second_factor", workspace.pk)
        back = request.get_full_path() if request.method == "GET" else reverse(
            "airlock:workspace", args=[workspace.pk])
        return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': back})}")
    return redirect("workspaces:workspace", workspace.pk)


def _viewer(request: HttpRequest, release: ReleaseRequest) -> Viewer | HttpResponse:
    """How the person sees the request: as a member of its project, as an output checker, or
    not at all (404; a member who may not enter now goes to the workspace's page)."""
    user = request.user
    if access.is_member(user, release.workspace):
        found = _member_door(request, release.workspace)
        return found if found is not None else Viewer.MEMBER
    if flow.is_checker(user) and _verified(request):
        return Viewer.CHECKER
    _refused(request, release, "not a member or checker")
    raise Http404


def _release(pk: int) -> ReleaseRequest:
    return get_object_or_404(ReleaseRequest.objects.select_related(
        "workspace__application", "author"), pk=pk)


# --- a workspace's requests -----------------------------------------------------------------------


def _workspace(pk: int) -> Workspace | None:
    return Workspace.objects.select_related("application").filter(pk=pk).first()


@login_required
@require_GET
def workspace_requests(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _workspace(pk)
    found = _member_door(request, workspace)
    if found is not None:
        return found
    assert workspace is not None
    rows = (workspace.release_requests.select_related("author")
            .annotate(files_count=Count("files", filter=Q(files__round=F("round"))))
            .order_by("-created", "-pk"))
    return render(request, "airlock/requests.html", {
        "workspace": workspace, "application": workspace.application, "rows": rows})


def _form_context(workspace: Workspace) -> dict[str, Any]:
    listed, cut = outputs(workspace.layout, flow.LIMITS)
    offered = [o.name for o in listed if o.offered]
    return {"listed": listed, "cut": cut, "offered": offered,
            "sidecars": [o.name for o in listed if o.offered and o.kind == "json"],
            "max_mb": flow.LIMITS.max_bytes // 2**20}


def _refusal_text(refused: flow.Refused) -> str:
    return str(REFUSED.get(refused.code, refused.code)) % {"name": refused.name}


@login_required
@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _workspace(pk)
    found = _member_door(request, workspace)
    if found is not None:
        return found
    assert workspace is not None
    context = _form_context(workspace)
    data = request.POST if request.method == "POST" else None
    form = RequestForm(data)
    files = file_formset(data, offered=context["offered"], sidecars=context["sidecars"])
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and files.is_valid():
            try:
                release = flow.submit(workspace, request.user, form.cleaned_data["title"],
                                      form.cleaned_data["purpose"], files.chosen(),
                                      request=request)
            except flow.Refused as refused:
                form.add_error(None, _refusal_text(refused))
            else:
                messages.success(request, _("The request is submitted: two output checkers "
                                            "will review it."))
                return redirect("airlock:request", release.pk)
    return render(request, "airlock/new.html", {
        **context, "workspace": workspace, "application": workspace.application,
        "form": form, "files": files}, status=status)


# --- a request ------------------------------------------------------------------------------------


def _rounds(release: ReleaseRequest, reviews: list[Review]) -> list[dict[str, Any]]:
    files = list(release.files.select_related("result").order_by("-round", "pk"))
    rounds = []
    for number in range(release.round, 0, -1):
        rounds.append({
            "number": number, "current": number == release.round,
            "files": [{"file": f, "findings": shown(f.report)} for f in files
                      if f.round == number],
            "reviews": [r for r in reviews if r.round == number]})
    return rounds


def _request_page(request: HttpRequest, release: ReleaseRequest, viewer: Viewer, *,
                  review_form: ReviewForm | None = None, status: int = 200) -> HttpResponse:
    now = flow.current_round(release)
    who = flow.reviewer(request.user, release.workspace, verified=_verified(request))
    may_review = viewer is Viewer.CHECKER and review.may_review(who, now) is None
    allowed = [d.value for d in review.decisions_allowed(now)]
    reviews = list(release.reviews.select_related("reviewer"))
    approvals = sum(1 for r in reviews if r.round == release.round
                    and r.decision == Decision.APPROVE)
    return render(request, "airlock/request.html", {
        "release": release, "workspace": release.workspace,
        "application": release.workspace.application, "member": viewer is Viewer.MEMBER,
        "checker": viewer is Viewer.CHECKER, "rounds": _rounds(release, reviews),
        "approvals": approvals, "needed": review.APPROVALS_NEEDED, "blocking": now.blocking,
        "may_review": may_review,
        "review_form": review_form or ReviewForm(allowed=allowed),
        "may_replace": (viewer is Viewer.MEMBER and release.status == Status.CHANGES
                        and release.author_id == request.user.pk),
        "member_downloads": viewer is Viewer.MEMBER and release.status == Status.APPROVED,
        "checker_downloads": viewer is Viewer.CHECKER and release.status == Status.REVIEW,
    }, status=status)


@login_required
@require_GET
def request_page(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(pk)
    viewer = _viewer(request, release)
    if isinstance(viewer, HttpResponse):
        return viewer
    return _request_page(request, release, viewer)


@login_required
@require_POST
def review_request(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(pk)
    viewer = _viewer(request, release)
    if isinstance(viewer, HttpResponse):
        return viewer
    now = flow.current_round(release)
    form = ReviewForm(request.POST, allowed=[d.value for d in review.decisions_allowed(now)])
    if not form.is_valid():
        return _request_page(request, release, viewer, review_form=form, status=400)
    done = flow.decide(release.pk, request.user, review.Decision(form.cleaned_data["decision"]),
                       form.cleaned_data["comment"], verified=_verified(request),
                       request=request)
    if done.refused is not None:
        form.add_error(None, str(REVIEW_REFUSED[done.refused]))
        return _request_page(request, done.release, viewer, review_form=form, status=409)
    messages.success(request, _("Your review is recorded."))
    return redirect("airlock:request", release.pk)


@login_required
@require_http_methods(["GET", "POST"])
def replace_files(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(pk)
    viewer = _viewer(request, release)
    if isinstance(viewer, HttpResponse):
        return viewer
    if viewer is not Viewer.MEMBER or release.author_id != request.user.pk:
        _refused(request, release, "replace: not the author")
        raise Http404
    if release.status != Status.CHANGES:
        messages.error(request, str(REFUSED["not_changes"]))
        return redirect("airlock:request", release.pk)
    context = _form_context(release.workspace)
    data = request.POST if request.method == "POST" else None
    files = file_formset(data, offered=context["offered"], sidecars=context["sidecars"])
    error = ""
    status = 200
    if request.method == "POST":
        status = 400
        if files.is_valid():
            try:
                flow.replace(release.pk, request.user, files.chosen(), request=request)
            except flow.Refused as refused:
                error = _refusal_text(refused)
                status = 409
            else:
                messages.success(request, _("The new files are submitted: round %(n)s of the "
                                            "review begins.") % {"n": release.round + 1})
                return redirect("airlock:request", release.pk)
    return render(request, "airlock/replace.html", {
        **context, "release": release, "workspace": release.workspace,
        "application": release.workspace.application, "files": files, "error": error},
        status=status)


# --- files ----------------------------------------------------------------------------------------


def _attachment(file: ReleaseFile, data: bytes) -> HttpResponse:
    kind = file.basename.rpartition(".")[2].lower()
    response = HttpResponse(data, content_type=CONTENT_TYPES.get(kind,
                                                                 "application/octet-stream"))
    response["Content-Disposition"] = content_disposition_header(True, file.basename)
    response["X-Content-Type-Options"] = "nosniff"
    # Opened by mistake in the browser, it runs nothing and reaches nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def download(request: HttpRequest, pk: int, file: int) -> HttpResponse:
    release = _release(pk)
    viewer = _viewer(request, release)
    if isinstance(viewer, HttpResponse):
        return viewer
    found = get_object_or_404(ReleaseFile, pk=file, request=release)
    allowed = (release.status == Status.APPROVED and found.round == release.round
               if viewer is Viewer.MEMBER else release.status == Status.REVIEW)
    if not allowed:
        _refused(request, release, f"download as {viewer.value}: {release.status}",
                 file=found.pk)
        raise Http404
    try:
        data = flow.read(found, request.user, role=viewer.value, request=request)
    except flow.Refused:
        raise Http404("the copy is missing or damaged") from None
    return _attachment(found, data)


@login_required
@require_POST
def publish(request: HttpRequest, pk: int, file: int) -> HttpResponse:
    release = _release(pk)
    viewer = _viewer(request, release)
    if isinstance(viewer, HttpResponse):
        return viewer
    found = get_object_or_404(ReleaseFile, pk=file, request=release)
    if viewer is not Viewer.MEMBER:
        _refused(request, release, "publish: not a member", file=found.pk)
        raise Http404
    try:
        flow.publish(found.pk, request.user, request=request)
    except flow.Refused as refused:
        messages.error(request, _refusal_text(refused))
    else:
        messages.success(request, _("%(name)s is published in the register.")
                         % {"name": found.basename})
    return redirect(reverse("airlock:request", args=[release.pk]) + "#files")


@require_GET
def published(request: HttpRequest, file: int) -> HttpResponse:
    """A file published as a result: public, as the register lists it, and only while its
    result is there."""
    found = get_object_or_404(ReleaseFile.objects.select_related("request", "result"),
                              pk=file, result__isnull=False,
                              result__application__received__isnull=False,
                              request__status=Status.APPROVED)
    if found.round != found.request.round:
        raise Http404
    try:
        data = flow.read(found, request.user, role="public", request=request)
    except flow.Refused:
        raise Http404("the copy is missing or damaged") from None
    return _attachment(found, data)


# --- the checkers' queue --------------------------------------------------------------------------


def waiting_for(user: Any) -> QuerySet[ReleaseRequest]:
    """Requests `user` may review now, the longest waiting first."""
    reviewed = Review.objects.filter(request=OuterRef("pk"), round=OuterRef("round"),
                                     reviewer=user)
    return (ReleaseRequest.objects.filter(status=Status.REVIEW)
            .exclude(author=user)
            .exclude(workspace__application__applicant=user)
            .exclude(workspace__application__team__user=user)
            .exclude(Exists(reviewed))
            .select_related("workspace__application")
            .annotate(approvals=Count("reviews", filter=Q(
                reviews__round=F("round"), reviews__decision=Decision.APPROVE)))
            .order_by("submitted", "pk"))


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    if not (flow.is_checker(request.user) and _verified(request)):
        _refused(request, None, "queue: not a checker")
        raise Http404
    rows = list(waiting_for(request.user)[:200])
    blocking = set(ReleaseFile.objects.filter(
        request__in=[r.pk for r in rows], blocking=True).values_list("request_id", "round"))
    return render(request, "airlock/queue.html", {
        "rows": [{"release": r, "blocking": (r.pk, r.round) in blocking} for r in rows]})
