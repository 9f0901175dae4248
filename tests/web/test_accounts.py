"""Accounts and security: the staff second factor, the OTP admin, login throttling, OpenID
Connect, security headers and cookies, settings from the environment, the audit trail page."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory, override_settings
from django.urls import clear_url_caches
from django_otp.plugins.otp_totp.models import TOTPDevice

from hygie.web.accounts.client_ip import client_ip
from hygie.web.accounts.enrolment import invitation_path
from hygie.web.accounts.models import Role, User
from hygie.web.audit.models import AuditEvent
from hygie.web.catalogue.models import DataHolder
from tests.web.conftest import PASSWORD
from tests.web.helpers import totp_now
from tests.web.oidc_provider import Provider

pytestmark = pytest.mark.django_db

# Pages and actions a signed-in staff member must not reach before the second factor.
GUARDED_GETS = ["/", "/catalogue/", "/catalogue/snds/", "/catalogue/snds/v1/tables/IR_BEN_R/",
                "/catalogue/search/?q=diab%C3%A8te", "/feasibility/", "/audit/", "/admin/",
                "/admin/accounts/user/"]


def login(client: Client, user: Any, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD},
                       **extra)


def english(client: Client) -> Client:
    """Pages in English (the UI is French by default), for the tests that read messages."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def actions(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=name))


# --- the staff second factor -------------------------------------------------------------------


def staff_users(make_user: Any) -> list[Any]:
    users = [make_user(f"role-{role}", role=role) for role in Role.values]
    users.append(make_user("editor", holder="cnam"))
    users.append(make_user("admin-flag", is_staff=True))
    users.append(make_user("root", is_superuser=True, is_staff=True))
    users.append(make_user("enrolled-team", role=Role.CATALOGUE_TEAM, totp=True))
    return users


def test_unverified_staff_reach_only_the_second_factor_pages(client, make_user):
    for user in staff_users(make_user):
        assert user.needs_two_factor, user
        client.logout()
        assert login(client, user).status_code == 302
        expected = "/accounts/two-factor/" if hasattr(user, "device") else \
            "/accounts/two-factor/setup/"
        for url in GUARDED_GETS:
            response = client.get(url)
            assert response.status_code == 302, (user, url)
            target = urlsplit(response["Location"])
            assert target.path == expected, (user, url)
            assert parse_qs(target.query)["next"] == [url], (user, url)
        # JSON clients get a 403, not a login page.
        response = client.get("/api/catalogue/datasets")
        assert response.status_code == 403 and "Two-factor" in response.json()["detail"]
        # POSTs are refused the same way and change nothing.
        before = User.objects.count()
        response = client.post("/admin/accounts/user/add/", {
            "username": "intruder", "password1": "a very long passphrase 1",
            "password2": "a very long passphrase 1"})
        assert response.status_code == 302 and urlsplit(response["Location"]).path == expected
        assert User.objects.count() == before
        response = client.post("/admin/catalogue/dataholder/add/", {"name": "X", "slug": "x"})
        assert response.status_code == 302 and not DataHolder.objects.filter(slug="x").exists()
        # The pages that get them verified, and signing out, stay open; without an invitation,
        # enrolment says how to get one.
        assert client.get(expected).status_code == (200 if hasattr(user, "device") else 403)
        assert client.post("/accounts/logout/").status_code == 302
        assert "_auth_user_id" not in client.session


def test_applicants_need_no_second_factor(client, make_user):
    applicant = make_user("applicant")
    assert not applicant.needs_two_factor
    assert login(client, applicant).status_code == 302
    for url in ["/", "/catalogue/snds/", "/feasibility/", "/api/catalogue/datasets"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/audit/").status_code == 403  # signed in, but not allowed


def test_enrolment_shows_a_qr_code_and_confirms_with_a_code(client, make_user):
    english(client)
    user = make_user("new-team-member", role=Role.CATALOGUE_TEAM)
    client.get(invitation_path(user))
    login(client, user)
    response = client.get("/accounts/two-factor/setup/?next=/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page and 'role="img"' in page
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    # The key shown for typing in is the one in the QR code (base32, as apps expect).
    key = parse_qs(urlsplit(device.config_url).query)["secret"][0]
    assert key in page

    wrong = f"{(int(totp_now(device)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/two-factor/setup/", {"token": wrong, "next": "/audit/"})
    assert response.status_code == 200 and "not valid" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    failed = actions("account.totp_enrol_failed")
    assert [e.actor for e in failed] == [user]
    assert client.get("/audit/").status_code == 302  # still not verified

    # django-otp makes the next try wait; a prompt retry is refused with a clear message.
    response = client.post("/accounts/two-factor/setup/", {"token": totp_now(device)})
    assert "Too many wrong codes" in response.content.decode()
    device.throttle_reset()
    response = client.post("/accounts/two-factor/setup/", {"token": totp_now(device),
                                                           "next": "/audit/"})
    assert response.status_code == 302 and response["Location"] == "/audit/"
    device.refresh_from_db()
    assert device.confirmed
    assert [e.actor for e in actions("account.totp_enrolled")] == [user]
    assert client.get("/audit/").status_code == 200
    # Once enrolled, the setup page does not hand out a second device.
    assert urlsplit(client.get("/accounts/two-factor/setup/")["Location"]).path == \
        "/accounts/two-factor/"
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_enrolment_needs_an_invitation_opened_in_the_same_session(client, make_user):
    """A password alone does not bind an authenticator: whoever learnt it cannot enrol theirs."""
    english(client)
    user = make_user("newcomer", role=Role.DPO)
    login(client, user)
    response = client.get("/accounts/two-factor/setup/")
    assert response.status_code == 403 and "invitation" in response.content.decode()
    assert client.post("/accounts/two-factor/setup/", {"token": "123456"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=user).exists()  # no key was handed out

    # The link signs out whoever else is signed in here, then asks the invited person to sign in.
    other = make_user("other-applicant")
    client.logout()
    login(client, other)
    response = client.get(invitation_path(user))
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/accounts/login/"
    assert parse_qs(target.query)["next"] == ["/accounts/two-factor/setup/"]
    assert "_auth_user_id" not in client.session
    login(client, user)
    response = client.get("/accounts/two-factor/setup/")
    assert response.status_code == 200 and "<svg" in response.content.decode()
    assert [e.actor for e in actions("account.enrolment_link_opened")] == [user]


def test_an_invitation_is_for_one_person_one_hour_and_until_enrolment(client, make_user):
    from datetime import timedelta

    from django.utils import timezone

    from hygie.web.accounts.enrolment import GRANT

    alice = make_user("alice-dpo", role=Role.DPO)
    bob = make_user("bob-dpo", role=Role.DPO)
    # Alice's link opened, Bob signs in on that browser: the grant is not his.
    client.get(invitation_path(alice))
    login(client, bob)
    assert client.get("/accounts/two-factor/setup/").status_code == 403
    # A grant older than an hour is void.
    client.logout()
    client.get(invitation_path(alice))
    login(client, alice)
    session = client.session
    session[GRANT] = {**session[GRANT], "until": (timezone.now() - timedelta(seconds=1))
                      .isoformat()}
    session.save()
    assert client.get("/accounts/two-factor/setup/").status_code == 403
    # Tampered, foreign and spent links are refused, and the refusals are recorded.
    path = invitation_path(alice)
    for bad in (path[:-3] + "abc/", "/accounts/enrol/Zm9v/abc/", "/accounts/enrol/%FF/x/"):
        response = client.get(bad)
        assert response.status_code == 400, bad
    assert len(actions("account.enrolment_link_refused")) == 3
    assert client.get(path)["Location"] == "/accounts/two-factor/setup/"  # signed in already
    assert client.get("/accounts/two-factor/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=alice)
    assert client.post("/accounts/two-factor/setup/",
                       {"token": totp_now(device)}).status_code == 302
    assert client.get(path).status_code == 400  # enrolled: the link is spent
    # The session's grant is spent too.
    assert GRANT not in client.session


def test_administrators_invite_by_e_mail_and_the_first_one_from_the_command_line(
        make_user, signed_in, mailoutbox, django_capture_on_commit_callbacks, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from tests.web.helpers import run_jobs

    admin_user = make_user("root-admin", is_superuser=True, is_staff=True, totp=True)
    newcomer = make_user("new-rapporteur", role=Role.CESREES)
    no_mail = make_user("no-mail", role=Role.CESREES)
    User.objects.filter(pk=no_mail.pk).update(email="")
    client = signed_in(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/accounts/user/", {
            "action": "send_enrolment_invitation", "_selected_action": [newcomer.pk, no_mail.pk]},
            follow=True)
    assert response.status_code == 200
    run_jobs("mail")
    assert [m.to for m in mailoutbox] == [["new-rapporteur@example.org"]]
    body = mailoutbox[0].body
    link = next(line for line in body.splitlines() if "/accounts/enrol/" in line)
    assert link.startswith("http://127.0.0.1:8000/accounts/enrol/")
    invited = actions("account.enrolment_invited")
    assert [(e.actor, e.target_id) for e in invited] == [(admin_user, str(newcomer.pk))]
    # The link works for the newcomer.
    fresh = Client()
    fresh.get(urlsplit(link).path)
    login(fresh, newcomer)
    assert fresh.get("/accounts/two-factor/setup/").status_code == 200

    call_command("invite_enrolment", "no-mail", "--print")
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("http://127.0.0.1:8000/accounts/enrol/")
    with pytest.raises(CommandError, match="no e-mail address"):
        call_command("invite_enrolment", "no-mail")
    with pytest.raises(CommandError, match="already has an authenticator"):
        call_command("invite_enrolment", "root-admin", "--print")
    with pytest.raises(CommandError, match="no active account"):
        call_command("invite_enrolment", "nobody")


def test_verification_rejects_wrong_and_replayed_codes(client, make_user):
    english(client)
    user = make_user("secretary", role=Role.SECRETARIAT, totp=True)
    login(client, user)
    response = client.post("/accounts/two-factor/", {"token": "000000"})
    if totp_now(user.device) == "000000":  # one chance in a million
        pytest.skip("the current code happens to be 000000")
    assert response.status_code == 200 and "not valid" in response.content.decode()
    assert [e.actor for e in actions("account.verify_failed")] == [user]
    response = client.post("/accounts/two-factor/", {"token": "12345"})  # not six digits
    assert response.status_code == 200 and client.get("/").status_code == 302

    user.device.throttle_reset()
    code = totp_now(user.device)
    response = client.post("/accounts/two-factor/", {"token": code, "next": "/catalogue/"})
    assert response.status_code == 302 and response["Location"] == "/catalogue/"
    assert client.get("/").status_code == 200
    assert actions("account.verified")

    # A code is good once: signed out and in again, the same code is refused.
    client.post("/accounts/logout/")
    login(client, user)
    response = client.post("/accounts/two-factor/", {"token": code})
    assert response.status_code == 200 and client.get("/").status_code == 302


def test_verify_refuses_an_offsite_next(client, make_user):
    user = make_user("cesrees", role=Role.CESREES, totp=True)
    login(client, user)
    response = client.post("/accounts/two-factor/", {"token": totp_now(user.device),
                                                     "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


# --- the admin ---------------------------------------------------------------------------------


def test_the_admin_is_an_otp_admin_site(make_user):
    from django.contrib import admin
    from django_otp.admin import OTPAdminSite

    assert isinstance(admin.site, OTPAdminSite)
    # Even past the middleware, an unverified staff session is not let in.
    request = RequestFactory().get("/admin/")
    request.user = make_user("staffer", is_staff=True, is_superuser=True)
    request.user.is_verified = lambda: False
    assert not admin.site.has_permission(request)
    request.user.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_admin_lists_render_and_changes_are_audited(make_user, signed_in):
    root = make_user("root", is_staff=True, is_superuser=True, totp=True)
    client = signed_in(root)
    for url in ["/admin/", "/admin/accounts/user/", "/admin/accounts/user/?q=root",
                "/admin/catalogue/dataholder/", "/admin/catalogue/dataset/",
                "/admin/catalogue/datasetversion/", "/admin/catalogue/table/?q=IR_BEN",
                "/admin/catalogue/variable/?q=BEN_NAI", "/admin/catalogue/nomenclature/",
                "/admin/catalogue/code/?q=E11", "/admin/catalogue/membership/",
                "/admin/audit/auditevent/", "/admin/otp_totp/totpdevice/"]:
        assert client.get(url).status_code == 200, url
    # Version content is read-only in the admin: it changes through the workflow.
    assert client.get("/admin/catalogue/table/add/").status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    cnam = DataHolder.objects.get(slug="cnam")
    response = client.post(f"/admin/catalogue/dataholder/{cnam.pk}/change/", {
        "name": "CNAM", "slug": "cnam", "url": cnam.url, "email": "", "description_fr": "",
        "description_en": "", "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="admin.change", target_type="catalogue.DataHolder")
    assert event.actor == root and "name" in event.detail["fields"]
    # The admin does not show another person's TOTP key.
    other = make_user("other", role=Role.DPO, totp=True)
    page = client.get(f"/admin/otp_totp/totpdevice/{other.device.pk}/change/").content.decode()
    assert other.device.key not in page


def test_a_verified_team_member_without_is_staff_is_not_let_into_the_admin(make_user, signed_in):
    client = signed_in(make_user("team", role=Role.CATALOGUE_TEAM, totp=True))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- login throttling --------------------------------------------------------------------------


def test_repeated_failures_lock_the_username_from_that_address(client, make_user):
    english(client)
    user = make_user("victim")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = client.post("/accounts/login/", {"username": "victim", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"username": "victim", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Locked: even the right password is refused from this address...
    response = login(client, user)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    # ...but not from another one.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert login(other, user).status_code == 302
    locked = actions("account.locked_out")
    assert locked and {e.detail["username"] for e in locked} == {"victim"}
    assert all(e.ip == "127.0.0.1" for e in locked)
    assert len(actions("account.login_failed")) >= limit


def test_behind_a_proxy_the_forwarded_address_counts(rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "10.0.0.1"  # no proxy declared: the header is ignored
    with override_settings(HYGIE_TRUSTED_PROXIES=1):
        assert client_ip(request) == "198.51.100.4"  # the left entry is the client's own claim
    with override_settings(HYGIE_TRUSTED_PROXIES=2):
        assert client_ip(request) == "6.6.6.6"
    with override_settings(HYGIE_TRUSTED_PROXIES=1):
        assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="not-an-ip")) is None


# --- OpenID Connect ----------------------------------------------------------------------------


def _reload_urls() -> None:
    import hygie.web.urls

    importlib.reload(hygie.web.urls)
    clear_url_caches()


@pytest.fixture
def oidc() -> Iterator[Provider]:
    """OIDC switched on (as the HYGIE_OIDC_* variables do) against a provider on loopback."""
    with Provider("hygie-test", "s3cret") as provider, override_settings(
            OIDC_ENABLED=True,
            AUTHENTICATION_BACKENDS=[*settings.AUTHENTICATION_BACKENDS,
                                     "hygie.web.accounts.oidc.HygieOIDCBackend"],
            OIDC_RP_CLIENT_ID="hygie-test", OIDC_RP_CLIENT_SECRET="s3cret",
            OIDC_RP_SIGN_ALGO="RS256",
            OIDC_OP_AUTHORIZATION_ENDPOINT=f"{provider.url}/authorize",
            OIDC_OP_TOKEN_ENDPOINT=f"{provider.url}/token",
            OIDC_OP_USER_ENDPOINT=f"{provider.url}/userinfo",
            OIDC_OP_JWKS_ENDPOINT=f"{provider.url}/jwks", OIDC_TIMEOUT=10,
            LOGIN_REDIRECT_URL_FAILURE="/accounts/login/?oidc=failed"):
        _reload_urls()
        yield provider
    _reload_urls()


def start_oidc(client: Client, provider: Provider, next_url: str = "/catalogue/") -> dict:
    response = client.get(f"/oidc/authenticate/?next={next_url}")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.url}/authorize"
    return {k: v[0] for k, v in parse_qs(target.query).items()}


def finish_oidc(client: Client, provider: Provider, params: dict, claims: dict) -> Any:
    code = provider.approve(params["nonce"], claims)
    return client.get("/oidc/callback/", {"code": code, "state": params["state"]})


def test_oidc_redirects_to_the_provider_with_state_and_nonce(client, oidc):
    params = start_oidc(client, oidc)
    assert params["client_id"] == "hygie-test"
    assert params["response_type"] == "code"
    assert "openid" in params["scope"].split()
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["redirect_uri"] == "http://testserver/oidc/callback/"
    # A second attempt gets fresh values.
    again = start_oidc(client, oidc)
    assert again["state"] != params["state"] and again["nonce"] != params["nonce"]


def test_the_login_page_offers_organisation_sign_in_only_when_enabled(client):
    english(client)
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in" in page and "Sign in with your organisation" not in page


def test_the_login_page_links_to_organisation_sign_in(client, oidc):
    english(client)
    page = client.get("/accounts/login/?next=/feasibility/").content.decode()
    assert 'href="/oidc/authenticate/?next=/feasibility/"' in page
    assert "did not succeed" not in page
    assert "did not succeed" in client.get("/accounts/login/?oidc=failed").content.decode()


def test_oidc_creates_an_account_on_first_sign_in(client, oidc):
    params = start_oidc(client, oidc)
    response = finish_oidc(client, oidc, params, {
        "sub": "abc-1", "email": "Marie.Curie@Example.org", "email_verified": True,
        "given_name": "Marie", "family_name": "Curie", "organization": "Institut du Radium"})
    assert response.status_code == 302 and response["Location"] == "/catalogue/"
    user = User.objects.get(email__iexact="marie.curie@example.org")
    assert (user.first_name, user.last_name, user.organisation) == \
        ("Marie", "Curie", "Institut du Radium")
    assert not user.has_usable_password()
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/feasibility/").status_code == 200  # an applicant: no second factor
    login_event = AuditEvent.objects.get(action="account.login", actor=user)
    assert login_event.detail["backend"] == "HygieOIDCBackend"
    assert oidc.requests == ["POST /token", "GET /jwks", "GET /userinfo"]


def test_oidc_matches_an_existing_account_by_email(client, oidc, make_user):
    existing = make_user("pierre")
    params = start_oidc(client, oidc)
    finish_oidc(client, oidc, params, {"sub": "p-2", "email": "PIERRE@example.org"})
    assert client.session["_auth_user_id"] == str(existing.pk)
    assert User.objects.filter(email__iexact="pierre@example.org").count() == 1


def test_oidc_refuses_unverified_addresses_and_bad_states(client, oidc):
    params = start_oidc(client, oidc)
    response = finish_oidc(client, oidc, params, {"sub": "x", "email": "x@example.org",
                                                  "email_verified": False})
    assert response["Location"] == "/accounts/login/?oidc=failed"
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="x@example.org").exists()
    # A state that this browser was not given is refused.
    params = start_oidc(client, oidc)
    code = oidc.approve(params["nonce"], {"sub": "y", "email": "y@example.org"})
    response = client.get("/oidc/callback/", {"code": code, "state": "forged"})
    assert response.status_code in (302, 400) and "_auth_user_id" not in client.session
    # A token minted for another nonce is refused (replayed ID token).
    params = start_oidc(client, oidc)
    code = oidc.approve("another-nonce", {"sub": "z", "email": "z@example.org"})
    response = client.get("/oidc/callback/", {"code": code, "state": params["state"]})
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="z@example.org").exists()


def test_oidc_sessions_of_staff_still_need_the_second_factor(client, oidc, make_user):
    dpo = make_user("dpo", role=Role.DPO, totp=True)
    params = start_oidc(client, oidc, next_url="/audit/")
    response = finish_oidc(client, oidc, params, {"sub": "d-1", "email": "dpo@example.org"})
    assert response["Location"] == "/audit/"
    assert client.session["_auth_user_id"] == str(dpo.pk)
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")
    client.post("/accounts/two-factor/", {"token": totp_now(dpo.device)})
    assert client.get("/audit/").status_code == 200


def test_the_oidc_backend_matches_claims_directly(oidc, make_user):
    from hygie.web.accounts.oidc import HygieOIDCBackend

    backend = HygieOIDCBackend()
    alice = make_user("alice")
    assert list(backend.filter_users_by_claims({"email": "ALICE@example.org"})) == [alice]
    assert not backend.filter_users_by_claims({"email": ""}).exists()
    assert backend.verify_claims({"email": "a@b.fr"})
    assert not backend.verify_claims({"email": "a@b.fr", "email_verified": False})
    assert not backend.verify_claims({"sub": "no-email"})
    new = backend.create_user({"email": "bob@example.org", "given_name": "Bob",
                               "family_name": 42})
    assert new.email == "bob@example.org" and new.first_name == "Bob" and new.last_name == ""
    backend.update_user(alice, {"email": "alice@example.org", "family_name": "Martin"})
    alice.refresh_from_db()
    assert alice.last_name == "Martin"


# --- invitations are single-use for good -------------------------------------------------------


def enrol_with(client: Client, user: Any, path: str) -> TOTPDevice:
    """Open the invitation `path`, sign in and confirm a new device with its first code."""
    client.get(path)
    login(client, user)
    assert client.get("/accounts/two-factor/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/two-factor/setup/", {"token": totp_now(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_a_used_invitation_stays_dead_when_the_device_is_deleted(client, make_user):
    """The review's finding: deleting a lost device brought the spent link back to life, and with
    the password alone it bound a new authenticator."""
    user = make_user("rapporteur", role=Role.CESREES)
    path = invitation_path(user)
    enrol_with(client, user, path)
    TOTPDevice.objects.filter(user=user).delete()  # an administrator resets the device
    attacker = Client()
    assert attacker.get(path).status_code == 400
    login(attacker, user)
    assert attacker.get("/accounts/two-factor/setup/").status_code == 403
    assert attacker.post("/accounts/two-factor/setup/", {"token": "123456"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert actions("account.enrolment_link_refused")[0].detail["reason"] == "used"
    assert actions("account.totp_enrolled")[0].detail["invitation"]


def test_a_grant_dies_with_its_invitation(client, make_user):
    """Two browsers opened the same link: the first to enrol uses it up, and the other's grant
    goes with it, even once that device is deleted."""
    user = make_user("twice", role=Role.SECRETARIAT)
    path = invitation_path(user)
    other = Client()
    other.get(path)
    login(other, user)
    enrol_with(client, user, path)
    TOTPDevice.objects.filter(user=user).delete()
    assert other.get("/accounts/two-factor/setup/").status_code == 403
    assert other.post("/accounts/two-factor/setup/", {"token": "123456"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert actions("account.enrolment_refused")


def test_a_newer_invitation_revokes_the_older_and_links_expire(client, make_user, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    user = make_user("newcomer", role=Role.DPO)
    first = invitation_path(user)
    second = invitation_path(user)
    assert client.get(first).status_code == 400
    assert actions("account.enrolment_link_refused")[0].detail["reason"] == "revoked"
    assert actions("account.enrolment_invitation_revoked")[0].detail["reason"] == "superseded"
    # Past PASSWORD_RESET_TIMEOUT (three days), the newer link has expired too.
    later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert Client().get(second).status_code == 400
    assert actions("account.enrolment_link_refused")[0].detail["reason"] == "expired"


def test_resetting_a_device_or_the_address_revokes_pending_invitations(client, make_user):
    user = make_user("lost-phone", role=Role.DPO, totp=True)
    path = invitation_path(user)  # sent before the administrator deleted the device
    user.device.delete()
    assert client.get(path).status_code == 400
    assert actions("account.enrolment_invitation_revoked")[0].detail["reason"] == "device reset"
    path = invitation_path(user)
    user.email = "elsewhere@example.org"  # the link went to the old address
    user.save()
    assert client.get(path).status_code == 400


def test_an_oidc_state_is_single_use_and_expires(client, oidc):
    params = start_oidc(client, oidc)
    finish_oidc(client, oidc, params, {"sub": "s-1", "email": "once@example.org"})
    assert "_auth_user_id" in client.session
    client.logout()
    response = finish_oidc(client, oidc, params, {"sub": "s-1", "email": "once@example.org"})
    assert response.status_code in (302, 400) and "_auth_user_id" not in client.session
    # A state left in the session for too long is refused, and the refusal recorded.
    params = start_oidc(client, oidc)
    session = client.session
    session["oidc_states"][params["state"]]["added_on"] -= 3600
    session.save()
    response = finish_oidc(client, oidc, params, {"sub": "late", "email": "late@example.org"})
    assert response["Location"] == "/accounts/login/?oidc=failed"
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="late@example.org").exists()
    assert actions("account.oidc_refused")[0].detail["reason"] == "expired"


# --- names stay on one line --------------------------------------------------------------------


def test_names_with_line_breaks_are_refused_with_a_clear_message(make_user, signed_in):
    from django.core.exceptions import ValidationError

    for field in ("first_name", "last_name", "organisation"):
        with pytest.raises(ValidationError, match=r"U\+000A") as error:
            User(username="x", **{field: "Eve\nURGENT: https://evil.example/"}).full_clean(
                exclude=["password"])
        assert field in error.value.message_dict
    root = make_user("root", is_staff=True, is_superuser=True, totp=True)
    client = english(signed_in(root))
    target = make_user("target")
    response = client.post(f"/admin/accounts/user/{target.pk}/change/", {
        "username": "target", "first_name": "Eve\r\nURGENT", "last_name": "Martin\u202e",
        "email": "target@example.org", "organisation": "Org\tX", "is_active": "on",
        "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("Use a single line of text") == 3
    target.refresh_from_db()
    assert target.first_name == "" and target.organisation == ""
    # In French too.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.post(f"/admin/accounts/user/{target.pk}/change/", {
        "username": "target", "first_name": "Eve\nURGENT", "email": "target@example.org",
        "is_active": "on", "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    assert "une seule ligne" in response.content.decode()


def test_names_from_the_identity_provider_are_kept_on_one_line(oidc, make_user):
    from hygie.web.accounts.oidc import HygieOIDCBackend

    alice = make_user("alice")
    HygieOIDCBackend().update_user(alice, {
        "email": "alice@example.org", "given_name": "Alice\nURGENT: https://evil.example/",
        "family_name": "Martin\u202eniT", "organization": "Inserm\r\n"})
    alice.refresh_from_db()
    assert alice.first_name == "Alice URGENT: https://evil.example/"
    assert alice.last_name == ""  # a direction override: the claim is not taken
    assert alice.organisation == "Inserm"
    alice.full_clean(exclude=["password"])


# --- headers, cookies, HTTPS -------------------------------------------------------------------


def test_security_headers_on_every_kind_of_page(client, make_user):
    pages = ["/", "/catalogue/", "/catalogue/snds/", "/catalogue/snds/v1/tables/IR_BEN_R/",
             "/accounts/login/", "/admin/login/", "/api/catalogue/datasets", "/api/docs",
             "/api/openapi.json", "/healthz", "/no-such-page/", "/audit/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 302, 404), url
        csp = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives["default-src"] == "'self'", url
        # django-csp adds a nonce only to pages that use one.
        assert directives["script-src"] == "'self'" or \
            directives["script-src"].startswith("'self' 'nonce-"), url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
    # The API docs are served from our own static files, not a CDN.
    docs = client.get("/api/docs").content.decode()
    assert "cdn." not in docs and "/static/ninja/" in docs


def test_inline_scripts_run_only_with_the_response_nonce(rf):
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    def view(request: Any) -> HttpResponse:
        return HttpResponse(f'<script nonce="{request.csp_nonce}">1</script>')

    nonces = set()
    for _ in range(2):
        request = rf.get("/")
        response = CSPMiddleware(view)(request)
        nonce = response.content.decode().split('"')[1]
        assert f"script-src 'self' 'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.add(nonce)
    assert len(nonces) == 2  # a fresh nonce per response


def test_cookies_are_httponly_and_samesite(client, make_user):
    user = make_user("cookie-monster")
    client.get("/accounts/login/")
    response = login(client, user)
    cookies: SimpleCookie = response.cookies
    session = cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert not session["secure"]  # plain HTTP on a laptop; see the HTTPS test
    assert cookies[settings.CSRF_COOKIE_NAME]["samesite"] == "Lax"


def test_https_redirects_and_sends_hsts(make_user):
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31_536_000,
                           SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
                           SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        client = Client()
        response = client.get("/catalogue/")
        assert response.status_code == 301 and response["Location"] == \
            "https://testserver/catalogue/"
        response = client.get("/catalogue/", HTTP_X_FORWARDED_PROTO="https")
        assert response.status_code == 200
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# --- settings from the environment -------------------------------------------------------------

SHOW = ("import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in %r}, default=str))")


def settings_with(tmp_path: Any, names: list[str], **env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with these HYGIE_* variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HYGIE_")}
    clean.update({"HYGIE_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "hygie.web.settings"},
                 **env)
    return subprocess.run([sys.executable, "-c", SHOW % (names,)], env=clean,
                          capture_output=True, text=True, timeout=120)


def test_bad_values_fail_with_a_clear_message(tmp_path):
    out = settings_with(tmp_path, ["DEBUG"], HYGIE_DEBUG="maybe")
    assert out.returncode != 0
    assert "HYGIE_DEBUG must be one of 1/0, true/false, yes/no, on/off" in out.stderr
    out = settings_with(tmp_path, ["DEBUG"], HYGIE_AXES_FAILURE_LIMIT="five")
    assert out.returncode != 0 and "HYGIE_AXES_FAILURE_LIMIT must be a whole number" in out.stderr
    out = settings_with(tmp_path, ["DEBUG"], HYGIE_OIDC_ENDPOINT="https://idp.example")
    assert out.returncode != 0 and "HYGIE_OIDC_CLIENT_ID is needed" in out.stderr
    out = settings_with(tmp_path, ["DEBUG"],
                        HYGIE_DATABASE_URL="postgres://hygie:Pa55-w0rd@db:notaport/hygie")
    assert out.returncode != 0 and "HYGIE_DATABASE_URL must be a database URL" in out.stderr
    assert "Pa55-w0rd" not in out.stderr + out.stdout


def test_the_database_url_selects_postgresql(tmp_path):
    out = settings_with(tmp_path, ["DATABASES"],
                        HYGIE_DATABASE_URL="postgres://hygie:pw@db.internal:5433/hub")
    assert out.returncode == 0, out.stderr
    db = json.loads(out.stdout)["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["HOST"], db["PORT"], db["USER"]) == ("hub", "db.internal", 5433,
                                                               "hygie")
    out = settings_with(tmp_path, ["DATABASES", "DEBUG"])
    assert json.loads(out.stdout)["DATABASES"]["default"]["ENGINE"].endswith("sqlite3")
    assert json.loads(out.stdout)["DEBUG"] is False


def test_https_settings_follow_hygie_https(tmp_path):
    names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
             "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_HTTPONLY"]
    on = json.loads(settings_with(tmp_path, names, HYGIE_HTTPS="1").stdout)
    assert on == {"SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31_536_000,
                  "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
                  "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
                  "SESSION_COOKIE_HTTPONLY": True}
    off = json.loads(settings_with(tmp_path, names).stdout)
    assert not off["SECURE_SSL_REDIRECT"] and off["SECURE_HSTS_SECONDS"] == 0
    assert not off["SESSION_COOKIE_SECURE"]


def test_the_secret_key_is_never_printed(tmp_path):
    secret = "sk-" + "Zq9" * 20
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYGIE_")}
    env.update(HYGIE_HOME=str(tmp_path), HYGIE_SECRET_KEY=secret, HYGIE_HTTPS="1",
               HYGIE_ALLOWED_HOSTS="hub.example.org")
    # The deployment check passes with HTTPS on and a real key (HSTS preloading, a commitment
    # for the whole domain, is left to the operator), and does not echo the key.
    out = subprocess.run([sys.executable, "-m", "hygie.cli", "manage", "check", "--deploy"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    issues = [line.split()[1] for line in (out.stdout + out.stderr).splitlines()
              if line.startswith("?: (")]
    assert issues == ["(security.W021)"], out.stdout + out.stderr
    assert secret not in out.stdout + out.stderr
    # Nor does a failing start-up.
    out = subprocess.run([sys.executable, "-m", "hygie.cli", "manage", "check"],
                         env={**env, "HYGIE_DEBUG": "perhaps"}, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode != 0 and secret not in out.stdout + out.stderr
    # Without HYGIE_SECRET_KEY, the generated key is readable by its owner only.
    del env["HYGIE_SECRET_KEY"]
    settings_with(tmp_path, ["DEBUG"])
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


# --- the audit trail page ----------------------------------------------------------------------


def test_audit_trail_is_for_the_catalogue_team_and_the_dpo(client, make_user, signed_in):
    assert client.get("/audit/").status_code == 302  # anonymous: to the login page
    for name, role, allowed in [("team", Role.CATALOGUE_TEAM, True), ("dpo", Role.DPO, True),
                                ("sec", Role.SECRETARIAT, False), ("ces", Role.CESREES, False)]:
        client.logout()
        user = make_user(name, role=role, totp=True)
        signed = signed_in(user)
        assert signed.get("/audit/").status_code == (200 if allowed else 403), name
        nav = 'href="/audit/"' in signed.get("/catalogue/").content.decode()
        assert nav == allowed, name
    client.logout()
    editor = make_user("editor", holder="cnam", totp=True)
    assert signed_in(editor).get("/audit/").status_code == 403


def test_audit_trail_filters_and_pages(make_user, signed_in):
    from hygie.web.audit.actions import Action
    from hygie.web.audit.record import record

    dpo = make_user("dpo", role=Role.DPO, totp=True)
    alice = make_user("alice")
    cnam = DataHolder.objects.get(slug="cnam")
    bulk = Action.SEARCH_INDEX_REBUILT  # any action: the filter offers them all
    for i in range(120):
        record(bulk, cnam, actor=alice, n=i)
    record(Action.ADMIN_CHANGE, Group.objects.create(name="g"), actor=dpo,
           note="<script>x</script>")
    client = signed_in(dpo)

    page = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<code>admin.change</code>" in page and "&lt;script&gt;" in page
    assert "<script>x" not in page

    response = client.get("/audit/", {"action": bulk})
    rows = response.context["page"]
    assert rows.paginator.count == 120 and len(rows.object_list) == 50
    assert all(e.action == bulk for e in rows.object_list)
    assert response.context["page"].object_list[0].detail["n"] == 119  # most recent first
    # The page links keep the filters.
    assert f'href="?action={bulk}&amp;page=2"' in response.content.decode()
    third = client.get("/audit/", {"action": bulk, "page": 3}).context["page"]
    assert len(third.object_list) == 20

    by_actor = client.get("/audit/", {"actor": "ALI"}).context["page"]
    assert {e.actor for e in by_actor.object_list} == {alice}
    by_object = client.get("/audit/", {"object": "CNAM"}).context["page"]
    assert by_object.paginator.count >= 120
    by_id = client.get("/audit/", {"object_type": "catalogue.DataHolder",
                                   "object_id": str(cnam.pk)}).context["page"]
    assert by_id.paginator.count >= 120
    assert all(e.target_id == str(cnam.pk) for e in by_id.object_list)
    none = client.get("/audit/", {"actor": "nobody-at-all"})
    assert none.context["page"].paginator.count == 0
    # An unknown action is a form error, not a crash nor an unfiltered list.
    bad = client.get("/audit/", {"action": "' OR 1=1 --"})
    assert bad.status_code == 200 and bad.context["page"].paginator.count == 0
    assert bad.context["form"].errors["action"]
    # Out-of-range page numbers fall back to the last page.
    assert client.get("/audit/", {"action": bulk, "page": 999}).context["page"].number == 3


def test_the_trail_keeps_typed_names_on_one_line(client, make_user):
    """A username tried at sign-in, or an object's title, cannot add a line to the trail or read
    backwards there (a direction override)."""
    from hygie.web.audit.actions import Action
    from hygie.web.audit.record import record

    client.post("/accounts/login/", {"username": "eve\nadmin.change \u202egnp", "password": "x"})
    failed = actions("account.login_failed")[0]
    assert failed.detail["username"] == "eve admin.change gnp"
    holder = DataHolder.objects.create(slug="odd", name="Odd\r\nholder")
    assert record(Action.ADMIN_CHANGE, holder).target_repr == "Odd holder"
