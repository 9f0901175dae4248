"""Who may enter a workspace: the one place that says it.

The members are the people of the file (its applicant, and its team members linked to an
account). A member enters while the file's authorisation is in force (its stage, read at each
request, in `lifecycle.IN_FORCE`), the workspace is open, and their session passed a second
factor (django-otp). While the first extract is being made, only the status page opens.

Anyone else gets 404, the answer a workspace that does not exist gives, so that nobody learns
which projects have one. A member is told more: that access is closed and why (the file's
stage, which they can read on the file anyway), or that a second factor is needed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from hygie.web.workspaces.lifecycle import IN_FORCE
from hygie.web.workspaces.models import State, Workspace


class Door(StrEnum):
    OPEN = "open"
    PROVISIONING = "provisioning"  # the status page only: no extract yet
    SECOND_FACTOR = "second_factor"  # a member whose session has not passed a second factor
    CLOSED = "closed"  # a member; the authorisation is not in force, or the workspace closed
    NOT_MEMBER = "not_member"


CLOSED_STATES = frozenset({State.SUSPENDED, State.CLOSED, State.DELETED})


def members(workspace: Workspace) -> list[Any]:
    """The file's applicant, then its team members linked to an account (active ones only)."""
    application = workspace.application
    team = get_user_model().objects.filter(teams__application=application, is_active=True)
    people = [application.applicant] if application.applicant.is_active else []
    return people + [p for p in team.order_by("pk").distinct() if p.pk != application.applicant_id]


def is_member(user: Any, workspace: Workspace) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    application = workspace.application
    return application.applicant_id == user.pk or application.team.filter(user=user).exists()


def closed(workspace: Workspace) -> bool:
    return workspace.application.stage not in IN_FORCE or workspace.state in CLOSED_STATES


def door(user: Any, workspace: Workspace) -> Door:
    """What `user` finds at the workspace's door now."""
    if not is_member(user, workspace):
        return Door.NOT_MEMBER
    if closed(workspace):
        return Door.CLOSED
    if not user.is_verified():
        return Door.SECOND_FACTOR
    if workspace.state == State.PROVISIONING:
        return Door.PROVISIONING
    return Door.OPEN


def may_enter(user: Any, workspace: Workspace, *, status_page: bool = False) -> bool:
    """Whether `user` may see the workspace's pages (`status_page`: its status page only)."""
    found = door(user, workspace)
    return found is Door.OPEN or (status_page and found is Door.PROVISIONING)


def mine(user: Any) -> QuerySet[Workspace]:
    """The workspaces whose file names `user` (whatever their state): "My workspaces"."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Workspace.objects.none()
    return (Workspace.objects.filter(Q(application__applicant=user)
                                     | Q(application__team__user=user))
            .select_related("application").distinct().order_by("-opened", "-pk"))
