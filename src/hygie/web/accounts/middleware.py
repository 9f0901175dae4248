"""Staff must pass a TOTP second factor before anything else (django-otp marks the session).

A signed-in user who needs a second factor (`User.needs_two_factor`) and whose session is not yet
verified reaches only the pages that get them verified (invitation links, enrolment, verification,
sign-out), static files, the language switch and the OpenID Connect callbacks. Everything else,
GET or POST, is redirected to enrolment or verification; API calls get a JSON 403 instead.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

OPEN_PREFIXES = ("/static/", "/i18n/", "/oidc/", "/healthz")
OPEN_VIEWS = ("accounts:login", "accounts:logout", "accounts:setup", "accounts:verify")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (user.is_authenticated and not self._open(request.path)
                and user.needs_two_factor and not user.is_verified()):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Two-factor verification required."}, status=403)
            has_device = user.totpdevice_set.filter(confirmed=True).exists()
            target = "accounts:verify" if has_device else "accounts:setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        return (path.startswith(OPEN_PREFIXES) or path in {reverse(name) for name in OPEN_VIEWS}
                or path.startswith("/accounts/enrol/"))
