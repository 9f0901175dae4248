"""Staff must pass a TOTP second factor before anything else (django-otp marks the session)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

OPEN_PREFIXES = ("/static/", "/i18n/", "/accounts/")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (user.is_authenticated and not request.path.startswith(OPEN_PREFIXES)
                and user.needs_two_factor and not user.is_verified()):
            has_device = user.totpdevice_set.filter(confirmed=True).exists()
            target = "accounts:verify" if has_device else "accounts:setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)
