"""Members' scripts as background jobs (django-tasks, queue "runs").

A run is queued by a member (`start`, audited), claimed by the worker (queued -> running), run by
`hygie.workspace.jobs.run` in the sandbox the deployment names (HYGIE_JOB_SANDBOX) within its
limits (HYGIE_JOB_SECONDS, HYGIE_JOB_MEMORY_MB), and finished with its outcome and the end of its
output (audited). The worker checks the workspace again before it starts: a run queued before a
suspension never starts after it.

A worker that dies leaves its run "running": the core kills a job at its time limit, so a run
still running well past it has no worker any more; `settle_overdue` marks it failed.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_tasks import TaskContext, task

from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.workspaces.access import closed
from hygie.web.workspaces.models import Run, RunState, Workspace
from hygie.workspace.jobs import JobLimits, sandbox_available
from hygie.workspace.jobs import run as run_job
from hygie.workspace.layout import WorkspaceError

logger = logging.getLogger(__name__)
LOG_EXCERPT = 20 * 1024  # bytes of the end of a run's output kept for its page
ACTIVE_PER_WORKSPACE = 3  # runs queued or running at once in one workspace
OVERDUE_MARGIN = dt.timedelta(minutes=10)


class RunRefused(Exception):
    """The run cannot be queued; `code` says why (the page words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def limits() -> JobLimits:
    return JobLimits(seconds=settings.HYGIE_JOB_SECONDS, memory_mb=settings.HYGIE_JOB_MEMORY_MB)


def settle_overdue(workspace: Workspace, now: dt.datetime | None = None) -> int:
    """Mark failed the runs of `workspace` still running past their time limit (their worker
    died); how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=settings.HYGIE_JOB_SECONDS) \
        - OVERDUE_MARGIN
    return Run.objects.filter(workspace=workspace, state=RunState.RUNNING,
                              started__lt=cutoff).update(
        state=RunState.FAILED, error="lost", finished=timezone.now())


def start(workspace: Workspace, script: str, user: Any, request: HttpRequest | None = None
          ) -> Run:
    """Queue a run of `script` (a path under the members' files) for `user`, a member the
    caller let in."""
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().select_related("application").get(
            pk=workspace.pk)
        if closed(locked):
            raise RunRefused("closed")
        if locked.layout.current() is None:
            raise RunRefused("no_extract")
        settle_overdue(locked)
        if Run.objects.filter(workspace=locked, state__in=(RunState.QUEUED, RunState.RUNNING)
                              ).count() >= ACTIVE_PER_WORKSPACE:
            raise RunRefused("busy")
        run = Run.objects.create(workspace=locked, script=script, requested_by=user)
        record(Action.WORKSPACE_JOB_QUEUED, locked, actor=user, request=request, run=run.pk,
               script=script)
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    result = run_script.enqueue(run_id)
    Run.objects.filter(pk=run_id, state=RunState.QUEUED).update(task=str(result.id))


def _claim(run_id: int, job: str) -> Run | None:
    with transaction.atomic():
        run = (Run.objects.select_for_update().select_related("workspace__application")
               .filter(pk=run_id, state=RunState.QUEUED).first())
        if run is None:
            return None
        run.state, run.task, run.started = RunState.RUNNING, job, timezone.now()
        run.save(update_fields=["state", "task", "started"])
    return run


def _finish(run: Run, job: str, state: str, *, returncode: int | None = None, log: str = "",
            error: str = "", seconds: float | None = None) -> None:
    with transaction.atomic():
        updated = Run.objects.filter(pk=run.pk, task=job, state=RunState.RUNNING).update(
            state=state, returncode=returncode, log=log, error=error, finished=timezone.now())
        if updated:
            record(Action.WORKSPACE_JOB_FINISHED, run.workspace, actor=None, run=run.pk,
                   script=run.script, state=state, returncode=returncode, error=error,
                   seconds=None if seconds is None else round(seconds, 1))


def excerpt(data: bytes) -> str:
    """The end of an output as text a database column holds (no NUL, bad UTF-8 replaced)."""
    tail = data[-LOG_EXCERPT:]
    text = tail.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return ("[…]\n" + text) if len(data) > LOG_EXCERPT else text


@task(queue_name="runs", takes_context=True)
def run_script(context: TaskContext, run_id: int) -> str:
    job = str(context.task_result.id)
    run = _claim(run_id, job)
    if run is None:
        return "void"
    workspace = run.workspace
    if closed(workspace):  # suspended or ended since it was queued: it does not start
        _finish(run, job, str(RunState.FAILED), error="closed")
        return "refused"
    sandbox = settings.HYGIE_JOB_SANDBOX
    if sandbox != "none" and not sandbox_available():
        _finish(run, job, str(RunState.FAILED), error="sandbox")
        return "refused"
    try:
        outcome = run_job(workspace.layout, run.script, run.job, sandbox=sandbox,
                          limits=limits())
    except WorkspaceError:
        _finish(run, job, str(RunState.FAILED), error="script")
        return "refused"
    except Exception:
        logger.exception("run %s failed to start", run_id)
        _finish(run, job, str(RunState.FAILED), error="crashed")
        raise
    _finish(run, job, outcome.reason, returncode=outcome.returncode,
            log=excerpt(outcome.log.read_bytes()), seconds=outcome.seconds)
    return outcome.reason
