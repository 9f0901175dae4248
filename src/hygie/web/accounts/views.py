"""Sign-in, TOTP enrolment and verification, sign-out.

Sign-ins, failed sign-ins and lock-outs are audited by signal receivers (`accounts.signals`), so
that password and OpenID Connect sign-ins are recorded alike.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from hygie.web.accounts import enrolment
from hygie.web.accounts.forms import TokenForm
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record


def _next(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        return "/"
    return target


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Read at request time (not import time) so that tests and reconfigurations see it.
        return {**super().get_context_data(**kwargs),
                "oidc_enabled": getattr(settings, "OIDC_ENABLED", False)}


def _throttled(device: TOTPDevice) -> bool:
    """django-otp doubles the wait after each wrong code; say so rather than 'invalid code'."""
    allowed, _info = device.verify_is_allowed()
    return not allowed


def enrol(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: grant this browser the right to enrol, then sign in. The token leaves
    the address bar at once (a redirect), so that it does not travel on in a Referer."""
    invitation, refused = enrolment.open_link(token)
    if invitation is None or refused:
        record(Action.ENROLMENT_LINK_REFUSED, invitation.user if invitation else None,
               request=request, reason=refused,
               invitation=invitation.pk if invitation else None)
        return render(request, "accounts/enrol_invalid.html", status=400)
    user = invitation.user
    if request.user.is_authenticated and request.user.pk != user.pk:
        logout(request)  # someone else's session on this browser: the invited person signs in
    enrolment.grant(request, invitation)
    record(Action.ENROLMENT_LINK_OPENED, user, actor=user, request=request,
           invitation=invitation.pk)
    target = reverse("accounts:setup")
    if _next(request) != "/":  # where the link says to go once enrolled (a workspace's page)
        target += "?" + urlencode({"next": _next(request)})
    if request.user.is_authenticated:
        return redirect(target)
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device: show its QR code, confirm with a first code. Only with a session that
    opened a live invitation for this person (`accounts.enrolment`), which the enrolment uses up."""
    if request.user.totpdevice_set.filter(confirmed=True).exists():
        return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': _next(request)})}")
    invitation, refused = enrolment.granted(request)
    if invitation is None or refused:
        if refused:
            record(Action.ENROLMENT_REFUSED, request.user, request=request, reason=refused,
                   invitation=invitation.pk if invitation else None)
            enrolment.spend(request)
        return _enrolment_needed(request)
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="default", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(device):
            form.add_error("token", _("Too many wrong codes. Wait a few seconds and try again."))
        elif device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                if not enrolment.use(invitation):  # used or revoked since the page was shown
                    record(Action.ENROLMENT_REFUSED, request.user, request=request,
                           reason="used", invitation=invitation.pk)
                    enrolment.spend(request)
                    return _enrolment_needed(request)
                device.confirmed = True
                device.save()
                otp_login(request, device)
                enrolment.spend(request)
                record(Action.TOTP_ENROLLED, request.user, request=request,
                       invitation=invitation.pk)
            messages.success(request, _("Two-factor authentication is on."))
            return redirect(_next(request))
        else:
            record(Action.TOTP_ENROL_FAILED, request.user, request=request)
            form.add_error("token", _("This code is not valid. Check your device's clock."))
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return render(request, "accounts/setup.html", {
        "form": form, "qr_svg": image.to_string(encoding="unicode"),
        "secret": b32encode(device.bin_key).decode(), "next": _next(request)})


def _enrolment_needed(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/enrol_needed.html", status=403,
                  context={"hours": settings.PASSWORD_RESET_TIMEOUT // 3600})


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    devices = list(request.user.totpdevice_set.filter(confirmed=True))
    if not devices:
        return redirect("accounts:setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if all(_throttled(d) for d in devices):
            record(Action.VERIFY_THROTTLED, request.user, request=request)
            form.add_error("token", _("Too many wrong codes. Wait a few seconds and try again."))
        else:
            for device in devices:
                if device.verify_token(form.cleaned_data["token"]):
                    otp_login(request, device)
                    record(Action.VERIFIED, request.user, request=request, device=device.name)
                    return redirect(_next(request))
            record(Action.VERIFY_FAILED, request.user, request=request)
            form.add_error("token", _("This code is not valid."))
    return render(request, "accounts/verify.html", {"form": form, "next": _next(request)})


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also keeps a signed-in person's choice for their e-mails."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    if (request.method == "POST" and request.user.is_authenticated
            and language in dict(settings.LANGUAGES) and request.user.language != language):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


class LogoutView(auth_views.LogoutView):
    pass
