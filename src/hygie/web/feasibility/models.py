"""Before applying: saved cohorts with their feasibility counts, and questions to data holders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.web.catalogue.models import Dataset


class SavedCohort(models.Model):
    """A cohort definition (the targeting language, YAML) an applicant keeps for an application."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="cohorts")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="cohorts",
                                verbose_name=_("dataset"))
    name = models.CharField(_("name"), max_length=200)
    definition = models.TextField(_("definition (YAML)"))
    # The last feasibility counts, as released: [[label, mark], ...]; never raw counts.
    counts = models.JSONField(default=list, blank=True)
    counted = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]
        verbose_name = _("saved cohort")

    def __str__(self) -> str:
        return self.name


class Enquiry(models.Model):
    """A thread of questions to a dataset's holder, before applying."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="enquiries")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="enquiries")
    subject = models.CharField(_("subject"), max_length=200)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("enquiry")

    def __str__(self) -> str:
        return self.subject


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
