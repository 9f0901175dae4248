"""The audit trail: who did what, to which object, when. Rows are only ever added.

Each event is an entry of a hash chain (`audit.chain`): `seq` numbers them without gaps, `hash`
covers the event and the previous one's hash. `AuditHead` holds the last number and hash (the row
writers lock to take the next number); `AuditCheckpoint` says where the chain starts again after
old entries were pruned. Database triggers (migration 0005) refuse changing or deleting events
outside a pruning.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.web.audit.chain import Entry, canonical_ip, canonical_time


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(_("entry number"), unique=True)
    # Set by record() rather than auto_now_add, so that what is hashed is what is stored.
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", verbose_name=_("who"))
    # The username when recorded: it is hashed, and a later rename must not break the chain.
    actor_name = models.CharField(_("username as recorded"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("object type"), max_length=80)
    target_id = models.CharField(_("object id"), max_length=80, blank=True)
    target_repr = models.CharField(_("object"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("audit events are never changed")
        if self.seq is None or not self.hash:
            raise ValueError("audit events are added by hygie.web.audit.record.record()")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("audit events are never deleted")

    def entry(self) -> Entry:
        return entry_of(self.seq, self.at, self.actor_id, self.actor_name, self.action,
                        self.target_type, self.target_id, self.target_repr, self.detail, self.ip,
                        self.prev_hash, self.hash)


# The columns `entry_of` takes, in order: for .values_list() when walking many rows.
ENTRY_COLUMNS = ("seq", "at", "actor_id", "actor_name", "action", "target_type", "target_id",
                 "target_repr", "detail", "ip", "prev_hash", "hash")


def entry_of(seq: int, at: Any, actor_id: int | None, actor_name: str, action: str,
             target_type: str, target_id: str, target_repr: str, detail: Any, ip: Any,
             prev_hash: str, hash: str) -> Entry:
    """The chain entry of a stored row, in canonical form."""
    return Entry(seq=seq, at=canonical_time(at), actor_id=actor_id, actor=actor_name,
                 action=action, target_type=target_type, target_id=target_id,
                 target_repr=target_repr, detail=detail,
                 ip=canonical_ip(str(ip)) if ip else None, prev_hash=prev_hash, hash=hash)


class AuditHead(models.Model):
    """The chain's last entry (one row, id 1): record() takes the next number by updating it,
    which makes concurrent writers wait for each other rather than fork the chain."""

    seq = models.PositiveBigIntegerField(_("entry number"))
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit trail head")
        verbose_name_plural = _("audit trail head")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_one_row")]

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


class AuditCheckpoint(models.Model):
    """Written by `hygie audit prune` before it removes entries: the chain now starts after
    `upto_seq`, whose hash the next entry links to."""

    upto_seq = models.PositiveBigIntegerField(_("up to entry number"), unique=True)
    hash = models.CharField(_("hash"), max_length=64)
    removed = models.PositiveBigIntegerField(_("entries removed"))
    before = models.DateTimeField(_("entries older than"))
    at = models.DateTimeField(_("when"))
    by = models.CharField(_("pruned by"), max_length=150)

    class Meta:
        ordering = ["-upto_seq"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"{self.upto_seq}:{self.hash}"
