"""Invitations to enrol a second factor.

Enrolling an authenticator on the password alone would let whoever learnt a new staff member's
password bind their own device first. So enrolment takes two things: the password (or the
organisation's sign-in) and an invitation link that an administrator sends to the person's
address. Opening the link grants the browser session one hour to sign in and enrol; the link
itself stays valid for PASSWORD_RESET_TIMEOUT (three days by default) and dies once the person has
a confirmed device or changes their password or address.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from hygie.web.audit.record import record
from hygie.web.notify import notify

GRANT = "hygie_enrolment_grant"  # session key: {"user": pk, "until": ISO time}
GRANT_LIFETIME = timedelta(hours=1)


class EnrolmentTokens(PasswordResetTokenGenerator):
    key_salt = "hygie.web.accounts.enrolment"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        # Not last_login (as password resets use): the person signs in between opening the link
        # and enrolling. Enrolling, or a new password or address, voids the link.
        enrolled = user.totpdevice_set.filter(confirmed=True).exists()
        return f"{user.pk}{user.password}{user.email}{enrolled}{timestamp}"


tokens = EnrolmentTokens()


def invitation_path(user: Any) -> str:
    return reverse("accounts:enrol", args=[urlsafe_base64_encode(force_bytes(user.pk)),
                                           tokens.make_token(user)])


def invite(user: Any, *, actor: Any = None, request: HttpRequest | None = None) -> bool:
    """E-mail `user` an invitation (after the commit); False when they have no address."""
    if not (user.is_active and user.email):
        return False
    record("account.enrolment_invited", user, actor=actor, request=request, via="e-mail")
    notify([user], "enrolment_invitation", {"user": user, "path": invitation_path(user),
                                            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600})
    return True


def user_of_link(uidb64: str, token: str) -> Any:
    """The person a valid link invites, else None."""
    try:
        pk = urlsafe_base64_decode(uidb64).decode()
        user = get_user_model().objects.get(pk=pk, is_active=True)
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        return None
    return user if tokens.check_token(user, token) else None


def grant(request: HttpRequest, user: Any) -> None:
    request.session[GRANT] = {"user": user.pk,
                              "until": (timezone.now() + GRANT_LIFETIME).isoformat()}


def granted(request: HttpRequest) -> bool:
    """Whether this session opened a valid invitation for the signed-in person, within the hour."""
    held = request.session.get(GRANT) or {}
    try:
        until = datetime.fromisoformat(held["until"])
    except (KeyError, TypeError, ValueError):
        return False
    return held.get("user") == request.user.pk and timezone.now() < until


def spend(request: HttpRequest) -> None:
    request.session.pop(GRANT, None)
