"""The airlock's copies when a workspace's data are deleted (its retention over).

A released file (an approved request's final round) is the project's result, no longer personal
data: its copy stays, for the members' record and the register. Every other copy (files under
review, asked to change, rejected, replaced by a later round) and every sidecar (individual
contributions) is workspace data, and goes with it. The rows stay, with their digests and
reports, as the history of the requests.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hygie.web.airlock import flow, storage
from hygie.web.airlock.models import ReleaseFile, Status
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.workspaces.models import State, Workspace


def released(workspace: Workspace) -> Any:
    return ReleaseFile.objects.filter(request__workspace=workspace,
                                      request__status=Status.APPROVED, round=F("request__round"))


def purge(workspace: Workspace) -> int:
    """Delete the copies that are not released (once the transaction commits); how many."""
    kept = set(released(workspace).values_list("pk", flat=True))
    files = list(ReleaseFile.objects.filter(request__workspace=workspace))
    doomed = [f.stored for f in files if f.pk not in kept and f.removed is None]
    doomed += [f.sidecar_stored for f in files if f.sidecar_stored]
    gone = [f.pk for f in files if f.pk not in kept and f.removed is None]
    if not doomed:
        return 0
    ReleaseFile.objects.filter(pk__in=gone).update(removed=timezone.now())
    ReleaseFile.objects.filter(request__workspace=workspace).update(sidecar_stored="")
    record(Action.AIRLOCK_COPIES_DELETED, workspace, copies=len(gone), kept=len(kept))
    root = flow.root()

    def remove() -> None:
        for stored in doomed:
            storage.remove(root, stored)

    transaction.on_commit(remove)
    return len(gone)


def on_workspace_saved(sender: Any, instance: Workspace, **kwargs: Any) -> None:
    """A receiver of Workspace's post_save: its data deleted, the copies follow."""
    if instance.state == State.DELETED:
        purge(instance)
