"""Self sign-up of applicants: an inactive account, activated by a link sent to its address.

Nobody learns here whether an address already has an account: a sign-up with a known address
shows the same "check your mailbox" page, takes the same time (the password is hashed all the
same) and changes nothing; the address itself receives a message saying that someone tried, with
the way to sign in or reset the password (or, for an account still waiting for its verification,
a fresh link). Resending the verification e-mail behaves the same.

A verification link holds the account's id and a token from `VerificationTokens`, signed with
the site's secret over the account's state: it dies after PASSWORD_RESET_TIMEOUT, and once used
(the account is then active and verified, which changes the state it was signed over). Only an
account made here and never verified can be activated by one, so that an account an
administrator deactivated stays deactivated. A sign-up grants no role.

Messages go out as notifications do (`hygie.web.notify`: after the commit, from the mail queue),
in the account's language. Each address gets at most MAILS_PER_HOUR of them, so that the forms
cannot be used to flood someone's mailbox.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from hygie.web.accounts.models import User
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.notify import LANGUAGES, _render, send

MAILS_PER_HOUR = 5


class VerificationTokens(PasswordResetTokenGenerator):
    """Tokens for verification links; a salt of their own, so that a password reset token is
    not one, and the state that verifying changes (so that a token is good once)."""

    key_salt = "hygie.web.accounts.signup.VerificationTokens"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return (f"{user.pk}{user.password}{user.email}{user.is_active}"
                f"{user.email_verified_at}{timestamp}")


tokens = VerificationTokens()


def hours_valid() -> int:
    return int(settings.PASSWORD_RESET_TIMEOUT) // 3600


def languages_of(user: User | None) -> tuple[str, ...]:
    """The account's language, or French then English (as notifications)."""
    chosen = getattr(user, "language", "")
    return (chosen,) if chosen in LANGUAGES else LANGUAGES


def may_mail(address: str) -> bool:
    """Count one message to `address`; False past MAILS_PER_HOUR within the hour."""
    key = "hygie-account-mail:" + hashlib.sha256(address.lower().encode()).hexdigest()
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= MAILS_PER_HOUR
    except ValueError:  # expired between the two calls
        return cache.add(key, 1, timeout=3600)


def mail(address: str, template: str, context: dict[str, Any],
         languages: Iterable[str]) -> bool:
    """Queue `mail/<template>.txt` to `address` once the transaction commits; False when the
    address has had its share of messages this hour."""
    if not may_mail(address):
        return False
    subject, body = _render(template, {**context, "site": settings.SITE_URL}, tuple(languages))
    transaction.on_commit(lambda: send.enqueue([address], subject, body))
    return True


def account_for(email: str) -> User | None:
    """The account holding `email` (any case), or whose username it is."""
    return (User.objects.filter(email__iexact=email).first()
            or User.objects.filter(username__iexact=email).first())


def verification_path(user: User) -> str:
    return reverse("accounts:signup_verify",
                   args=[urlsafe_base64_encode(force_bytes(user.pk)), tokens.make_token(user)])


def send_verification(user: User, *, request: HttpRequest | None, via: str) -> None:
    if mail(user.email, "signup_verify", {"email": user.email, "path": verification_path(user),
                                          "hours": hours_valid()}, languages_of(user)):
        record(Action.SIGNUP_VERIFICATION_SENT, user, request=request, via=via)


def sign_up(data: dict[str, Any], *, request: HttpRequest) -> None:
    """Make an inactive account from the sign-up form's `data` and send its verification link;
    or, when the address is taken, tell the address (and nobody else)."""
    email = data["email"]
    if account_for(email) is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email.lower(), email, data["password1"], is_active=False, self_signed_up=True,
                    first_name=data["first_name"], last_name=data["last_name"],
                    organisation=data["organisation"], orcid=data.get("orcid", ""),
                    language=_page_language())
                record(Action.SIGNED_UP, user, actor=user, request=request)
                send_verification(user, request=request, via="sign-up")
            return
        except IntegrityError:  # the same address signed up a moment ago
            pass
    else:
        make_password(data["password1"])  # as long as a sign-up takes: the time tells nothing
    existing = account_for(email)
    if existing is not None:
        _tell_existing(existing, email, request=request)


def _page_language() -> str:
    language = translation.get_language() or ""
    return language if language in dict(settings.LANGUAGES) else ""


def _tell_existing(user: User, email: str, *, request: HttpRequest) -> None:
    """Someone signed up with the address of `user`: write to that address what to do."""
    pending = user.signup_pending
    context = {"email": email, "active": user.is_active, "pending": pending,
               "reset_path": reverse("accounts:password_reset"), "hours": hours_valid(),
               "verify_path": verification_path(user) if pending else ""}
    record(Action.SIGNUP_EXISTING_ADDRESS, user, request=request)
    mail(user.email if user.email.lower() == email.lower() else email, "signup_existing",
         context, languages_of(user))


def resend(email: str, *, request: HttpRequest) -> None:
    """A new verification link for the account at `email` if it is waiting for one; else
    nothing (and the same page)."""
    user = User.objects.filter(Q(email__iexact=email), self_signed_up=True,
                               email_verified_at=None, is_active=False).first()
    if user is not None:
        send_verification(user, request=request, via="resend")


def check_link(uidb64: str, token: str) -> tuple[User | None, str | None]:
    """The account a verification link names, and why it is refused (None when it may be
    used). The reason goes to the audit trail only."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None, "unknown"
    user = User.objects.filter(pk=pk).first()
    if user is None:
        return None, "unknown"
    if not user.signup_pending:
        return user, "not pending"
    if not tokens.check_token(user, token):
        return user, "invalid or expired"
    return user, None


def activate(user: User, *, request: HttpRequest) -> bool:
    """Activate `user`, once: False when it was activated (or changed) meanwhile (a conditional
    update, so that two tabs opening the same link cannot both do it)."""
    now = timezone.now()
    done = User.objects.filter(pk=user.pk, self_signed_up=True, email_verified_at=None,
                               is_active=False, password=user.password).update(
        is_active=True, email_verified_at=now) == 1
    if done:
        user.is_active, user.email_verified_at = True, now
        record(Action.SIGNUP_VERIFIED, user, actor=user, request=request)
    return done
