"""In a real browser against `hygie serve`: a DPO signs in, opens the enrolment invitation, enrols
an authenticator from the QR code page, reads the audit trail; the pages are accessible and run
under the site's CSP."""

from __future__ import annotations

import time
from base64 import b32decode
from urllib.parse import urlsplit

import pytest

from tests.web.conftest import PASSWORD
from tests.web.helpers import assert_accessible

pytestmark = pytest.mark.browser


def code_for(key_b32: str) -> str:
    from django_otp.oath import TOTP

    t = TOTP(b32decode(key_b32), step=30, t0=0, digits=6, drift=0)
    t.time = time.time()
    return f"{t.token():06d}"


def test_a_dpo_enrols_a_second_factor_and_reads_the_audit_trail(site, page):
    site.python(
        "from django.contrib.auth.models import Group; from hygie.web.accounts.models import User; "
        f"u = User.objects.create_user('dpo-browser', 'dpo@example.org', {PASSWORD!r}); "
        "u.groups.add(Group.objects.get_or_create(name='dpo')[0])")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)

    page.goto(f"{site.url}/audit/")
    assert "/accounts/login/" in page.url
    assert_accessible(page)
    page.fill("#id_username", "dpo-browser")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()

    # Straight to enrolment: the audit trail is out of reach until the second factor, and the
    # password alone does not enrol one: the page asks for the administrator's invitation.
    page.wait_for_url("**/accounts/two-factor/setup/**")
    assert page.locator("figure.qr").count() == 0
    assert_accessible(page)
    link = site.manage("invite_enrolment", "dpo-browser", "--print").strip()
    page.goto(site.url + urlsplit(link).path)
    page.wait_for_url("**/accounts/two-factor/setup/")
    assert page.locator("figure.qr svg").count() == 1
    assert_accessible(page)
    key = page.locator("figure.qr code").inner_text().strip()
    page.fill("#id_token", "000000" if code_for(key) != "000000" else "111111")
    page.locator("main form button[type=submit]").click()
    assert page.locator(".error[role=alert]").count() == 1
    time.sleep(1.1)  # django-otp makes the next try wait after a wrong code
    page.fill("#id_token", code_for(key))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(site.url + "/")
    page.goto(f"{site.url}/audit/")

    page.wait_for_url("**/audit/")
    assert page.locator("h1").inner_text()
    assert page.locator("table tbody tr").count() >= 5  # sign-in, invitation, failed code, ...
    assert "account.totp_enrolled" in page.content()
    assert_accessible(page)
    page.select_option("#id_action", "account.totp_enrol_failed")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**action=account.totp_enrol_failed**")
    assert page.locator("table tbody tr").count() == 1
    assert not violations, violations
