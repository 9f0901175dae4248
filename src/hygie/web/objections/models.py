"""Requests from citizens: an objection, or the withdrawal of one.

A request holds the person's identity details only while it waits for the data protection
officer: once decided, they are erased and what stays is the receipt, the state, the dates, who
decided, a keyed hash of the NIR (to check a later withdrawal) and the keyed hash of the receipt
with the birth date (so that the person can still follow it). The e-mail address, given for news
of the decision, stays until that news is sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.web.validators import single_line

NAME_MAX = 100


class Kind(models.TextChoices):
    OBJECTION = "objection", _("Objection")
    WITHDRAWAL = "withdrawal", _("Withdrawal of an objection")


class State(models.TextChoices):
    RECEIVED = "received", _("Received, being examined")
    ACCEPTED = "accepted", _("Request accepted")
    REJECTED = "rejected", _("Request rejected")
    WITHDRAWN = "withdrawn", _("Objection withdrawn")  # an accepted objection, later withdrawn


class Reason(models.TextChoices):
    NOT_FOUND = "not-found", _("No person in the data matches these details.")
    AMBIGUOUS = "ambiguous", _("Several people match these details; they do not tell them apart.")
    INCONSISTENT = "inconsistent", _("The details given do not agree with each other.")
    NOT_THE_SAME = "not-the-same", _("The details do not match those of the objection.")
    NOT_IN_FORCE = "not-in-force", _("There is no objection in force to withdraw.")
    OTHER = "other", _("Another reason, given below.")


class ObjectionRequest(models.Model):
    receipt = models.CharField(_("receipt number"), max_length=16, unique=True)
    kind = models.CharField(_("request"), max_length=16, choices=Kind.choices)
    # A withdrawal names the objection it withdraws (the person follows it under that receipt).
    objection = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="withdrawals", verbose_name=_("objection"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.RECEIVED, db_index=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("decided by"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, blank=True)
    reason_text = models.TextField(_("explanation"), max_length=1000, blank=True)
    language = models.CharField(max_length=8, blank=True)  # of the pages, for the news

    # The identity details, until the decision.
    nir = models.CharField(_("social security number"), max_length=15, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.PositiveSmallIntegerField(_("sex"), null=True, blank=True)
    family_name = models.CharField(_("family name"), max_length=NAME_MAX, blank=True,
                                   validators=[single_line])
    given_names = models.CharField(_("given names"), max_length=NAME_MAX, blank=True,
                                   validators=[single_line])
    email = models.EmailField(_("e-mail address for news"), blank=True)
    erased_at = models.DateTimeField(_("identity details erased"), null=True, blank=True)

    # What stays: keyed hashes (`objections.tokens`), never reversible without the secret.
    follow_digest = models.CharField(max_length=64, blank=True, editable=False)
    nir_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("objection request")
        verbose_name_plural = _("objection requests")

    def __str__(self) -> str:
        return self.receipt  # the audit trail's description: never identity details

    @property
    def pending_withdrawal(self) -> ObjectionRequest | None:
        return self.withdrawals.filter(state=State.RECEIVED).first()

    @property
    def last_withdrawal(self) -> ObjectionRequest | None:
        return self.withdrawals.order_by("-received_at", "-id").first()
