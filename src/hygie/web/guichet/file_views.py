"""The applicant's side of the guichet and the file page.

- "My files": the files the person may view (`permissions.visible`), and a new file.
- The file's content, in sections, saved as a draft at any time while it is with the applicant
  (`Permission.EDIT`: draft or returned for completion). A save carries the version the page was
  rendered from (`Application.seq` and `updated`); an older one is refused, not written over.
- Its team (a member whose e-mail is an active account's reads the file) and its attachments
  (checked by `hygie.web.documents`, refused before the body is read when announced too big,
  served only through `download`, which checks who asks).
- The file page (`guichet:file`): header, clock, content, timeline, the steps the person may take
  (the desk's `_steps.html`), messages to the applicant and internal notes.

A file one may not view answers 404 (`permissions.get_file`), one may view but not change 403.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hygie.access.procedure import day_of
from hygie.web.accounts.models import Role as StaffRole
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.catalogue.uploads import SizeLimit, declared_too_big
from hygie.web.documents import DocumentRefused, check_document
from hygie.web.guichet import labels
from hygie.web.guichet.completeness import missing
from hygie.web.guichet.forms_file import (
    FIELDS,
    LABELS,
    SECTIONS,
    ApplicationForm,
    AttachmentForm,
    MessageForm,
    NewFileForm,
    TeamMemberForm,
)
from hygie.web.guichet.models import Application, Attachment, Message, TeamMember
from hygie.web.guichet.permissions import FileRole, Permission, allowed, get_file, roles_on, visible
from hygie.web.guichet.timeline import timeline
from hygie.web.guichet.workflow import case_of, steps_for
from hygie.web.notify import display_name, notify

P = Permission
PER_PAGE = 25
MB = 1024 * 1024


def _limit() -> str:
    """The attachments' size limit, as the documents' messages write it."""
    limit = settings.HYGIE_ATTACHMENT_MAX_BYTES
    return (_("%(n)s MB") % {"n": max(limit // MB, 1)} if limit >= MB
            else _("%(n)s kB") % {"n": max(limit // 1024, 1)})


def _row(application: Application) -> dict[str, Any]:
    return {"application": application,
            "procedure": labels.procedure_title(application.procedure),
            "stage": labels.stage_label(application.stage),
            "badge": labels.stage_badge(application.stage),
            "holder": labels.holder(application.procedure, application.stage)}


# --- my files, a new file -------------------------------------------------------------------------


@login_required
@require_GET
def files(request: HttpRequest) -> HttpResponse:
    listing = visible(request.user).select_related("applicant").order_by("-updated", "-id")
    page = Paginator(listing, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "guichet/file/list.html",
                  {"page": page, "rows": [_row(a) for a in page.object_list]})


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    form = NewFileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            application = Application.objects.create(
                procedure=form.cleaned_data["procedure"], applicant=request.user,
                title=form.cleaned_data["title"])
            record(Action.GUICHET_CREATED, application, request=request,
                   procedure=application.procedure)
        messages.success(request, _("Draft created: fill it in at your pace, it is saved as you "
                                    "go."))
        return redirect("guichet:edit", application.pk)
    choices = [(value, label, NewFileForm.hint(value), form["procedure"].value() == value)
               for value, label in form.fields["procedure"].choices]
    return render(request, "guichet/file/new.html", {"form": form, "choices": choices},
                  status=400 if form.is_bound else 200)


# --- the file's content ---------------------------------------------------------------------------


def _not_editable(request: HttpRequest, application: Application) -> HttpResponse:
    """What the applicant sees when the file has left their hands; others may not edit at all."""
    if FileRole.APPLICANT not in roles_on(request.user, application):
        raise PermissionDenied
    messages.error(request, _("This file cannot be changed now: it is %(stage)s.")
                   % {"stage": labels.stage_label(application.stage).lower()})
    return redirect(application)


def _edit_page(request: HttpRequest, application: Application, *,
               form: ApplicationForm | None = None, team_form: TeamMemberForm | None = None,
               attachment_form: AttachmentForm | None = None, editable: bool = True,
               status: int = 200) -> HttpResponse:
    return render(request, "guichet/file/edit.html", {
        "application": application,
        "procedure": labels.procedure_title(application.procedure),
        "stage": labels.stage_label(application.stage),
        "form": form or ApplicationForm(instance=application, user=request.user),
        "team_form": team_form or TeamMemberForm(application=application),
        "attachment_form": attachment_form or AttachmentForm(limit=_limit()),
        "team": application.team.all(),
        "attachments": application.attachments.all(),
        "missing": missing(application),
        "editable": editable,
    }, status=status)


def _stale() -> str:
    return _("This file was changed elsewhere (in another tab, or by a step of its review) since "
             "this page was opened. Your changes were not saved: copy them, open the file again, "
             "and make them there.")


def _claim(application: Application, seq: int, updated: Any) -> bool:
    """Take the file's next version if it is still the one the form was rendered from: one
    UPDATE, so that two saves of the same version cannot both pass."""
    return bool(Application.objects.filter(pk=application.pk, seq=seq, updated=updated)
                .update(updated=timezone.now()))


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_file(request.user, pk)
    if request.method == "GET":
        if not allowed(request.user, P.EDIT, application):
            return _not_editable(request, application)
        return _edit_page(request, application)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        form = ApplicationForm(request.POST, instance=locked, user=request.user)
        if not allowed(request.user, P.EDIT, locked):
            if FileRole.APPLICANT not in roles_on(request.user, locked):
                raise PermissionDenied
            form.is_valid()
            form.add_error(None, _stale())
            return _edit_page(request, application, form=form, editable=False, status=409)
        if form.is_valid():
            seen = form.cleaned_data["seq"], form.cleaned_data["updated"]
            if seen[0] == locked.seq and _claim(locked, *seen):
                changed = [name for name in form.changed_data if name in FIELDS]
                saved = form.save(commit=False)
                saved.save(update_fields=[name for name in FIELDS
                                          if name in form.fields and name != "datasets"]
                           + ["updated"])
                form.save_m2m()
                if changed:
                    record(Action.GUICHET_EDITED, saved, request=request, fields=changed)
                messages.success(request, _("Draft saved."))
                return redirect("guichet:edit", saved.pk)
            form.add_error(None, _stale())
            return _edit_page(request, application, form=form, status=409)
    return _edit_page(request, application, form=form, status=400)


def _locked_for_edit(request: HttpRequest, pk: int) -> Application | HttpResponse:
    """The file, locked for a change by its applicant; the answer to give when it is not theirs
    to change now. Call inside a transaction."""
    application = get_file(request.user, pk)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if not allowed(request.user, P.EDIT, locked):
        return _not_editable(request, locked)
    return locked


def _account(email: str) -> Any:
    """The active account with this address, if exactly one has it."""
    found = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2])
    return found[0] if len(found) == 1 else None


@login_required
@require_POST
def team_add(request: HttpRequest, pk: int) -> HttpResponse:
    with transaction.atomic():
        application = _locked_for_edit(request, pk)
        if isinstance(application, HttpResponse):
            return application
        form = TeamMemberForm(request.POST, application=application)
        if not form.is_valid():
            return _edit_page(request, application, team_form=form, status=400)
        member = form.save(commit=False)
        member.application = application
        member.user = _account(member.email)
        member.save()
        record(Action.GUICHET_EDITED, application, request=request, fields=["team"])
    messages.success(request, _("%(name)s added to the team.") % {"name": member.name})
    return redirect(reverse("guichet:edit", args=[pk]) + "#team")


@login_required
@require_POST
def team_remove(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    with transaction.atomic():
        application = _locked_for_edit(request, pk)
        if isinstance(application, HttpResponse):
            return application
        person = get_object_or_404(TeamMember, pk=member, application=application)
        person.delete()
        record(Action.GUICHET_EDITED, application, request=request, fields=["team"])
    messages.success(request, _("%(name)s removed from the team.") % {"name": person.name})
    return redirect(reverse("guichet:edit", args=[pk]) + "#team")


# --- attachments ----------------------------------------------------------------------------------


def _refused_upload(message: str) -> AttachmentForm:
    form = AttachmentForm(data={}, files={}, limit=_limit())
    form.is_valid()
    form.errors.clear()
    form.add_error("file", message)
    return form


def _too_large() -> str:
    return _("The file is larger than the limit of %(limit)s.") % {"limit": _limit()}


@csrf_exempt  # checked by _attach, after the size: reading the token reads the body
@login_required
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    application = get_file(request.user, pk)
    if not allowed(request.user, P.EDIT, application):
        return _not_editable(request, application)
    limit = settings.HYGIE_ATTACHMENT_MAX_BYTES
    if declared_too_big(request, limit):  # refused unread; nothing changes, so no token needed
        return _edit_page(request, application, attachment_form=_refused_upload(_too_large()),
                          status=413)
    request.upload_handlers.insert(0, SizeLimit(request, limit))
    return _attach(request, application, limit)


@csrf_protect
def _attach(request: HttpRequest, application: Application, limit: int) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES, limit=_limit())
    if any(getattr(h, "exceeded", False) for h in request.upload_handlers):
        return _edit_page(request, application, attachment_form=_refused_upload(_too_large()),
                          status=413)
    if not form.is_valid():
        return _edit_page(request, application, attachment_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        document = check_document(upload.name or "", upload, limit)
    except DocumentRefused as refused:
        form.add_error("file", refused.message)
        return _edit_page(request, application, attachment_form=form, status=400)
    with transaction.atomic():
        locked = _locked_for_edit(request, application.pk)
        if isinstance(locked, HttpResponse):
            return locked
        attachment = Attachment(application=locked, kind=form.cleaned_data["kind"],
                                name=document.safe_name, content_type=document.content_type,
                                size=document.size, sha256=document.sha256,
                                uploaded_by=request.user)
        # Stored under a name of ours: nothing the sender chose reaches the file system.
        attachment.file.save(f"{uuid4().hex}.{document.kind}", upload, save=False)
        stored = attachment.file.name
        try:
            attachment.save()
            record(Action.GUICHET_ATTACHED, locked, request=request, kind=attachment.kind,
                   name=attachment.name, size=attachment.size, sha256=attachment.sha256)
        except Exception:
            attachment.file.storage.delete(stored)
            raise
    messages.success(request, _("%(name)s attached.") % {"name": attachment.name})
    return redirect(reverse("guichet:edit", args=[application.pk]) + "#attachments")


@login_required
@require_POST
def detach(request: HttpRequest, pk: int, attachment: int) -> HttpResponse:
    with transaction.atomic():
        application = _locked_for_edit(request, pk)
        if isinstance(application, HttpResponse):
            return application
        document = get_object_or_404(Attachment, pk=attachment, application=application)
        storage, stored = document.file.storage, document.file.name
        document.delete()
        record(Action.GUICHET_DETACHED, application, request=request, kind=document.kind,
               name=document.name)
        transaction.on_commit(lambda: storage.delete(stored))
    messages.success(request, _("%(name)s removed.") % {"name": document.name})
    return redirect(reverse("guichet:edit", args=[pk]) + "#attachments")


@login_required
@require_GET
def download(request: HttpRequest, pk: int, attachment: int) -> HttpResponseBase:
    application = get_file(request.user, pk)
    document = get_object_or_404(Attachment, pk=attachment, application=application)
    try:
        stream = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("the attachment's file is missing") from None
    response = FileResponse(stream, as_attachment=True, filename=document.name,
                            content_type=document.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Opened by mistake in the browser, it runs nothing and reaches nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    record(Action.GUICHET_DOWNLOADED, application, request=request, attachment=document.pk,
           name=document.name)
    return response


# --- the file page, messages and notes ------------------------------------------------------------


def _content(application: Application, user: Any) -> list[dict[str, Any]]:
    """The file's content in sections, read-only: rows of (label, text, items, link): `items`
    for a list (datasets, variables), `text` otherwise ("" when not given)."""
    sections = []
    for key, title, names in SECTIONS:
        rows: list[tuple[str, str, list[str] | None, str]] = []
        for name in names:
            if name == "reference_methodology" and application.procedure != "reference-methodology":
                continue
            label = capfirst(str(LABELS.get(name)
                                 or Application._meta.get_field(name).verbose_name))
            value: Any = getattr(application, name)
            items: list[str] | None = None
            link = ""
            if name == "datasets":
                items = [d.title for d in application.datasets.all()]
            elif name == "variables":
                items = [str(v) for v in value or []]
            elif name == "cohort":
                value = value.name if value is not None else ""
                if application.cohort is not None and application.cohort.owner_id == user.pk:
                    link = application.cohort.get_absolute_url()
            elif name == "linkage":
                value = _("Yes") if value else _("No")
            elif name == "processing":
                value = application.get_processing_display() if value else ""
            elif name in ("period_start", "period_end"):
                value = date_format(value, "DATE_FORMAT") if value else ""
            rows.append((label, "" if value is None else str(value), items, link))
        sections.append({"key": key, "title": title, "rows": rows})
    return sections


def _clock(application: Application, case: Any) -> dict[str, Any]:
    today = day_of(timezone.now())
    stage = case.stage
    return {
        "deadline": case.deadline,
        "days_used": case.days_used(today),
        "overdue": case.overdue(today),
        "stopped": (stage != "draft" and not case.final
                    and labels.applicant_holds(application.procedure, stage)),
    }


def _note_form(data: Any = None) -> MessageForm:
    return MessageForm(data, auto_id="note_%s", label=_("Note"))


def _page(request: HttpRequest, application: Application, *,
          message_form: MessageForm | None = None, note_form: MessageForm | None = None,
          status: int = 200) -> HttpResponse:
    user = request.user
    case = case_of(application, timezone.now())
    roles = roles_on(user, application)
    may = {p.value: allowed(user, p, application)
           for p in (P.EDIT, P.MESSAGE, P.READ_NOTES, P.WRITE_NOTE)}
    thread = application.messages.select_related("author")
    return render(request, "guichet/file/file.html", {
        "application": application,
        "case": case,
        "steps": steps_for(user, application, case),
        "roles": roles,
        "may": may,
        "procedure": labels.procedure_title(application.procedure),
        "stage": labels.stage_label(case.stage),
        "badge": labels.stage_badge(case.stage),
        "holder": labels.holder(application.procedure, case.stage),
        "clock": _clock(application, case),
        "missing": missing(application) if may["edit"] else [],
        "sections": _content(application, user),
        "team": application.team.all(),
        "attachments": application.attachments.all(),
        "timeline": timeline(application),
        "thread": [(m, display_name(m.author)) for m in thread.filter(internal=False)],
        "notes": ([(m, display_name(m.author)) for m in thread.filter(internal=True)]
                  if may["read_notes"] else []),
        "message_form": message_form or MessageForm(),
        "note_form": note_form or _note_form(),
        "messages_open": application.received is not None,
    }, status=status)


@login_required
@require_GET
def file(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, get_file(request.user, pk))


def _secretariat() -> Any:
    return get_user_model().objects.filter(groups__name=str(StaffRole.SECRETARIAT),
                                           is_active=True)


def _applicant_side(application: Application) -> list[Any]:
    team = [m.user for m in application.team.select_related("user") if m.user is not None]
    return [application.applicant, *team]


def _write(request: HttpRequest, pk: int, *, internal: bool) -> HttpResponse:
    application = get_file(request.user, pk, P.WRITE_NOTE if internal else P.MESSAGE)
    if not internal and application.received is None:
        messages.error(request, _("Messages open once the file is submitted."))
        return redirect(application)
    form = _note_form(request.POST) if internal else MessageForm(request.POST)
    if not form.is_valid():
        return _page(request, application, status=400,
                     **({"note_form": form} if internal else {"message_form": form}))
    with transaction.atomic():
        written = Message.objects.create(application=application, author=request.user,
                                         body=form.cleaned_data["body"], internal=internal)
        record(Action.GUICHET_NOTE if internal else Action.GUICHET_MESSAGE, application,
               request=request, message=written.pk)
        if not internal:  # a note is never mailed: the applicant's side must not see it
            staff = FileRole.APPLICANT not in roles_on(request.user, application)
            people = _applicant_side(application) if staff else _secretariat()
            notify(people, "guichet_message",
                   {"application": application, "writer": display_name(request.user),
                    "to_staff": not staff}, actor=request.user)
    messages.success(request, _("Note added.") if internal else _("Message sent."))
    return redirect(reverse("guichet:file", args=[pk]) + ("#notes" if internal else "#messages"))


@login_required
@require_POST
def message(request: HttpRequest, pk: int) -> HttpResponse:
    return _write(request, pk, internal=False)


@login_required
@require_POST
def note(request: HttpRequest, pk: int) -> HttpResponse:
    return _write(request, pk, internal=True)
