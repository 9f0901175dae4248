"""Who may do what on an access application: the one place that says it.

A person holds roles on a file (`roles_on`), from their account and from the file itself:

- the applicant who wrote it; team members named in it, with an account, read it;
- the secretariat, on every file once submitted (a draft is its author's alone);
- a CESREES member, on the files of the agenda of a session they sit in, unless they declared a
  conflict of interest on it (recusal);
- a CNIL agent, on the files that have been before the CNIL;
- a data holder's members, on the files the secretariat consulted their organisation about.

Each role grants permissions (`GRANTS`); `allowed` is the one check, and `visible` the listing
that agrees with it. A step of the procedure is taken as the role the procedure names
(`hygie.access`), so the step's role must be among the person's roles on the file.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from hygie.access import Role, procedures
from hygie.web.accounts.models import Role as StaffRole
from hygie.web.guichet.models import Application, ApplicationEvent


class Permission(StrEnum):
    VIEW = "view"  # the file, its attachments, its timeline and its messages to the applicant
    EDIT = "edit"  # the file's content and attachments, while it is with the applicant
    MESSAGE = "message"  # write to the applicant's thread
    READ_NOTES = "read_notes"  # internal notes, which the applicant never sees
    WRITE_NOTE = "write_note"
    ADD_RESULT = "add_result"  # a publication or output, once authorised
    SCHEDULE = "schedule"  # put the file on a CESREES session's agenda, name its rapporteur
    DECLARE_INTEREST = "declare_interest"


class FileRole(StrEnum):
    """Roles on a file: the procedure's, and the team's read-only one."""

    APPLICANT = Role.APPLICANT.value
    TEAM = "team"
    SECRETARIAT = Role.SECRETARIAT.value
    CESREES = Role.CESREES.value
    CNIL = Role.CNIL.value
    DATA_HOLDER = Role.DATA_HOLDER.value


P = Permission
GRANTS: dict[FileRole, frozenset[Permission]] = {
    FileRole.APPLICANT: frozenset({P.VIEW, P.EDIT, P.MESSAGE, P.ADD_RESULT}),
    FileRole.TEAM: frozenset({P.VIEW}),
    FileRole.SECRETARIAT: frozenset({P.VIEW, P.MESSAGE, P.READ_NOTES, P.WRITE_NOTE, P.ADD_RESULT,
                                     P.SCHEDULE}),
    FileRole.CESREES: frozenset({P.VIEW, P.READ_NOTES, P.WRITE_NOTE, P.DECLARE_INTEREST}),
    FileRole.CNIL: frozenset({P.VIEW, P.READ_NOTES, P.WRITE_NOTE}),
    FileRole.DATA_HOLDER: frozenset({P.VIEW}),
}
# What each permission needs of the file's stage, beyond the role.
EDITABLE_STAGES = frozenset({"draft", "incomplete"})
RESULT_STAGES = frozenset({"authorised", "amendment", "amendment_cesrees", "amendment_cnil",
                           "suspended", "expired", "revoked", "granted", "answered", "declared"})


def _has_group(user: Any, role: str) -> bool:
    return bool(user.is_active and user.has_role(str(role)))


def _stages_of(role: Role) -> dict[str, frozenset[str]]:
    """Per procedure, the stages where `role` may take a step: where the file is before it."""
    found = {}
    for name, proc in procedures().items():
        found[name] = frozenset().union(*(proc.sources_of(step) for step in proc.steps.values()
                                          if step.role == role))
    return found


def _cesrees_files(user: Any) -> QuerySet[Application]:
    return Application.objects.filter(
        agenda_items__session__members=user).exclude(
        agenda_items__interests__member=user, agenda_items__interests__conflict=True)


def _holder_slugs(user: Any) -> list[str]:
    return list(user.memberships.values_list("holder__slug", flat=True))


def roles_on(user: Any, application: Application) -> frozenset[FileRole]:
    """The roles `user` holds on `application`; remembered on the instance for its current state
    (a page asks many times), so a file re-read from the database is asked afresh."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    key = (user.pk, application.stage, application.seq)
    remembered: dict[tuple[Any, ...], frozenset[FileRole]] = application.__dict__.setdefault(
        "_roles", {})
    if key not in remembered:
        remembered[key] = _roles_on(user, application)
    return remembered[key]


def _roles_on(user: Any, application: Application) -> frozenset[FileRole]:
    roles = set()
    if application.applicant_id == user.pk:
        roles.add(FileRole.APPLICANT)
    if application.team.filter(user=user).exists():
        roles.add(FileRole.TEAM)
    if application.received is not None:  # submitted once: a draft, even withdrawn, is private
        if _has_group(user, str(StaffRole.SECRETARIAT)):
            roles.add(FileRole.SECRETARIAT)
        if _has_group(user, str(StaffRole.CESREES)) and _cesrees_files(user).filter(
                pk=application.pk).exists():
            roles.add(FileRole.CESREES)
        if _has_group(user, str(StaffRole.CNIL)) and application.events.filter(
                stage_after__in=_stages_of(Role.CNIL).get(application.procedure, ())).exists():
            roles.add(FileRole.CNIL)
        slugs = _holder_slugs(user)
        if slugs and _consulted(application, slugs):
            roles.add(FileRole.DATA_HOLDER)
    return frozenset(roles)


def _consulted(application: Application, slugs: list[str]) -> bool:
    return application.events.filter(kind="consult_holder", data__holder__in=slugs).exists()


def allowed(user: Any, permission: Permission, application: Application) -> bool:
    """The one check: whether `user` may do `permission` on `application` now."""
    roles = roles_on(user, application)
    if not any(permission in GRANTS[r] for r in roles):
        return False
    if permission == P.EDIT:
        return application.stage in EDITABLE_STAGES
    if permission == P.ADD_RESULT:
        return application.stage in RESULT_STAGES
    return True


def may_take(user: Any, application: Application, role: Role) -> bool:
    """Whether `user` may take a step the procedure gives to `role` (never the calendar's)."""
    return role != Role.CALENDAR and role.value in roles_on(user, application)


def visible(user: Any) -> QuerySet[Application]:
    """The files `user` may view: the listing that agrees with `allowed(user, VIEW, ...)`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Application.objects.none()
    mine = Q(applicant=user) | Q(team__user=user)
    submitted = Q(received__isnull=False)
    if _has_group(user, str(StaffRole.SECRETARIAT)):
        mine |= submitted
    if _has_group(user, str(StaffRole.CESREES)):
        mine |= submitted & Q(pk__in=_cesrees_files(user).values("pk"))
    if _has_group(user, str(StaffRole.CNIL)):
        for name, stages in _stages_of(Role.CNIL).items():
            seen = ApplicationEvent.objects.filter(stage_after__in=stages).values("application")
            mine |= Q(procedure=name, pk__in=seen)
    slugs = _holder_slugs(user)
    if slugs:
        consulted = ApplicationEvent.objects.filter(kind="consult_holder",
                                                    data__holder__in=slugs).values("application")
        mine |= submitted & Q(pk__in=consulted)
    return Application.objects.filter(mine).distinct()


def get_file(user: Any, pk: int, permission: Permission = P.VIEW) -> Application:
    """The file, if `user` may do `permission` on it; 404 otherwise, so that a file one may not
    see cannot be told from one that does not exist (no IDOR)."""
    application = Application.objects.filter(pk=pk).first()
    if application is None or not allowed(user, P.VIEW, application):
        raise Http404
    if permission != P.VIEW and not allowed(user, permission, application):
        raise PermissionDenied
    return application
