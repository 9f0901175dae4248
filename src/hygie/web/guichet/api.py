"""Guichet API: access application files and every step of their review, as REST calls.

Session authentication with the CSRF token on writes, as the pages (staff past their second
factor: `accounts.middleware`). Object-level permissions are `guichet.permissions`'s, the pages'
own: a file one may not view answers 404 whether it exists or not (no IDOR), a file one may view
but not change answers 403. Every workflow command is ONE operation, POST
/files/{id}/steps/{kind}, which goes through `workflow.act` as the pages do; the procedures are
configuration, so the list of steps in its description is generated from them.

Refusals are JSON `{"detail": ..., "missing": [...]}` in the language of the request
(Accept-Language, or the language cookie): 409 when the file changed since the version (`seq`)
the caller read, 422 when the procedure refuses (the engine's message, translated by
`guichet.wording`, as on the pages) or the file is incomplete (each missing item named).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File as DjangoFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.security import django_auth

from hygie.access import ProcedureError
from hygie.access.description import Choice, Procedure
from hygie.access.procedure import day_of
from hygie.web.accounts.models import Role as StaffRole
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.documents import DocumentRefused, check_document
from hygie.web.feasibility.access import visible_datasets
from hygie.web.feasibility.models import SavedCohort
from hygie.web.guichet.api_schemas import (
    PROCEDURES,
    AttachmentId,
    FileId,
    GuichetAttachment,
    GuichetAttachmentKindName,
    GuichetClock,
    GuichetEvent,
    GuichetFile,
    GuichetFileChange,
    GuichetFileCreate,
    GuichetFilePage,
    GuichetFileSummary,
    GuichetMessage,
    GuichetMessageIn,
    GuichetNeed,
    GuichetPageQuery,
    GuichetProcedure,
    GuichetRefusal,
    GuichetStep,
    GuichetStepIn,
    GuichetStepKind,
    GuichetTeamMember,
    steps_description,
)
from hygie.web.guichet.completeness import missing as missing_items
from hygie.web.guichet.labels import procedure_title
from hygie.web.guichet.models import (
    Application,
    ApplicationEvent,
    Attachment,
    Message,
    TeamMember,
    TeamRole,
)
from hygie.web.guichet.permissions import (
    EDITABLE_STAGES,
    GRANTS,
    FileRole,
    P,
    Permission,
    allowed,
    get_file,
    roles_on,
    visible,
)
from hygie.web.guichet.wording import refusal, stage, what
from hygie.web.guichet.workflow import (
    FROM_THE_FILE,
    Conflict,
    Incomplete,
    act,
    case_of,
    steps_for,
)
from hygie.web.notify import display_name, notify

router = Router(tags=["guichet"], auth=django_auth)


def _answers(ok: dict[int, Any], *refusals: int) -> dict[int, Any]:
    """An operation's answers: `ok`, the refusals it gives, and those any operation gives before
    it runs: 401 (not signed in), 403 (no CSRF token on a write; staff past the password but not
    the second factor), 422 (a parameter or a body of the wrong shape)."""
    return {**ok, **{code: GuichetRefusal for code in sorted({401, 403, 422, *refusals})}}


# --- answers --------------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _file_out(application: Application, user: Any, case: Any = None) -> GuichetFile:
    now = _now()
    case = case if case is not None else case_of(application, now)
    clock = case.clock
    today = day_of(now)
    editable = case.stage in EDITABLE_STAGES
    return GuichetFile(
        id=application.pk, reference=application.reference, procedure=application.procedure,
        procedure_title=procedure_title(application.procedure),
        seq=application.seq, stage=case.stage, stage_label=stage(case.stage),
        deadline=case.deadline,
        clock=None if clock is None else GuichetClock(
            name=clock.name, state=clock.state, due=clock.due, days_used=case.days_used(today),
            extensions=clock.extensions, overdue=case.overdue(today)),
        overdue=case.overdue(today), opinion=case.opinion, received=application.received,
        decided=application.decided, ends=application.ends,
        roles=sorted(str(r) for r in roles_on(user, application)),
        steps=steps_for(user, application, case),
        missing=missing_items(application) if editable else [],
        title=application.title, acronym=application.acronym,
        controller=application.controller, purpose=application.purpose,
        public_interest=application.public_interest, lay_summary=application.lay_summary,
        methodology=application.methodology,
        reference_methodology=application.reference_methodology, funding=application.funding,
        conflicts_of_interest=application.conflicts_of_interest,
        publication_plan=application.publication_plan,
        datasets=sorted(application.datasets.values_list("slug", flat=True)),
        variables=[str(v) for v in application.variables or []],
        cohort=application.cohort_id, program=application.program,
        period_start=application.period_start, period_end=application.period_end,
        linkage=application.linkage, linkage_detail=application.linkage_detail,
        processing=application.processing, processing_detail=application.processing_detail,
        outputs=application.outputs, duration_months=application.duration_months,
        team=[GuichetTeamMember(name=m.name, email=m.email, organisation=m.organisation,
                                role=m.role) for m in application.team.all()],
        created=application.created, updated=application.updated)


def _summary(application: Application) -> GuichetFileSummary:
    return GuichetFileSummary(id=application.pk, reference=application.reference,
                              procedure=application.procedure, title=application.title,
                              stage=application.stage, stage_label=stage(application.stage),
                              deadline=application.deadline, updated=application.updated)


def _refused(status: int, detail: str, **more: Any) -> Status[Any]:
    return Status(status, GuichetRefusal(detail=detail, **more))


def _forbidden() -> Status[Any]:
    return _refused(403, _("You may not do this on this file."))


def _conflict(seen: int | None, application: Application) -> Status[Any]:
    if seen is None:  # another person's step was stored first, as this one was
        return _refused(409, _("The file changed while you acted: read it again."))
    return _refused(409, _("The file has changed since you read it (version %(seen)s, now "
                           "%(seq)s): read it again before acting.") % {
        "seen": seen, "seq": application.seq})


# --- the files ------------------------------------------------------------------------------------


def _procedure_out(name: str, proc: Procedure) -> GuichetProcedure:
    def needs(kind: str, step: Any) -> list[GuichetNeed]:
        return [GuichetNeed(key=key, kind="choice" if isinstance(need, Choice) else str(need),
                            choices=list(need.choice) if isinstance(need, Choice) else [])
                for key, need in step.needs.items() if key not in FROM_THE_FILE.get(kind, ())]

    return GuichetProcedure(
        name=name, title=procedure_title(name),
        stages={s: stage(s) for s in proc.stages},
        steps=[GuichetStep(kind=kind, what=what(step.what), role=step.role.value,
                           sources=sorted(proc.sources_of(step)), to=step.to,
                           needs=needs(kind, step))
               for kind, step in proc.steps.items()])


@router.get("/procedures", response=list[GuichetProcedure], auth=None)
def procedure_list(request: HttpRequest) -> list[GuichetProcedure]:
    """The procedures a file may follow: their stages, and their steps with what each needs
    (what a step takes from the file itself is not listed)."""
    return [_procedure_out(name, proc) for name, proc in sorted(PROCEDURES.items())]


@router.get("/files", response=_answers({200: GuichetFilePage}, 422))
def files(request: HttpRequest, page: Query[GuichetPageQuery]) -> GuichetFilePage:
    """The files the caller may view (their own, and those their roles give them), latest
    change first."""
    found = visible(request.user)
    if page.stage:
        found = found.filter(stage=page.stage)
    items = list(found.order_by("-updated", "-id")[page.offset:page.offset + page.limit])
    return GuichetFilePage(count=found.count(), limit=page.limit, offset=page.offset,
                           items=[_summary(a) for a in items])


@router.post("/files", response=_answers({201: GuichetFile}, 422))
def create_file(request: HttpRequest,
                payload: GuichetFileCreate) -> Status[GuichetFile | GuichetRefusal]:
    """Start a draft, the caller's alone until submitted."""
    fields = payload.dict(exclude_unset=True)
    procedure = str(fields.pop("procedure").value)
    with transaction.atomic():
        application = Application(procedure=procedure, applicant=request.user)
        problems = _apply_fields(application, fields, request.user)
        if problems:
            transaction.set_rollback(True)
            return _invalid(problems)
        record(Action.GUICHET_CREATED, application, request=request, via="api")
    return Status(201, _file_out(application, request.user))


@router.get("/files/{file_id}", response=_answers({200: GuichetFile}, 404))
def read_file(request: HttpRequest, file_id: FileId) -> GuichetFile:
    """The file: its content, where its review stands, and the steps the caller may take."""
    return _file_out(get_file(request.user, file_id), request.user)


@router.patch("/files/{file_id}",
              response=_answers({200: GuichetFile}, 403, 404, 409, 422))
def change_file(request: HttpRequest, file_id: FileId,
                payload: GuichetFileChange) -> Status[GuichetFile | GuichetRefusal]:
    """Change the file's content while it is with the applicant (draft, or returned for
    completion); only the fields given change."""
    application = get_file(request.user, file_id)  # 404 for a file one may not view
    if not any(P.EDIT in GRANTS[role] for role in roles_on(request.user, application)):
        return _forbidden()
    fields = payload.dict(exclude_unset=True)
    seen = fields.pop("seq", None)
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=file_id)
        if seen is not None and seen != application.seq:  # submitted, or returned, meanwhile
            return _conflict(seen, application)
        if not allowed(request.user, P.EDIT, application):  # no longer with the applicant
            return _forbidden()
        problems = _apply_fields(application, fields, request.user)
        if problems:
            transaction.set_rollback(True)
            return _invalid(problems)
        record(Action.GUICHET_EDITED, application, request=request, via="api",
               fields=sorted(fields))
    return Status(200, _file_out(application, request.user))


def _invalid(problems: dict[str, list[str]]) -> Status[Any]:
    return _refused(422, _("Some fields are not valid."), fields=problems)


_PLAIN = ("title", "acronym", "controller", "purpose", "public_interest", "lay_summary",
          "methodology", "reference_methodology", "funding", "conflicts_of_interest",
          "publication_plan", "variables", "program", "period_start", "period_end", "linkage",
          "linkage_detail", "processing", "processing_detail", "outputs", "duration_months")


def _apply_fields(application: Application, fields: dict[str, Any],
                  user: Any) -> dict[str, list[str]]:
    """Set the fields given and save; the problems, by field, when some are not valid (the
    caller rolls back)."""
    problems: dict[str, list[str]] = {}
    for name in _PLAIN:
        if name in fields:
            setattr(application, name, fields[name])
    if "cohort" in fields:
        cohort = fields["cohort"]
        if cohort is not None and not SavedCohort.objects.filter(pk=cohort,
                                                                 owner_id=user.pk).exists():
            problems["cohort"] = [_("You have no saved cohort %(id)s.") % {"id": cohort}]
        application.cohort_id = cohort
    try:
        application.full_clean(exclude=["cohort"], validate_unique=False,
                               validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            problems.setdefault(name, []).extend(messages)
    datasets = None
    if "datasets" in fields:
        slugs = list(dict.fromkeys(fields["datasets"]))
        datasets = list(visible_datasets(user).filter(slug__in=slugs))
        unknown = sorted(set(slugs) - {d.slug for d in datasets})
        if unknown:
            problems["datasets"] = [_("No dataset %(slug)s.") % {"slug": repr(s)}
                                    for s in unknown]
    team = fields.get("team")
    if team is not None:  # the defaults of what a change left unset
        team = [{"organisation": "", "role": str(TeamRole.MEMBER), **m} for m in team]
        problems.update(_team_problems(application, team))
    if problems:
        return problems
    application.save()
    if datasets is not None:
        application.datasets.set(datasets)
    if team is not None:
        _set_team(application, team)
    return {}


def _team_problems(application: Application, team: list[dict[str, Any]]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for i, member in enumerate(team):
        place = f"team.{i}"
        if member["role"] not in TeamRole.values:
            problems.setdefault(place, []).append(
                _("The role must be one of %(roles)s.") % {"roles": ", ".join(TeamRole.values)})
        row = TeamMember(application=application, name=member["name"], email=member["email"],
                         organisation=member["organisation"], role=TeamRole.MEMBER)
        try:
            row.full_clean(exclude=["application", "user"], validate_unique=False,
                           validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                problems.setdefault(f"{place}.{name}", []).extend(messages)
        if member["email"].lower() in seen:
            problems.setdefault(place, []).append(_("This person is named twice."))
        seen.add(member["email"].lower())
    return problems


def _set_team(application: Application, team: list[dict[str, Any]]) -> None:
    """Replace the people named; each with an account (by e-mail address) may read the file."""
    application.team.all().delete()
    users = get_user_model().objects.filter(is_active=True)
    for member in team:
        TeamMember.objects.create(
            application=application, name=member["name"], email=member["email"],
            organisation=member["organisation"], role=member["role"],
            user=users.filter(email__iexact=member["email"]).first())


# --- the steps ------------------------------------------------------------------------------------


@router.post("/files/{file_id}/steps/{kind}", description=steps_description(),
             summary="Take a step of the review",
             response=_answers({200: GuichetFile}, 403, 404, 409, 422))
def take_step(request: HttpRequest, file_id: FileId, kind: GuichetStepKind,
              payload: GuichetStepIn) -> Status[GuichetFile | GuichetRefusal]:
    application = get_file(request.user, file_id)  # 404 first: nothing said of a file not seen
    step = str(kind.value)
    try:
        case = act(file_id, request.user, step, payload.data, seen=payload.seq, request=request)
    except PermissionDenied:
        return _step_refused(request, application, step, "permission", 403, _(
            "The procedure gives this step to a role you do not hold on this file."))
    except Conflict:
        application.refresh_from_db()
        _step_refused(request, application, step, "conflict", 409, "")
        return _conflict(payload.seq, application)
    except Incomplete as exc:
        return _step_refused(request, application, step, "incomplete", 422,
                             _("The file is incomplete: add what is missing, then submit it."),
                             missing=exc.items)
    except ProcedureError as exc:
        said = refusal(exc)
        lacking = _needs_missing(application, step, payload.data) if said.code == "missing" else []
        return _step_refused(request, application, step, said.code, 422, said.message,
                             missing=lacking)
    application.refresh_from_db()
    return Status(200, _file_out(application, request.user, case))


def _step_refused(request: HttpRequest, application: Application, step: str, why: str,
                  status: int, detail: str, **more: Any) -> Status[Any]:
    record(Action.GUICHET_REFUSED, application, request=request, step=step, reason=why, via="api")
    return _refused(status, detail, **more)


def _needs_missing(application: Application, kind: str, data: dict[str, Any]) -> list[str]:
    """Every need of the step that the data leaves out or blank (the engine names the first)."""
    proc = PROCEDURES.get(application.procedure)
    step = proc.steps.get(kind) if proc else None
    if step is None:
        return []
    return [key for key in step.needs if key not in FROM_THE_FILE.get(kind, ())
            and (data.get(key) is None or (isinstance(data[key], str) and not data[key].strip()))]


# --- timeline, messages, attachments --------------------------------------------------------------


@router.get("/files/{file_id}/timeline", response=_answers({200: list[GuichetEvent]}, 404))
def timeline(request: HttpRequest, file_id: FileId) -> list[GuichetEvent]:
    """Every step stored, in order: who (the role; the person, for the staff of the review),
    when, what, the stage before and after."""
    application = get_file(request.user, file_id)
    staff = allowed(request.user, P.READ_NOTES, application)
    proc = PROCEDURES.get(application.procedure)
    events = ApplicationEvent.objects.filter(application=application).select_related("actor")
    return [GuichetEvent(
        seq=e.seq, kind=e.kind,
        what=what(proc.steps[e.kind].what) if proc and e.kind in proc.steps else e.kind,
        at=e.at, role=e.role,
        actor=display_name(e.actor) if staff and e.actor is not None else None,
        data={k: _iso(v) for k, v in (e.data or {}).items()},
        stage_before=e.stage_before, stage_after=e.stage_after,
        stage_after_label=stage(e.stage_after)) for e in events.order_by("seq")]


def _message_out(m: Message) -> GuichetMessage:
    return GuichetMessage(id=m.pk, author=display_name(m.author), body=m.body,
                          internal=m.internal, at=m.at)


@router.get("/files/{file_id}/messages", response=_answers({200: list[GuichetMessage]}, 404))
def messages(request: HttpRequest, file_id: FileId) -> list[GuichetMessage]:
    """The file's thread; internal notes too for the staff of the review."""
    application = get_file(request.user, file_id)
    found = application.messages.select_related("author")
    if not allowed(request.user, P.READ_NOTES, application):
        found = found.filter(internal=False)
    return [_message_out(m) for m in found.order_by("at", "id")]


@router.post("/files/{file_id}/messages",
             response=_answers({201: GuichetMessage}, 403, 404, 422))
def write_message(request: HttpRequest, file_id: FileId,
                  payload: GuichetMessageIn) -> Status[GuichetMessage | GuichetRefusal]:
    """Write to the file's thread (the applicant's side and the secretariat, who are told by
    e-mail, as on the file page) or, `internal`, a note for the staff of the review (never
    mailed)."""
    permission: Permission = P.WRITE_NOTE if payload.internal else P.MESSAGE
    try:
        application = get_file(request.user, file_id, permission)
    except PermissionDenied:
        return _forbidden()
    body = payload.body.strip()
    if not body:
        return _refused(422, _("The message is empty."), fields={"body": [_("Write something.")]})
    if not payload.internal and application.received is None:
        return _refused(422, _("Messages open once the file is submitted."))
    with transaction.atomic():
        written = Message.objects.create(application=application, author=request.user,
                                         body=body, internal=payload.internal)
        record(Action.GUICHET_NOTE if payload.internal else Action.GUICHET_MESSAGE, application,
               request=request, message=written.pk, via="api")
        if not payload.internal:
            _tell_the_other_side(application, request.user)
    return Status(201, _message_out(written))


def _tell_the_other_side(application: Application, writer: Any) -> None:
    """As the file page does (`file_views`): the staff's message to the applicant and their
    team, the applicant's to the secretariat; the mail says there is one, not what it says."""
    staff = FileRole.APPLICANT not in roles_on(writer, application)
    if staff:
        people: Any = [application.applicant, *(m.user for m in application.team.all()
                                                if m.user is not None)]
    else:
        people = get_user_model().objects.filter(groups__name=str(StaffRole.SECRETARIAT),
                                                 is_active=True)
    notify(people, "guichet_message", {"application": application,
                                       "writer": display_name(writer), "to_staff": not staff},
           actor=writer)


def _attachment_out(a: Attachment) -> GuichetAttachment:
    return GuichetAttachment(id=a.pk, kind=a.kind, name=a.name, content_type=a.content_type,
                             size=a.size, sha256=a.sha256, uploaded=a.uploaded)


@router.get("/files/{file_id}/attachments", response=_answers({200: list[GuichetAttachment]}, 404))
def attachments(request: HttpRequest, file_id: FileId) -> list[GuichetAttachment]:
    application = get_file(request.user, file_id)
    return [_attachment_out(a) for a in application.attachments.order_by("kind", "id")]


@router.post("/files/{file_id}/attachments",
             response=_answers({201: GuichetAttachment}, 403, 404, 422))
def attach(request: HttpRequest, file_id: FileId,
           kind: Form[GuichetAttachmentKindName],
           file: File[UploadedFile]) -> Status[GuichetAttachment | GuichetRefusal]:
    """Attach a document while the file is with the applicant: PDF or office formats only,
    checked by their content, up to the size limit; a refusal says why in the request's
    language."""
    try:
        application = get_file(request.user, file_id, P.EDIT)
    except PermissionDenied:
        return _forbidden()
    try:
        document = check_document(file.name or "", file, settings.HYGIE_ATTACHMENT_MAX_BYTES)
    except DocumentRefused as refused:
        return _refused(422, refused.message, code=refused.code)
    with transaction.atomic():
        attachment = Attachment.objects.create(
            application=application, kind=str(kind.value),
            file=DjangoFile(file, name=document.safe_name), name=document.safe_name,
            content_type=document.content_type, size=document.size, sha256=document.sha256,
            uploaded_by=request.user)
        record(Action.GUICHET_ATTACHED, application, request=request, attachment=attachment.pk,
               kind=attachment.kind, name=attachment.name, sha256=document.sha256, via="api")
    return Status(201, _attachment_out(attachment))


@router.delete("/files/{file_id}/attachments/{attachment_id}",
               response=_answers({204: None}, 403, 404))
def detach(request: HttpRequest, file_id: FileId,
           attachment_id: AttachmentId) -> Status[GuichetRefusal | None]:
    """Remove a document while the file is with the applicant."""
    try:
        application = get_file(request.user, file_id, P.EDIT)
    except PermissionDenied:
        return _forbidden()
    attachment = application.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        return _refused(404, _("No such attachment."))
    stored = attachment.file
    with transaction.atomic():
        record(Action.GUICHET_DETACHED, application, request=request, attachment=attachment.pk,
               kind=attachment.kind, name=attachment.name, sha256=attachment.sha256, via="api")
        attachment.delete()
        transaction.on_commit(lambda: stored.delete(save=False))
    return Status(204, None)
