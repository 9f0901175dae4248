"""Dataset statistics as a background job (django-tasks, queue "statistics").

`request_statistics(version)` resets the version's `Statistics` row to "queued" and, once the
caller's transaction commits, enqueues `compute_statistics`. The worker (`hygie manage db_worker`)
runs `run_statistics`, which measures the attached lake dataset (`hygie.catalogue.stats`) and
writes progress as it goes, then the result, in one update.

One job at a time per version: each request writes a new token in the row's `task_id` (then
`token:job-id` once enqueued) and hands it to its job. A job only writes to a row that still holds
its token, so a job for older data notices at its next progress step that a newer request replaced
it, and stops without writing anything. A failed job leaves a clear error and no result; it can be
requested again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.catalogue.models import DatasetVersion, Statistics

log = logging.getLogger(__name__)
State = Statistics.State
COMMAND_PREFIX = "command-"
ENQUEUE_GRACE = timedelta(minutes=5)  # a request whose job has no id after this was never queued


class NoLakeAttached(ValueError):
    """Statistics need a lake dataset attached to the version."""


class Superseded(Exception):
    """A newer request replaced this job; it stops without writing."""


def request_statistics(version: DatasetVersion, *, actor: Any = None,
                       request: HttpRequest | None = None, via: str = "",
                       token: str | None = None, keep_figures: bool = False) -> Statistics:
    """Queue the statistics of a version (audited); the job is enqueued when the caller's
    transaction commits, so a rolled-back request leaves no job behind. With `token`, nothing is
    enqueued: the caller runs `run_statistics(version.pk, token)` itself. With `keep_figures`
    (a new run on the same attached data), the last figures stay published until the new ones
    replace them; attaching data never keeps them."""
    if not version.lake_path:
        raise NoLakeAttached(f"no lake dataset is attached to {version}")
    enqueue = token is None
    token = token or uuid.uuid4().hex
    with transaction.atomic():
        stats, _ = Statistics.objects.select_for_update().get_or_create(version=version)
        stats.state, stats.progress, stats.step = State.QUEUED, 0, ""
        stats.error, stats.task_id, stats.requested = "", token, timezone.now()
        if not keep_figures:
            stats.result, stats.finished = {}, None
        stats.save()
        record(Action.STATISTICS_REQUESTED, version, actor=actor, request=request,
               via=via, lake=version.lake_manifest_sha256)
        if enqueue:
            transaction.on_commit(partial(_enqueue, version.pk, token))
    return stats


def _enqueue(version_id: int, token: str) -> None:
    try:
        job = compute_statistics.enqueue(version_id, token)
    except Exception as exc:  # the request itself is committed: say so on the row
        log.exception("could not queue the statistics of version %s", version_id)
        Statistics.objects.filter(version_id=version_id, task_id=token).update(
            state=State.FAILED, error=f"the job could not be queued: {describe(exc)}",
            finished=timezone.now())
        return
    # Name the job beside the token, for `job_is_live`, unless a newer request came meanwhile.
    Statistics.objects.filter(version_id=version_id, task_id=token).update(
        task_id=f"{token}:{job.id}")


def _holding(token: str) -> Q:
    return Q(task_id=token) | Q(task_id__startswith=f"{token}:")


def job_is_live(stats: Statistics) -> bool:
    """Whether a queued or running job will still write this row (False for a job that died)."""
    if stats.state not in (State.QUEUED, State.RUNNING):
        return False
    token, _, job_id = stats.task_id.partition(":")
    if not job_id:  # being enqueued right now, or run by the management command (may have died)
        return (not token.startswith(COMMAND_PREFIX)
                and timezone.now() - stats.requested < ENQUEUE_GRACE)
    try:
        status = compute_statistics.get_result(job_id).status
    except TaskResultDoesNotExist:  # purged
        return False
    return status in (TaskResultStatus.READY, TaskResultStatus.RUNNING)


@task(queue_name="statistics")
def compute_statistics(version_id: int, token: str) -> str:
    """The background job: see `run_statistics`."""
    return run_statistics(version_id, token)


def run_statistics(version_id: int, token: str,
                   on_progress: Callable[[int, str], None] | None = None) -> str:
    """Compute and store the statistics of a version for the request `token`: "done", or
    "superseded" when a newer request took over. Errors are recorded on the row, then raised."""
    from hygie.catalogue.stats import compute
    from hygie.engine.lake import Dataset as LakeDataset
    from hygie.engine.lake import sha256_file
    from hygie.pseudo.keys import load_secret
    from hygie.sdc import CellKey

    mine = Statistics.objects.filter(_holding(token), version_id=version_id)
    if not mine.filter(state__in=[State.QUEUED, State.RUNNING]).update(
            state=State.RUNNING, progress=0, step="open"):
        log.info("statistics job %s for version %s superseded before it started", token,
                 version_id)
        return "superseded"

    def progress(percent: int, step: str) -> None:
        if not mine.update(progress=min(max(int(percent), 0), 99), step=step[:200]):
            raise Superseded
        if on_progress is not None:
            on_progress(percent, step)

    try:
        version = DatasetVersion.objects.get(pk=version_id)
        if not version.lake_path:
            raise NoLakeAttached(f"no lake dataset is attached to {version}")
        lake = LakeDataset.open(version.lake_path)
        if (version.lake_manifest_sha256
                and sha256_file(lake.path / "manifest.json") != version.lake_manifest_sha256):
            raise NoLakeAttached(f"the lake dataset at {version.lake_path} changed after it was "
                                 "attached; attach it again")
        # The cell key of feasibility counts: the same people give the same released figures
        # wherever they are counted (docs/statistical-secrecy.md).
        result = compute(lake, progress, cell_key=CellKey.from_secret(load_secret()))
    except Superseded:
        log.info("statistics job %s for version %s superseded", token, version_id)
        return "superseded"
    except Exception as exc:
        if mine.update(state=State.FAILED, error=describe(exc), step="", result={},
                       finished=timezone.now()):
            _tell_editors(version_id, "statistics_failed")
        raise
    # The whole result in one update, and only if this job still holds the row.
    if not mine.update(state=State.DONE, result=result, progress=100, step="done", error="",
                       finished=timezone.now()):
        return "superseded"
    _tell_editors(version_id, "statistics_done")
    return "done"


def _tell_editors(version_id: int, template: str) -> None:
    """The holder's editors wait for the figures (a job takes minutes on a large dataset)."""
    from hygie.web.notify import holder_editors, notify

    version = DatasetVersion.objects.select_related("dataset").filter(pk=version_id).first()
    if version is not None:
        notify(holder_editors(version.dataset.holder_id), template, {"version": version})


def describe(exc: BaseException) -> str:
    """A failure as shown to editors: our own errors say what is wrong; others name their kind."""
    from hygie.catalogue.stats import StatsError
    from hygie.engine.lake import LakeError
    from hygie.pseudo.keys import SecretError

    if isinstance(exc, SecretError):  # its text never holds the secret
        return f"statistics need the platform's secret for the cell key: {exc}"[:2000]
    if isinstance(exc, NoLakeAttached | StatsError | LakeError):
        return str(exc)[:2000]
    return f"{type(exc).__name__}: {exc}"[:2000]


def new_command_token() -> str:
    """A token for a run in the management command's own process (not a queued job)."""
    return f"{COMMAND_PREFIX}{uuid.uuid4().hex}"
