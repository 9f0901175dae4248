"""The headers every response carries, whoever answered it, and the cache policy of signed-in pages.

`HeadersMiddleware` is the outermost middleware, so it sees every response: pages, API, error
pages, and the static files that WhiteNoise answers before the rest of the middleware runs (which
is why static files used to come without a Content-Security-Policy or X-Frame-Options: django-csp
and Django's clickjacking middleware sit after WhiteNoise). It fills in what a response lacks and
never overrides a header set on purpose (django-csp's per-response nonce, for one).

Caching: a response to a signed-in person is theirs alone, so it says `no-store, private` (no
browser or proxy keeps it) and `Vary: Cookie`. Anonymous pages keep whatever caching they had,
except that a response setting a cookie is `private`: a shared cache would hand that cookie (a
CSRF token, a session) to the next visitor. Static files are the same for everyone and stay
cacheable. The per-process fragment cache of catalogue pages (HYGIE_PAGE_CACHE_SECONDS) holds
version contents keyed by version, status and language, never anything about the viewer.
"""

from __future__ import annotations

from collections.abc import Callable

from csp.constants import HEADER as CSP
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers


def security_headers() -> dict[str, str]:
    """The headers of every response, from the settings that django-csp and Django's security
    middleware read (so that a page and a static file say the same)."""
    return {
        CSP: build_policy(),  # settings.CONTENT_SECURITY_POLICY, without a nonce
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
        "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
    }


class HeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        for name, value in security_headers().items():
            if name == CSP and settings.DEBUG and response.status_code in (404, 500):
                continue  # Django's debug pages use inline styles (django-csp leaves them too)
            response.headers.setdefault(name, value)
        if _signed_in(request):
            add_never_cache_headers(response)  # no-store, no-cache, private, max-age=0
            patch_vary_headers(response, ("Cookie",))
        elif response.cookies:
            patch_cache_control(response, private=True)
        return response


def _signed_in(request: HttpRequest) -> bool:
    # `user` is set further in (AuthenticationMiddleware); absent when WhiteNoise answered.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
