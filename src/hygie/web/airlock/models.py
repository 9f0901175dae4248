"""Release requests, their files (copies taken when submitted, with their checks) and reviews.

A request belongs to a workspace and moves through rounds (`review`): each round has its own
files, and a file is never changed once stored (a replaced file is a new row of the next round).
Reviews are kept, round by round, as the history of the request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hygie.web.airlock import review
from hygie.web.guichet.models import Result
from hygie.web.validators import single_line
from hygie.web.workspaces.models import Workspace


class Status(models.TextChoices):
    REVIEW = review.Status.REVIEW.value, _("awaiting review")
    CHANGES = review.Status.CHANGES.value, _("changes requested")
    APPROVED = review.Status.APPROVED.value, _("approved")
    REJECTED = review.Status.REJECTED.value, _("rejected")


class Decision(models.TextChoices):
    APPROVE = review.Decision.APPROVE.value, _("Approve the release")
    CHANGES = review.Decision.CHANGES.value, _("Ask for changes")
    REJECT = review.Decision.REJECT.value, _("Reject the request")


class ReleaseRequest(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT,
                                  related_name="release_requests", verbose_name=_("workspace"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("requested by"))
    title = models.CharField(_("title"), max_length=200, validators=[single_line])
    purpose = models.TextField(_("what it is for"), max_length=4000)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.REVIEW, db_index=True)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    created = models.DateTimeField(_("requested"), auto_now_add=True)
    submitted = models.DateTimeField(_("files submitted"))  # the current round's: queue order
    decided = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("release request")
        verbose_name_plural = _("release requests")
        constraints = [models.CheckConstraint(condition=Q(round__gte=1),
                                              name="airlock_round_from_one")]

    def __str__(self) -> str:
        return f"{self.workspace.application.reference} release {self.pk}: {self.title}"

    @property
    def final(self) -> bool:
        return self.status in review.FINAL


class ReleaseFile(models.Model):
    """A file of a round: the copy under HYGIE_AIRLOCK (`stored`, with its sha256) is what was
    checked, what checkers read and what may leave."""

    request = models.ForeignKey(ReleaseRequest, on_delete=models.PROTECT, related_name="files")
    round = models.PositiveSmallIntegerField(_("round"))
    name = models.CharField(_("file"), max_length=300)  # its path under the workspace's outputs/
    stored = models.CharField(max_length=400)  # under HYGIE_AIRLOCK
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField("SHA-256", max_length=64)
    # What the requester declared of a table (hygie.airlock.Declared), and the sidecar's copy.
    counts = models.JSONField(_("count columns"), default=list, blank=True)
    keys = models.JSONField(_("key columns"), default=list, blank=True)
    sidecar_name = models.CharField(_("sidecar"), max_length=300, blank=True)
    sidecar_stored = models.CharField(max_length=400, blank=True)
    sidecar_sha256 = models.CharField(max_length=64, blank=True)
    report = models.JSONField(_("automatic checks"))  # hygie.airlock.Report.to_dict()
    blocking = models.BooleanField(_("blocking finding"))
    # When the copy was deleted with the workspace's data (`retention`): every file but those
    # released; sidecars always go.
    removed = models.DateTimeField(_("copy deleted"), null=True, blank=True)
    # Set when a member publishes the approved file as a result in the register.
    result = models.OneToOneField(Result, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="airlock_file", verbose_name=_("result"))

    class Meta:
        ordering = ["round", "id"]
        verbose_name = _("released file")
        verbose_name_plural = _("released files")
        constraints = [models.UniqueConstraint(fields=["request", "round", "name"],
                                               name="airlock_file_once_per_round")]

    def __str__(self) -> str:
        return self.name

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]


class Review(models.Model):
    request = models.ForeignKey(ReleaseRequest, on_delete=models.PROTECT, related_name="reviews")
    round = models.PositiveSmallIntegerField(_("round"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("output checker"))
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    comment = models.TextField(_("comment"), max_length=4000, blank=True)
    at = models.DateTimeField(_("reviewed"), auto_now_add=True)

    class Meta:
        ordering = ["round", "at", "id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            # Never the same person twice in a round, whatever the code above does.
            models.UniqueConstraint(fields=["request", "round", "reviewer"],
                                    name="airlock_one_review_per_round"),
            models.CheckConstraint(condition=Q(decision=review.Decision.APPROVE.value)
                                   | ~Q(comment=""), name="airlock_reason_unless_approved"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} round {self.round}: {self.decision}"
