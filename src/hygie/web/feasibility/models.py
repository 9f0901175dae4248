"""Before applying: saved cohorts with their feasibility counts, and questions to data holders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hygie.web.catalogue.models import Dataset, DatasetVersion
from hygie.web.validators import single_line


class CountState(models.TextChoices):
    """Where the last feasibility count of a cohort stands (the background job's progress)."""

    NONE = "none", _("Not counted")
    QUEUED = "queued", _("Waiting for the counting service")
    RUNNING = "running", _("Counting")
    DONE = "done", _("Counted")
    FAILED = "failed", _("Count failed")


class SavedCohort(models.Model):
    """A cohort definition (the targeting language, YAML) an applicant keeps for an application.

    Visible and editable by its owner only (see `feasibility.access`).
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="cohorts")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="cohorts",
                                verbose_name=_("dataset"))
    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    definition = models.TextField(_("definition (YAML)"))
    # The last feasibility counts, as released: [[label, mark], ...]; never raw counts.
    counts = models.JSONField(default=list, blank=True)
    counted = models.DateTimeField(null=True, blank=True)
    counted_version = models.ForeignKey(DatasetVersion, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    count_state = models.CharField(max_length=20, choices=CountState.choices,
                                   default=CountState.NONE)
    # Why the last count failed, as {"code": ..., "detail": ...}; shown translated (errors.py).
    count_error = models.JSONField(default=dict, blank=True)
    count_task = models.CharField(max_length=64, blank=True)  # the background job's id
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]
        verbose_name = _("saved cohort")
        verbose_name_plural = _("saved cohorts")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("feasibility:cohort", args=[self.pk])

    @property
    def counting(self) -> bool:
        return self.count_state in (CountState.QUEUED, CountState.RUNNING)


class Enquiry(models.Model):
    """A thread of questions to a dataset's holder, before applying."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="enquiries")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="enquiries")
    subject = models.CharField(_("subject"), max_length=200, validators=[single_line])
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("enquiry")
        verbose_name_plural = _("enquiries")

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("feasibility:enquiry", args=[self.pk])


class Message(models.Model):
    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField(_("message"), max_length=5000)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class CountCharge(models.Model):
    """One feasibility count asked for: the ledger the budget is read from (`budget`).

    Kept when the cohort is deleted (deleting it must not give the count back). `shape` and
    `variant` are hashes of the definition without and with its codes.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    cohort = models.ForeignKey(SavedCohort, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    shape = models.CharField(max_length=64)
    variant = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "shape"])]
