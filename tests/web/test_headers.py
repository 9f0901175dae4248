"""Security and caching headers on every response: static files (served by WhiteNoise before the
rest of the middleware), error pages, anonymous and signed-in pages (`hygie.web.headers`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from hygie.web.accounts.models import Role
from tests.web.helpers import sign_in

pytestmark = pytest.mark.django_db


def assert_security_headers(response: Any, what: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives.get("default-src") == "'self'", what
    assert directives.get("frame-ancestors") == "'none'", what
    assert directives.get("object-src") == "'none'", what
    assert "unsafe-inline" not in csp, what
    assert response.get("X-Frame-Options") == "DENY", what
    assert response.get("X-Content-Type-Options") == "nosniff", what
    assert response.get("Referrer-Policy") == "same-origin", what
    assert response.get("Cross-Origin-Opener-Policy") == "same-origin", what


def cache_control(response: Any) -> set[str]:
    return {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",")
            if part.strip()}


def vary(response: Any) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}


def test_static_files_carry_the_same_security_headers(client):
    for url in ["/static/hygie/hygie.css", "/static/hygie/statistics.js"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response, url)
        # Public assets, the same for everyone: caches may keep them.
        assert "no-store" not in cache_control(response), url


def test_error_pages_carry_the_security_headers(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_security_headers(response, "404")
    response = client.get("/static/hygie/no-such-file.css")
    assert response.status_code == 404
    assert_security_headers(response, "static 404")
    response = client.get("/", HTTP_HOST="evil.example")  # not an allowed host: 400
    assert response.status_code == 400
    assert_security_headers(response, "400")


def test_a_response_made_without_any_other_middleware_gets_them(rf: RequestFactory):
    """The outermost middleware fills in whatever an inner layer answered without."""
    from hygie.web.headers import HeadersMiddleware

    response = HeadersMiddleware(lambda request: HttpResponse("x"))(rf.get("/"))
    assert_security_headers(response, "bare response")


def test_anonymous_pages_stay_cacheable(client):
    for url in ["/", "/catalogue/", "/catalogue/snds/", "/api/catalogue/datasets",
                "/catalogue/dcat.ttl"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response, url)
        assert "no-store" not in cache_control(response), url
        if not response.cookies:  # nothing personal in it: shared caches may keep it too
            assert "private" not in cache_control(response), url


def test_signed_in_responses_are_never_stored(client, make_user):
    user = make_user("applicant")
    sign_in(client, user)
    for url in ["/", "/catalogue/", "/catalogue/snds/", "/catalogue/snds/v1/tables/IR_BEN_R/",
                "/feasibility/", "/api/catalogue/datasets", "/catalogue/dcat.ttl",
                "/no-such-page/"]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_security_headers(response, url)
        assert {"no-store", "private"} <= cache_control(response), url
        assert "public" not in cache_control(response), url
        assert "cookie" in vary(response), url


def test_signed_in_staff_pages_are_never_stored(make_user, signed_in):
    client = signed_in(make_user("team", role=Role.CATALOGUE_TEAM, totp=True))
    for url in ["/audit/", "/admin/", "/accounts/two-factor/"]:
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert {"no-store", "private"} <= cache_control(response), url


def test_a_response_setting_a_cookie_is_not_shared(client):
    """An anonymous response that sets a cookie (here the CSRF token of the language switch) must
    not be handed by a shared cache to someone else, who would get that cookie too; the browser
    may still keep it."""
    response = client.get("/catalogue/")
    assert response.status_code == 200 and "csrftoken" in response.cookies
    assert "private" in cache_control(response) and "no-store" not in cache_control(response)
