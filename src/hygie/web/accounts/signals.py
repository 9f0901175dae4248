"""Audit records for sign-ins, failed sign-ins, sign-outs and lock-outs, whatever the backend;
and the revocation of enrolment invitations when a second-factor device is reset.

Connected in `AccountsConfig.ready`. A failed sign-in has no actor: the username tried is kept in
the detail (never the password), with the address.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.notify import one_line


def _backend(user: Any) -> str:
    return str(getattr(user, "backend", "")).rsplit(".", 1)[-1]


@receiver(user_logged_in, dispatch_uid="hygie-audit-login")
def logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(Action.LOGIN, user, actor=user, request=request, backend=_backend(user))


@receiver(user_logged_out, dispatch_uid="hygie-audit-logout")
def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(Action.LOGOUT, user, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="hygie-audit-login-failed")
def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None,
                 **kwargs: Any) -> None:
    # Django has already replaced the password by stars; keep only the username (as typed by
    # anyone: on one line).
    record(Action.LOGIN_FAILED, request=request,
           username=one_line(credentials.get("username", ""))[:150])


@receiver(user_locked_out, dispatch_uid="hygie-audit-locked-out")
def locked_out(sender: Any, request: Any, username: Any, ip_address: Any, **kwargs: Any) -> None:
    record(Action.LOCKED_OUT, request=request, username=one_line(username or "")[:150],
           address=ip_address)


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="hygie-revoke-on-device-reset")
def device_deleted(sender: Any, instance: TOTPDevice, **kwargs: Any) -> None:
    """A confirmed device deleted (lost, reset): invitations sent before the reset die with it,
    so that only one sent afterwards can enrol the next device."""
    from hygie.web.accounts.enrolment import revoke

    if instance.confirmed:
        revoke(instance.user, "device reset")
