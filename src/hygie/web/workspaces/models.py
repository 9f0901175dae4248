"""A project's workspace (one per authorised file) and its extractions.

The files live on disk (`hygie.workspace.layout`, under HYGIE_WORKSPACES); the database says who
may enter, which extract is current, and what each extraction did. Access follows the file's
stage, read at each request (`access.py`): the state here records what the platform did about it
(closed, data deleted), for the people and the audit.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.web.guichet.models import Application
from hygie.workspace.layout import Layout


class State(models.TextChoices):
    PROVISIONING = "provisioning", _("being provisioned")
    READY = "ready", _("open")
    SUSPENDED = "suspended", _("suspended")
    CLOSED = "closed", _("closed")
    DELETED = "deleted", _("data deleted")


class Workspace(models.Model):
    application = models.OneToOneField(Application, on_delete=models.PROTECT,
                                       related_name="workspace", verbose_name=_("application"))
    folder = models.CharField(max_length=100, unique=True)  # under HYGIE_WORKSPACES
    state = models.CharField(_("state"), max_length=20, choices=State.choices,
                             default=State.PROVISIONING)
    current_extract = models.PositiveIntegerField(default=0)  # 0: none ready yet
    opened = models.DateTimeField(_("opened"), auto_now_add=True)
    closed = models.DateTimeField(_("closed"), null=True, blank=True)
    close_reason = models.CharField(max_length=40, blank=True)  # the file's stage
    delete_after = models.DateField(_("data deleted after"), null=True, blank=True)
    deleted = models.DateTimeField(_("data deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")

    def __str__(self) -> str:
        return f"{self.application.reference} workspace"

    @property
    def layout(self) -> Layout:
        return Layout(Path(settings.HYGIE_WORKSPACES) / self.folder)


class Reason(models.TextChoices):
    AUTHORISATION = "authorisation", _("authorisation")
    AMENDMENT = "amendment", _("amendment")
    REFRESH = "refresh", _("refresh (new data or new objections)")


class JobState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class Extraction(models.Model):
    """One provisioning of the workspace: extract `number`, from the scope frozen in the file's
    event `authorisation_seq`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="extractions")
    number = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    authorisation_seq = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    task = models.CharField(max_length=64, blank=True)  # the job that owns it now
    attempts = models.PositiveSmallIntegerField(default=0)
    progress = models.CharField(max_length=200, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)  # a running job says it is alive
    requested = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    provenance = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["workspace", "number"]
        constraints = [models.UniqueConstraint(fields=["workspace", "number"],
                                               name="one_extraction_per_number")]

    def __str__(self) -> str:
        return f"{self.workspace} extract {self.number}"


class RunState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    TIMEOUT = "timeout", _("stopped at the time limit")
    MEMORY = "memory", _("stopped at the memory limit")


class Run(models.Model):
    """A member's script run as a job (`runs.py`, queue "runs"), confined to the workspace by
    `hygie.workspace.jobs`. Its output lives in jobs/run-<id>/log.txt; `log` keeps the end of it
    for the page. That output is the member's own inside the workspace (it may show rows): the
    workspace's pages show it to members only, the admin never does, and no view serves it as a
    file."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="runs")
    script = models.CharField(_("script"), max_length=200)  # a path under the members' files
    state = models.CharField(_("state"), max_length=20, choices=RunState.choices,
                             default=RunState.QUEUED)
    task = models.CharField(max_length=64, blank=True)  # the background job that owns it
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("requested by"))
    requested = models.DateTimeField(_("requested"), auto_now_add=True)
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    returncode = models.IntegerField(_("exit code"), null=True, blank=True)
    error = models.CharField(max_length=40, blank=True)  # why the platform did not run it
    log = models.TextField(blank=True)  # the end of the output: members only

    class Meta:
        ordering = ["-requested", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"{self.workspace} job {self.pk} ({self.script})"

    @property
    def job(self) -> str:
        """Its folder under the workspace's jobs/."""
        return f"run-{self.pk}"

    @property
    def active(self) -> bool:
        return self.state in (RunState.QUEUED, RunState.RUNNING)
