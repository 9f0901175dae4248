"""Provisioning as a background job (django-tasks, queue "workspaces").

The job owns its extraction while it runs (queued -> running -> done or failed), says it is alive
every few seconds (`heartbeat`), and stores its outcome only if it still owns it. A worker killed
mid-job leaves the extraction running with a stale heartbeat: `resume_stale` (run by the calendar
process and `hygie manage workspaces`) queues it again, and the core adopts or rewrites the extract
(`hygie.workspace.provision`): nothing half-written is ever current.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django_tasks import TaskContext, task

from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.workspaces.models import Extraction, JobState, State

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10
STALE_AFTER = dt.timedelta(minutes=2)


class ProvisioningError(Exception):
    """The authorised scope cannot be extracted; the message says why, to the people."""


def _claim(extraction_id: int, job: str) -> Extraction | None:
    with transaction.atomic():
        extraction = (Extraction.objects.select_for_update()
                      .select_related("workspace__application").filter(pk=extraction_id).first())
        if extraction is None or extraction.state != JobState.QUEUED:
            return None
        extraction.state, extraction.task = JobState.RUNNING, job
        extraction.started = extraction.heartbeat = timezone.now()
        extraction.attempts += 1
        extraction.save()
    return extraction


def _say(extraction_id: int, job: str, progress: str = "") -> None:
    fields: dict[str, Any] = {"heartbeat": timezone.now()}
    if progress:
        fields["progress"] = progress[:200]
    Extraction.objects.filter(pk=extraction_id, task=job, state=JobState.RUNNING).update(**fields)


def _finish(extraction_id: int, job: str, provenance: dict[str, Any] | None,
            error: str = "") -> None:
    with transaction.atomic():
        extraction = (Extraction.objects.select_for_update().select_related("workspace")
                      .filter(pk=extraction_id, task=job, state=JobState.RUNNING).first())
        if extraction is None:
            return  # taken over by a resumed job meanwhile
        extraction.finished = timezone.now()
        workspace = extraction.workspace
        if provenance is not None:
            extraction.state, extraction.provenance = JobState.DONE, provenance
            extraction.progress = ""
            workspace.current_extract = max(workspace.current_extract, extraction.number)
            if workspace.state == State.PROVISIONING:
                workspace.state = State.READY
            workspace.save()
            record(Action.WORKSPACE_PROVISIONED, workspace, number=extraction.number,
                   people=provenance.get("released_people"),
                   opposed=provenance.get("opposed_people_dropped"))
        else:
            extraction.state, extraction.error = JobState.FAILED, error[:500]
            record(Action.WORKSPACE_PROVISIONING_FAILED, workspace, number=extraction.number,
                   reason=error[:200])
        extraction.save()


@task(queue_name="workspaces", takes_context=True)
def provision_workspace(context: TaskContext, extraction_id: int) -> str:
    job = str(context.task_result.id)
    extraction = _claim(extraction_id, job)
    if extraction is None:
        return "void"
    alive = threading.Event()

    def beat() -> None:
        while not alive.wait(HEARTBEAT_SECONDS):
            _say(extraction_id, job)
        close_old_connections()

    beating = threading.Thread(target=beat, daemon=True)
    beating.start()
    try:
        provenance = run_extraction(extraction, lambda text: _say(extraction_id, job, text))
    except ProvisioningError as exc:
        _finish(extraction_id, job, None, str(exc))
        return "failed"
    except Exception as exc:
        logger.exception("provisioning of extraction %s failed", extraction_id)
        _finish(extraction_id, job, None, f"the extraction failed ({type(exc).__name__})")
        raise
    finally:
        alive.set()
        beating.join()
    _finish(extraction_id, job, provenance)
    return "done"


def run_extraction(extraction: Extraction, progress: Any) -> dict[str, Any]:
    """Extract the scope frozen in the extraction's authorisation event, as the core does."""
    from hygie.engine.lake import Dataset, LakeError
    from hygie.extract.scope import ScopeError
    from hygie.pseudo.keys import SecretError, load_secret
    from hygie.web.feasibility.counting import ensure_register
    from hygie.web.workspaces.authorised import authorised_scope
    from hygie.workspace.provision import provision

    workspace = extraction.workspace
    application = workspace.application
    authorised, dataset_version = authorised_scope(application, extraction.authorisation_seq)
    try:
        secret = load_secret()
    except SecretError:
        raise ProvisioningError("the platform has no master secret") from None
    try:
        dataset = Dataset.open(dataset_version.lake_path)
    except LakeError as exc:
        raise ProvisioningError(f"the dataset cannot be read: {exc}") from None
    register = ensure_register(settings.HYGIE_OPPOSITION_REGISTER)
    provenance = {
        "application": application.reference,
        "authorisation_seq": extraction.authorisation_seq,
        "dataset": {"slug": dataset_version.dataset.slug, "version": dataset_version.number},
        "reason": extraction.reason,
    }
    try:
        return provision(workspace.layout, extraction.number, authorised, dataset, secret=secret,
                         register=register, provenance=provenance, progress=progress)
    except ScopeError as exc:
        raise ProvisioningError(str(exc)) from None


def resume_stale(now: dt.datetime | None = None) -> int:
    """Queue again the extractions whose job died (no heartbeat for STALE_AFTER)."""
    from hygie.web.workspaces.lifecycle import _enqueue

    now = now or timezone.now()
    resumed = 0
    for extraction in Extraction.objects.filter(state=JobState.RUNNING,
                                                heartbeat__lt=now - STALE_AFTER):
        updated = Extraction.objects.filter(pk=extraction.pk, state=JobState.RUNNING,
                                            task=extraction.task).update(
            state=JobState.QUEUED, task="", progress="")
        if updated:
            record(Action.WORKSPACE_EXTRACTION_RESUMED, extraction.workspace,
                   number=extraction.number)
            _enqueue(extraction.pk)
            resumed += 1
    return resumed
