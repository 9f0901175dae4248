"""What a file's stage does to its workspace (a receiver of `guichet.signals.stage_changed`, so
in the same transaction as the step):

- a decision that authorises data (`guichet.scope.AUTHORISING`) opens the workspace, or asks for
  a new extract of the amended scope, and queues its provisioning once the step is stored;
- a suspension closes access at once, its lifting reopens it;
- revocation, expiry and withdrawal close it for good; the data are deleted after the retention
  period (`HYGIE_WORKSPACE_RETENTION_DAYS`, at most 183 days), by `delete_expired`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.guichet.models import Application
from hygie.web.guichet.scope import AUTHORISING
from hygie.web.guichet.signals import stage_changed
from hygie.web.workspaces.models import Extraction, JobState, Reason, State, Workspace

# The stages in which an authorisation is in force: an amendment under review leaves it so.
IN_FORCE = frozenset({"authorised", "amendment", "amendment_cesrees", "amendment_cnil", "granted"})
ENDED = frozenset({"revoked", "expired", "withdrawn", "refused"})


@receiver(stage_changed, dispatch_uid="workspaces.lifecycle")
def follow_stage(sender: Any, application: Application, before: str, after: str, event: Any,
                 seq: int, **kwargs: Any) -> None:
    workspace = Workspace.objects.select_for_update().filter(application=application).first()
    if event.kind in AUTHORISING:
        workspace = workspace or Workspace.objects.create(
            application=application, folder=f"{application.pk}-{secrets.token_hex(6)}")
        queue(workspace, str(Reason.AMENDMENT if workspace.extractions.exists()
                             else Reason.AUTHORISATION), seq, None)
        if workspace.state == State.SUSPENDED:
            _set(workspace, str(State.READY), event)
    elif workspace is None:
        return
    elif after == "suspended":
        _set(workspace, str(State.SUSPENDED), event)
    elif before == "suspended" and after in IN_FORCE:
        _set(workspace, str(State.READY if workspace.current_extract else State.PROVISIONING), event)
    elif after in ENDED and workspace.state not in (State.CLOSED, State.DELETED):
        workspace.closed, workspace.close_reason = event.at, after
        workspace.delete_after = event.at.date() + dt.timedelta(
            days=settings.HYGIE_WORKSPACE_RETENTION_DAYS)
        _set(workspace, str(State.CLOSED), event)


def _set(workspace: Workspace, state: str, event: Any) -> None:
    workspace.state = state
    workspace.save()
    record(Action.WORKSPACE_STATE, workspace, actor=None, state=state, step=event.kind)


def latest_authorisation(application: Application) -> tuple[int, dict[str, Any], dt.datetime]:
    """(seq, scope, when) of the last decision that authorised data on the file."""
    event = (application.events.filter(kind__in=AUTHORISING).order_by("-seq").first())
    if event is None or "authorised_scope" not in event.data:
        raise LookupError("no authorisation on this file")
    return event.seq, event.data["authorised_scope"], event.at


def queue(workspace: Workspace, reason: str, seq: int, user: Any) -> Extraction:
    """A new extraction of the workspace, its job queued when the transaction commits."""
    last = workspace.extractions.order_by("-number").first()
    extraction = Extraction.objects.create(
        workspace=workspace, number=(last.number + 1) if last else 1, reason=reason,
        authorisation_seq=seq, requested_by=user if getattr(user, "pk", None) else None)
    record(Action.WORKSPACE_EXTRACTION_QUEUED, workspace, actor=user, number=extraction.number,
           reason=str(reason))
    transaction.on_commit(lambda: _enqueue(extraction.pk))
    return extraction


def _enqueue(extraction_id: int) -> None:
    from hygie.web.workspaces.tasks import provision_workspace

    result = provision_workspace.enqueue(extraction_id)
    Extraction.objects.filter(pk=extraction_id, state=JobState.QUEUED).update(task=str(result.id))


def refresh(workspace: Workspace, user: Any) -> Extraction:
    """Extract the same authorised scope again: new data, new objections."""
    seq, _, _ = latest_authorisation(workspace.application)
    return queue(workspace, str(Reason.REFRESH), seq, user)


def delete_expired(today: dt.date | None = None) -> int:
    """Delete the data of closed workspaces past their retention; the number deleted."""
    today = today or timezone.localdate()
    done = 0
    for pk in Workspace.objects.filter(state=State.CLOSED, delete_after__lt=today).values_list(
            "pk", flat=True):
        with transaction.atomic():
            workspace = Workspace.objects.select_for_update().get(pk=pk)
            if workspace.state != State.CLOSED:
                continue
            removed = workspace.layout.delete_data()
            workspace.runs.update(log="")  # jobs' outputs may show rows: they go with the data
            workspace.state, workspace.deleted = State.DELETED, timezone.now()
            workspace.save()
            record(Action.WORKSPACE_DATA_DELETED, workspace, bytes=removed)
            done += 1
    return done
