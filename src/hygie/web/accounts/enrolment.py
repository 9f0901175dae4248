"""Invitations to enrol a second factor.

Enrolling an authenticator on the password alone would let whoever learnt a new staff member's
password bind their own device first. So enrolment takes two things: the password (or the
organisation's sign-in) and an invitation link that an administrator sends to the person's
address.

An invitation is a row (`Invitation`) holding the hash of a random token, not a signature over
the account's state: a signed link that only checked "has no confirmed device" came back to life
when a lost device was deleted, and with the password bound a new authenticator for three days.
Here an invitation is good for one enrolment, then used for good; it expires after
PASSWORD_RESET_TIMEOUT (three days by default) and is revoked when a newer one is issued, when the
person's device is reset, or when their address changes. Opening the link grants the browser
session one hour to sign in and enrol, and only while the invitation stays live. Every issue,
use, revocation and refusal is in the audit trail.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from hygie.web.accounts.models import Invitation
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.notify import notify

GRANT = "hygie_enrolment_grant"  # session key: {"user": pk, "invitation": pk, "until": ISO time}
GRANT_LIFETIME = timedelta(hours=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime() -> timedelta:
    return timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def revoke(user: Any, reason: str, *, actor: Any = None,
           request: HttpRequest | None = None) -> int:
    """Revoke `user`'s live invitations; how many there were."""
    count = Invitation.objects.filter(user=user, used_at=None, revoked_at=None,
                                      expires_at__gt=timezone.now()).update(
        revoked_at=timezone.now())
    if count:
        record(Action.ENROLMENT_INVITATION_REVOKED, user, actor=actor, request=request,
               reason=reason, count=count)
    return count


def issue(user: Any, *, actor: Any = None, request: HttpRequest | None = None,
          via: str = "e-mail") -> str:
    """A new invitation for `user` (older ones revoked); the path of its link."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        revoke(user, "superseded", actor=actor, request=request)
        # A key shown under an earlier invitation is not carried over: enrolment starts afresh.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        invitation = Invitation.objects.create(user=user, digest=_digest(token), email=user.email,
                                               expires_at=timezone.now() + lifetime())
        record(Action.ENROLMENT_INVITED, user, actor=actor, request=request, via=via,
               invitation=invitation.pk)
    return reverse("accounts:enrol", args=[token])


def invitation_path(user: Any) -> str:
    """Issue an invitation without sending it (tests, `invite_enrolment --print`)."""
    return issue(user, via="link")


def invite(user: Any, *, actor: Any = None, request: HttpRequest | None = None) -> bool:
    """E-mail `user` an invitation (after the commit); False when they have no address."""
    if not (user.is_active and user.email):
        return False
    path = issue(user, actor=actor, request=request)
    notify([user], "enrolment_invitation", {"user": user, "path": path,
                                            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600})
    return True


def why_dead(invitation: Invitation | None) -> str | None:
    """Why an invitation cannot be used ("unknown", "used", ...), or None while it is live."""
    if invitation is None:
        return "unknown"
    user = invitation.user
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= timezone.now():
        return "expired"
    if not user.is_active:
        return "inactive"
    if invitation.email != user.email:
        return "address changed"
    return None


def open_link(token: str) -> tuple[Invitation | None, str | None]:
    """The invitation a link names, and why it is refused (None when it may be used)."""
    invitation = (Invitation.objects.select_related("user")
                  .filter(digest=_digest(token)).first())
    return invitation, why_dead(invitation)


def grant(request: HttpRequest, invitation: Invitation) -> None:
    request.session[GRANT] = {"user": invitation.user_id, "invitation": invitation.pk,
                              "until": (timezone.now() + GRANT_LIFETIME).isoformat()}


def granted(request: HttpRequest) -> tuple[Invitation | None, str | None]:
    """The invitation this session opened for the signed-in person within the hour, and why it
    is refused (None when it may be used); (None, None) when the session opened none."""
    held = request.session.get(GRANT) or {}
    try:
        until = datetime.fromisoformat(held["until"])
    except (KeyError, TypeError, ValueError):
        return None, None
    if held.get("user") != request.user.pk or timezone.now() >= until:
        return None, None
    invitation = (Invitation.objects.select_related("user")
                  .filter(pk=held.get("invitation"), user=request.user).first())
    return invitation, why_dead(invitation)


def use(invitation: Invitation) -> bool:
    """Mark `invitation` used, once: False when it was used, revoked or expired meanwhile (a
    conditional update, so two sessions enrolling at once cannot both use it)."""
    now = timezone.now()
    return Invitation.objects.filter(pk=invitation.pk, used_at=None, revoked_at=None,
                                     expires_at__gt=now).update(used_at=now) == 1


def spend(request: HttpRequest) -> None:
    request.session.pop(GRANT, None)
