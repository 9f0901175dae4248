"""The workspace's pages, for its members only (`access`).

- "My workspaces": the workspaces of the files that name the person.
- The workspace: its project and state, the current extract and where it comes from, its
  extractions (the page follows a running one), the tables with their figures under secrecy, and
  "refresh the extract".
- A table: its columns (with the catalogue's words) and its figures under secrecy.
- Files and jobs: the members' files (names and sizes), adding a script, running one; a job's
  page shows the end of its output.

Every page view is audited (WORKSPACE_ENTERED, WORKSPACE_TABLE_READ), every refusal too
(WORKSPACE_REFUSED); the status endpoints the pages poll are not (they say a state, no more). No
view returns a row of the extract or the bytes of a file: what leaves goes through the airlock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hygie.web.accounts import enrolment
from hygie.web.accounts.models import Invitation
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.catalogue.models import DatasetVersion, Variable, type_label
from hygie.web.catalogue.uploads import SizeLimit, declared_too_big
from hygie.web.guichet import labels
from hygie.web.notify import notify
from hygie.web.workspaces import access, files, lifecycle, runs
from hygie.web.workspaces.access import Door
from hygie.web.workspaces.contents import Extract, TableFigures, released
from hygie.web.workspaces.forms import SCRIPT_MAX_BYTES, RunForm, ScriptForm
from hygie.web.workspaces.models import Extraction, JobState, Run, Workspace

ACTIVE = (JobState.QUEUED, JobState.RUNNING)
RUNS_LISTED = 50
INVITATION_PAUSE = dt.timedelta(minutes=5)  # between two enrolment links asked for oneself

# Why the platform did not run a job, or refused to queue one (Run.error, RunRefused.code).
RUN_ERRORS = {
    "closed": gettext_lazy("Access to the workspace is closed: the job did not run."),
    "no_extract": gettext_lazy("The workspace has no extract yet: the job did not run."),
    "busy": gettext_lazy("Three jobs are already queued or running in this workspace: wait for "
                         "one to end."),
    "sandbox": gettext_lazy("Jobs cannot run on this platform now (their sandbox is missing): "
                            "tell the platform's operators."),
    "script": gettext_lazy("This script is no longer among the workspace's files."),
    "lost": gettext_lazy("The job's worker stopped before the job ended."),
    "crashed": gettext_lazy("The platform could not start the job."),
}
# Each step of an extraction, in the order the manifest's per-table tallies follow.
DROP_STEPS = [
    ("rows_in_table", gettext_lazy("rows in the source table")),
    ("rows_not_linked_to_one_person", gettext_lazy("not linked to one person")),
    ("rows_of_people_outside_the_cohort", gettext_lazy("people outside the cohort")),
    ("rows_of_opposed_people", gettext_lazy("people who objected")),
    ("rows_outside_the_period", gettext_lazy("outside the period")),
    ("rows_released", gettext_lazy("rows in the extract")),
]


# --- the door -----------------------------------------------------------------------------------


def _refuse(request: HttpRequest, workspace: Workspace | None, reason: str, pk: int) -> None:
    record(Action.WORKSPACE_REFUSED, workspace, request=request, reason=reason, workspace=pk,
           path=request.path[:200])


def _closed_page(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    application = workspace.application
    return render(request, "workspaces/closed.html", {
        "workspace": workspace, "application": application,
        "stage": labels.stage_label(application.stage),
        "state": workspace.get_state_display()}, status=403)


def _second_factor(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    back = request.get_full_path() if request.method == "GET" else reverse(
        "workspaces:workspace", args=[workspace.pk])
    if request.user.totpdevice_set.filter(confirmed=True).exists():
        return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': back})}")
    return redirect("workspaces:second_factor", workspace.pk)


def enter(request: HttpRequest, pk: int, *, status_page: bool = False
          ) -> Workspace | HttpResponse:
    """The workspace if the person may see this page of it; otherwise the answer to give: 404
    to anyone but its members, the closed page or the way to a second factor to a member."""
    workspace = Workspace.objects.select_related("application").filter(pk=pk).first()
    if workspace is None:
        _refuse(request, None, "unknown", pk)
        raise Http404
    door = access.door(request.user, workspace)
    if door is Door.NOT_MEMBER:
        _refuse(request, workspace, "not a member", pk)
        raise Http404
    if door is Door.CLOSED:
        _refuse(request, workspace, f"closed ({workspace.application.stage}, {workspace.state})",
                pk)
        return _closed_page(request, workspace)
    if door is Door.SECOND_FACTOR:
        _refuse(request, workspace, "second factor", pk)
        return _second_factor(request, workspace)
    if door is Door.PROVISIONING and not status_page:
        messages.info(request, _("The workspace is being provisioned: its data are not ready "
                                 "yet."))
        return redirect("workspaces:workspace", workspace.pk)
    return workspace


def _entered(request: HttpRequest, workspace: Workspace, page: str, **detail: Any) -> None:
    record(Action.WORKSPACE_ENTERED, workspace, request=request, page=page, **detail)


# --- my workspaces ------------------------------------------------------------------------------


@login_required
@require_GET
def workspaces(request: HttpRequest) -> HttpResponse:
    rows = []
    for workspace in access.mine(request.user):
        door = access.door(request.user, workspace)
        rows.append({"workspace": workspace, "application": workspace.application,
                     "state": workspace.get_state_display(),
                     "stage": labels.stage_label(workspace.application.stage),
                     "closed": door is Door.CLOSED})
    return render(request, "workspaces/list.html", {"rows": rows})


# --- the workspace ------------------------------------------------------------------------------


def current_extract(workspace: Workspace) -> Extract | None:
    path = workspace.layout.current()
    return Extract(path) if path is not None else None


def _figures(workspace: Workspace, extract: Extract, table: str) -> TableFigures:
    """A table's released figures, kept per process: an extract never changes."""
    key = f"workspace-figures:{workspace.folder}:{extract.number}:{table}"
    found = cache.get(key)
    if found is None:
        found = extract.figures(table)
        cache.set(key, found, settings.HYGIE_PAGE_CACHE_SECONDS)
    return found


def _provenance(workspace: Workspace, extract: Extract) -> dict[str, Any]:
    """What the page says of where the current extract comes from."""
    made = extract.provenance
    source = extract.manifest.get("source") or {}
    dataset = made.get("dataset") or {}
    register = made.get("opposition_register") or {}
    version = None
    if dataset.get("slug") and dataset.get("version"):
        version = DatasetVersion.objects.filter(dataset__slug=dataset["slug"],
                                                number=dataset["version"]).first()
    extraction = workspace.extractions.filter(number=extract.number).first()
    drops = []
    for table, tally in sorted((made.get("tables") or {}).items()):
        drops.append({"table": table, "steps": [released(int(tally.get(key) or 0))
                                                for key, _label in DROP_STEPS]})
    authorised_on = made.get("authorised_on")
    return {
        "number": extract.number,
        "reference": made.get("application") or source.get("project", ""),
        "authorised_on": dt.date.fromisoformat(authorised_on) if authorised_on else None,
        "dataset": dataset, "version": version,
        "code_version": extract.manifest.get("code_version", ""),
        "engine": source.get("engine", ""),
        "scope_sha256": source.get("scope_sha256", ""),
        "register_sha256": register.get("sha256") or "",
        "register_entries": released(int(register.get("entries") or 0)),
        "cohort_people": released(int(made.get("cohort_people") or 0)),
        "opposed_people": released(int(made.get("opposed_people_dropped") or 0)),
        "released_people": released(int(made.get("released_people") or 0)),
        "drops": drops, "steps": [label for _key, label in DROP_STEPS],
        "extraction": extraction,
    }


def _version(workspace: Workspace, latest: Extraction | None) -> str:
    """What the page shows of the extractions: when the poll finds it changed, it reloads."""
    return (f"{workspace.state}:{workspace.current_extract}:"
            f"{latest.number if latest else 0}:{latest.state if latest else ''}")


def _may_refresh(workspace: Workspace) -> bool:
    return not workspace.extractions.filter(state__in=ACTIVE).exists()


@login_required
@require_GET
def workspace(request: HttpRequest, pk: int) -> HttpResponse:
    found = enter(request, pk, status_page=True)
    if isinstance(found, HttpResponse):
        return found
    _entered(request, found, "workspace")
    extract = current_extract(found)
    extractions = list(found.extractions.select_related("requested_by").order_by("-number"))
    return render(request, "workspaces/workspace.html", {
        "workspace": found, "application": found.application,
        "state": found.get_state_display(),
        "stage": labels.stage_label(found.application.stage),
        "extract": extract,
        "provenance": _provenance(found, extract) if extract else None,
        "tables": [_figures(found, extract, t) for t in extract.tables] if extract else [],
        "extractions": extractions,
        "active": any(e.state in ACTIVE for e in extractions),
        "version": _version(found, extractions[0] if extractions else None),
        "may_refresh": _may_refresh(found),
        "job_limits": runs.limits(),
    })


def _unavailable(answer: HttpResponse) -> JsonResponse:
    """A poll's answer when the page's answer would be the closed page or a redirect."""
    return JsonResponse({"detail": "closed" if answer.status_code == 403 else "unavailable"},
                        status=403)


@login_required
@require_GET
def status(request: HttpRequest, pk: int) -> JsonResponse:
    """The extractions' state, polled by workspace.js while one is under way (not audited: it
    says what the page already said)."""
    found = enter(request, pk, status_page=True)
    if isinstance(found, HttpResponse):
        return _unavailable(found)
    latest = found.extractions.order_by("-number").first()
    body = {"active": bool(latest and latest.state in ACTIVE),
            "state": latest.state if latest else "",
            "label": str(latest.get_state_display()) if latest else "",
            "progress": latest.progress if latest else "",
            "version": _version(found, latest)}
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def refresh(request: HttpRequest, pk: int) -> HttpResponse:
    found = enter(request, pk, status_page=True)
    if isinstance(found, HttpResponse):
        return found
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().select_related("application").get(
            pk=found.pk)
        if not access.may_enter(request.user, locked, status_page=True):
            _refuse(request, locked, "refresh: closed", pk)
            return _closed_page(request, locked)
        if not _may_refresh(locked):
            messages.error(request, _("An extraction is already queued or running: wait for it "
                                      "to end."))
            return redirect("workspaces:workspace", pk)
        try:
            extraction = lifecycle.refresh(locked, request.user)
        except LookupError:
            messages.error(request, _("The file holds no authorisation to extract from."))
            return redirect("workspaces:workspace", pk)
    messages.success(request, _("Extraction %(number)s is queued: the page follows it.")
                     % {"number": extraction.number})
    return redirect("workspaces:workspace", pk)


# --- a table ------------------------------------------------------------------------------------


def _catalogue_words(provenance: dict[str, Any], table: str) -> dict[str, tuple[str, str]]:
    """Per column of `table`: (type, label) from the catalogue's version the extract came from."""
    dataset = provenance.get("dataset") or {}
    version = DatasetVersion.objects.filter(dataset__slug=dataset.get("slug") or "",
                                            number=dataset.get("version") or 0).first()
    if version is None:
        return {}
    return {v.name: (v.type_label, v.description)
            for v in Variable.objects.filter(table__version=version, table__name=table)}


OWN_COLUMNS = {
    "PSEUDO_ID": gettext_lazy("The person's pseudonym in this project"),
    "LINE_ID": gettext_lazy("The row's key in this project"),
    "STAY_ID": gettext_lazy("The stay's key in this project"),
}


@login_required
@require_GET
def table(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    found = enter(request, pk)
    if isinstance(found, HttpResponse):
        return found
    extract = current_extract(found)
    if extract is None or not extract.has(name):
        raise Http404
    record(Action.WORKSPACE_TABLE_READ, found, request=request, table=name,
           extract=extract.number)
    words = _catalogue_words(extract.provenance, name)
    columns = []
    for column in extract.columns(name):
        kind, label = words.get(column.name, ("", ""))
        columns.append({"name": column.name, "type": kind or type_label(column.kind),
                        "label": label or OWN_COLUMNS.get(column.name, "")})
    return render(request, "workspaces/table.html", {
        "workspace": found, "application": found.application, "extract": extract,
        "name": name, "columns": columns, "figures": _figures(found, extract, name)})


# --- files and jobs -----------------------------------------------------------------------------


def _files_page(request: HttpRequest, workspace: Workspace, *, script_form: ScriptForm | None = None,
                run_form: RunForm | None = None, status: int = 200) -> HttpResponse:
    layout = workspace.layout
    entries, cut = files.listing(layout)
    return render(request, "workspaces/files.html", {
        "workspace": workspace, "application": workspace.application,
        "entries": [e for e in entries if not e.output],
        "outputs": [e for e in entries if e.output], "cut": cut,
        "script_form": script_form or ScriptForm(),
        "run_form": run_form or RunForm(scripts=files.scripts(layout)),
        "runs": Run.objects.filter(workspace=workspace).select_related("requested_by")[
            :RUNS_LISTED],
        "job_limits": runs.limits(),
    }, status=status)


@login_required
@require_GET
def files_page(request: HttpRequest, pk: int) -> HttpResponse:
    found = enter(request, pk)
    if isinstance(found, HttpResponse):
        return found
    runs.settle_overdue(found)
    _entered(request, found, "files")
    return _files_page(request, found)


def _upload_refused(message: str) -> ScriptForm:
    form = ScriptForm(data={}, files={})
    form.is_valid()
    form.errors.clear()
    form.add_error("script", message)
    return form


@csrf_exempt  # checked by _upload, after the size: reading the token reads the body
@login_required
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    found = enter(request, pk)
    if isinstance(found, HttpResponse):
        return found
    if declared_too_big(request, SCRIPT_MAX_BYTES):  # refused unread: nothing changes
        return _files_page(request, found, script_form=_upload_refused(
            _("The script is larger than 1 MB.")), status=413)
    request.upload_handlers.insert(0, SizeLimit(request, SCRIPT_MAX_BYTES))
    return _upload(request, found)


@csrf_protect
def _upload(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    form = ScriptForm(request.POST, request.FILES)
    if any(getattr(h, "exceeded", False) for h in request.upload_handlers):
        return _files_page(request, workspace, script_form=_upload_refused(
            _("The script is larger than 1 MB.")), status=413)
    if not form.is_valid():
        return _files_page(request, workspace, script_form=form, status=400)
    name, data = form.cleaned_data["script"]
    try:
        files.save_script(workspace.layout, name, data)
    except (OSError, ValueError):
        return _files_page(request, workspace, script_form=_upload_refused(
            _("The script could not be written: a folder of the workspace has this name.")),
            status=409)
    record(Action.WORKSPACE_FILE_ADDED, workspace, request=request, name=name, size=len(data),
           sha256=hashlib.sha256(data).hexdigest())
    messages.success(request, _("%(name)s added to the workspace's files.") % {"name": name})
    return redirect(reverse("workspaces:files", args=[workspace.pk]) + "#files")


@login_required
@require_POST
def start_run(request: HttpRequest, pk: int) -> HttpResponse:
    found = enter(request, pk)
    if isinstance(found, HttpResponse):
        return found
    form = RunForm(request.POST, scripts=files.scripts(found.layout))
    if not form.is_valid():
        return _files_page(request, found, run_form=form, status=400)
    try:
        run = runs.start(found, form.cleaned_data["script"], request.user, request)
    except runs.RunRefused as refused:
        if refused.code == "closed":
            return _closed_page(request, found)
        form.add_error("script", str(RUN_ERRORS.get(refused.code, refused.code)))
        return _files_page(request, found, run_form=form, status=409)
    messages.success(request, _("The job is queued."))
    return redirect("workspaces:run", found.pk, run.pk)


@login_required
@require_GET
def run_page(request: HttpRequest, pk: int, run: int) -> HttpResponse:
    found = enter(request, pk)
    if isinstance(found, HttpResponse):
        return found
    job = get_object_or_404(Run.objects.select_related("requested_by"), pk=run, workspace=found)
    _entered(request, found, "job", run=job.pk)
    return render(request, "workspaces/run.html", {
        "workspace": found, "application": found.application, "run": job,
        "error": RUN_ERRORS.get(job.error, job.error) if job.error else "",
        "outputs": [e for e in files.listing(found.layout)[0] if e.output]})


@login_required
@require_GET
def run_status(request: HttpRequest, pk: int, run: int) -> JsonResponse:
    found = enter(request, pk)
    if isinstance(found, HttpResponse):
        return _unavailable(found)
    job = get_object_or_404(Run, pk=run, workspace=found)
    response = JsonResponse({"active": job.active, "state": job.state,
                             "label": str(job.get_state_display()), "progress": "",
                             "version": job.state})
    response["Cache-Control"] = "no-store"
    return response


# --- a second factor for members ----------------------------------------------------------------


def _recent_invitation(user: Any) -> bool:
    return Invitation.objects.filter(
        user=user, used_at=None, revoked_at=None, expires_at__gt=timezone.now(),
        created__gt=timezone.now() - INVITATION_PAUSE).exists()


@login_required
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest, pk: int) -> HttpResponse:
    """A member without a second factor asks for an enrolment link, sent to their own address:
    the password alone does not bind an authenticator (`accounts.enrolment`). The link brings
    them back here once enrolled."""
    found = Workspace.objects.select_related("application").filter(pk=pk).first()
    door = access.door(request.user, found) if found else Door.NOT_MEMBER
    if door is Door.NOT_MEMBER:
        _refuse(request, found, "not a member", pk)
        raise Http404
    assert found is not None
    if door is not Door.SECOND_FACTOR:
        return redirect("workspaces:workspace", pk)
    user = request.user
    if user.totpdevice_set.filter(confirmed=True).exists():
        return _second_factor(request, found)
    sent = False
    if request.method == "POST":
        if not user.email:
            messages.error(request, _("Your account has no e-mail address: ask the platform's "
                                      "administrators for an enrolment link."))
        elif _recent_invitation(user):
            sent = True
            messages.info(request, _("A link was sent a few minutes ago: look for it in your "
                                     "mailbox (and its spam folder)."))
        else:
            with transaction.atomic():
                path = enrolment.issue(user, actor=user, request=request, via="workspace")
                back = reverse("workspaces:workspace", args=[pk])
                notify([user], "workspace_enrolment", {
                    "application": found.application, "path": f"{path}?{urlencode({'next': back})}",
                    "hours": settings.PASSWORD_RESET_TIMEOUT // 3600})
            sent = True
    return render(request, "workspaces/second_factor.html", {
        "workspace": found, "application": found.application, "sent": sent,
        "email": user.email, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600})

