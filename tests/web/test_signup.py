"""Self sign-up of applicants, the verification link, resending it, and password reset by e-mail:
accounts start inactive, a link activates them once, nobody learns which addresses have an
account, and neither passwords nor tokens reach the audit trail or the logs."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.http import urlsafe_base64_encode

from hygie.web.accounts import orcid, signup
from hygie.web.accounts.models import Role, User
from hygie.web.audit.models import AuditEvent
from tests.web.helpers import PASSWORD, run_jobs

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a fresh and long passphrase 42"
FORM = {"email": "Chloe.Durand@Example.ORG", "first_name": "Chloé", "last_name": "Durand",
        "organisation": "Inserm U1018", "orcid": "https://orcid.org/0000-0002-1694-233x",
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """post(url, data): the response, with the commit callbacks run (so mails are queued)."""
    def post(url, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **extra)
    return post


def delivered(mailoutbox) -> list:
    """Run the mail queue; the messages sent since the last call."""
    run_jobs("mail")
    out = list(mailoutbox)
    mailoutbox.clear()
    return out


def link(message, prefix: str) -> str:
    """The path of the link to `prefix` in a message (it starts with the site's address)."""
    found = re.search(re.escape(settings.SITE_URL) + r"(" + re.escape(prefix) + r"\S*)",
                      message.body)
    assert found, message.body
    return found.group(1)


def sign_up(post, mailoutbox, **changes):
    response = post("/accounts/signup/", {**FORM, **changes}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/sent/"
    return delivered(mailoutbox)


def verify(client, path):
    """Open a verification link as a browser does, then press the button; the last response."""
    opened = client.get(path)
    if opened.status_code != 302:
        return opened
    confirm = opened["Location"]
    assert confirm.endswith("/confirm/") and path.split("/")[-2] not in confirm  # token gone
    page = client.get(confirm)
    if page.status_code != 200:
        return page
    return client.post(confirm)


def masked(page: bytes) -> bytes:
    """A page without what differs on every response (CSRF tokens, CSP nonces)."""
    return re.sub(rb'(csrfmiddlewaretoken" value|nonce)="[^"]*"', rb"\1=", page)


def actions(name):
    return list(AuditEvent.objects.filter(action=name).order_by("id"))


def test_sign_up_makes_an_inactive_account_that_the_link_activates(client, post, mailoutbox):
    mails = sign_up(post, mailoutbox)
    user = User.objects.get(email__iexact="chloe.durand@example.org")
    assert not user.is_active and user.self_signed_up and user.email_verified_at is None
    assert user.username == "chloe.durand@example.org"
    assert (user.first_name, user.last_name, user.organisation) == ("Chloé", "Durand",
                                                                     "Inserm U1018")
    assert user.orcid == "0000-0002-1694-233X"  # normalised
    assert user.language == "en"
    # No role of any kind, no second factor demanded.
    assert not user.groups.exists() and not user.is_staff and not user.is_superuser
    assert not user.needs_two_factor
    assert [m.to for m in mails] == [["Chloe.Durand@example.org"]]
    assert mails[0].subject == "[Hygie] Verify your e-mail address"
    assert "Vérifiez" not in mails[0].body  # the language of the sign-up page only
    assert actions("account.signed_up")[0].target_id == str(user.pk)

    # Not verified: the password does not open the account.
    refused = client.post("/accounts/login/", {"username": user.username,
                                               "password": NEW_PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session

    done = verify(client, link(mails[0], "/accounts/signup/verify/"))
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.is_active and user.email_verified_at is not None
    assert actions("account.signup_verified")[0].actor == user
    signed = client.post("/accounts/login/", {"username": "chloe.durand@example.org",
                                              "password": NEW_PASSWORD})
    assert signed.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)


def test_the_sign_up_form_checks_what_it_is_given(client):
    before = User.objects.count()
    for changes, field in [({"password2": "something else entirely"}, "password2"),
                           ({"password1": "short", "password2": "short"}, "password1"),
                           ({"password1": "password123", "password2": "password123"},
                            "password1"),
                           ({"organisation": ""}, "organisation"),
                           ({"first_name": "Eve\nURGENT"}, "first_name"),
                           ({"orcid": "0000-0002-1694-2331"}, "orcid"),  # wrong check digit
                           ({"orcid": "0000-0002-1694"}, "orcid"),
                           ({"email": "not an address"}, "email"),
                           ({"email": "o'brien@example.org"}, "email")]:
        response = client.post("/accounts/signup/", {**FORM, **changes})
        assert response.status_code == 200, changes
        assert field in response.context["form"].errors, (changes, response.context["form"].errors)
    assert User.objects.count() == before
    # ORCID is optional.
    blank = client.post("/accounts/signup/", {**FORM, "orcid": ""})
    assert blank.status_code == 302 and User.objects.get(username="chloe.durand@example.org").orcid == ""


@pytest.mark.parametrize("iD", ["0000-0002-1825-0097", "0000-0001-5109-3700",
                                "0000-0002-1694-233X"])
def test_orcid_check_digits_of_real_ids(iD):
    assert orcid.is_valid(iD)
    assert orcid.check_digit(iD.replace("-", "")[:15]) == iD[-1]
    wrong = iD[:-1] + ("1" if iD[-1] != "1" else "2")
    assert not orcid.is_valid(wrong)
    # Any single changed digit is caught.
    assert not orcid.is_valid(iD[:5] + str((int(iD[5]) + 1) % 10) + iD[6:])


def test_orcid_is_normalised_from_the_shapes_people_paste():
    for text in ["https://orcid.org/0000-0002-1694-233x", "orcid.org/0000000216942 33X",
                 " 0000 0002 1694 233X ", "000000021694233x"]:
        assert orcid.normalise(text) == "0000-0002-1694-233X", text
    assert not orcid.is_valid(orcid.normalise("0000-0002-1694"))
    assert not orcid.is_valid("0000-0002-1694-233Y")


def test_a_link_works_once_and_not_tampered_or_expired(client, post, mailoutbox, monkeypatch):
    path = link(sign_up(post, mailoutbox)[0], "/accounts/signup/verify/")
    _, _, _, _, uid, token, _ = path.split("/")
    user = User.objects.get(username="chloe.durand@example.org")

    other = User.objects.create_user("other", "other@example.org", PASSWORD, is_active=False,
                                     self_signed_up=True)
    for bad in [f"/accounts/signup/verify/{uid}/{token[:-1]}x/",  # tampered token
                f"/accounts/signup/verify/{urlsafe_base64_encode(b'%d' % other.pk)}/"
                f"{token}/",  # another account's id
                f"/accounts/signup/verify/!!/{token}/"]:
        assert verify(client, bad).status_code == 400, bad
    user.refresh_from_db()
    other.refresh_from_db()
    assert not user.is_active and not other.is_active

    # Past PASSWORD_RESET_TIMEOUT, the link is dead.
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with monkeypatch.context() as m:
        m.setattr(signup.tokens, "_now", lambda: later)
        assert verify(client, path).status_code == 400
    user.refresh_from_db()
    assert not user.is_active

    assert verify(client, path).status_code == 302
    again = verify(client, path)  # used
    assert again.status_code == 400
    assert "accounts/signup_invalid.html" in [t.name for t in again.templates]
    refusals = actions("account.signup_link_refused")
    assert [e.detail["reason"] for e in refusals] == [
        "invalid or expired", "invalid or expired", "unknown", "invalid or expired",
        "not pending"]


def test_an_administrator_deactivated_account_is_not_woken_by_a_link(client, post, mailoutbox):
    path = link(sign_up(post, mailoutbox)[0], "/accounts/signup/verify/")
    assert verify(client, path).status_code == 302
    User.objects.filter(username="chloe.durand@example.org").update(is_active=False)
    assert verify(client, path).status_code == 400
    assert post("/accounts/signup/resend/", {"email": FORM["email"]}).status_code == 302
    assert delivered(mailoutbox) == []
    assert not User.objects.get(username="chloe.durand@example.org").is_active


def test_an_address_with_an_account_is_not_disclosed(client, post, mailoutbox, make_user):
    alice = make_user("alice", first_name="Alice")
    alice.language = "fr"
    alice.save()
    fresh = sign_up(post, mailoutbox, email="nobody@example.org")
    page_fresh = client.get("/accounts/signup/sent/", HTTP_ACCEPT_LANGUAGE="en").content
    assert b"Check your mailbox" in page_fresh

    known = sign_up(post, mailoutbox, email="ALICE@example.org", first_name="Mallory")
    page_known = client.get("/accounts/signup/sent/", HTTP_ACCEPT_LANGUAGE="en").content
    assert masked(page_fresh) == masked(page_known)  # the same redirect, the same page

    alice.refresh_from_db()
    assert alice.first_name == "Alice" and alice.check_password(PASSWORD)  # nothing changed
    assert User.objects.filter(email__iexact="alice@example.org").count() == 1
    # Each address got a message, not the same one.
    assert [m.to for m in fresh] == [["nobody@example.org"]]
    assert [m.to for m in known] == [["alice@example.org"]]
    assert "Verify" in fresh[0].subject
    assert known[0].subject == "[Hygie] Quelqu'un a tenté de s'inscrire avec votre adresse"
    assert link(known[0], "/accounts/password-reset/") == "/accounts/password-reset/"
    assert "/accounts/signup/verify/" not in known[0].body and "Mallory" not in known[0].body
    assert actions("account.signup_existing_address")[0].target_id == str(alice.pk)


def test_signing_up_again_while_waiting_sends_a_fresh_link(client, post, mailoutbox):
    sign_up(post, mailoutbox)
    again = sign_up(post, mailoutbox, password1="other pass phrase 99",
                    password2="other pass phrase 99")
    assert User.objects.filter(email__iexact=FORM["email"]).count() == 1
    path = link(again[0], "/accounts/signup/verify/")
    assert verify(client, path).status_code == 302
    user = User.objects.get(username="chloe.durand@example.org")
    assert user.is_active and user.check_password(NEW_PASSWORD)  # the first sign-up's password


def test_resending_the_verification_e_mail(client, post, mailoutbox):
    sign_up(post, mailoutbox)
    answers = [post("/accounts/signup/resend/", {"email": address})
               for address in ["chloe.durand@example.org", "nobody@example.org"]]
    assert {(r.status_code, r["Location"]) for r in answers} == {(302, "/accounts/signup/sent/")}
    mails = delivered(mailoutbox)
    assert [m.to for m in mails] == [["Chloe.Durand@example.org"]]
    assert verify(client, link(mails[0], "/accounts/signup/verify/")).status_code == 302
    assert [e.detail["via"] for e in actions("account.signup_verification_sent")] == [
        "sign-up", "resend"]


def test_an_address_gets_a_few_messages_an_hour_at_most(post, mailoutbox):
    sign_up(post, mailoutbox)
    for _ in range(10):
        post("/accounts/signup/resend/", {"email": FORM["email"]})
    assert len(delivered(mailoutbox)) == signup.MAILS_PER_HOUR - 1


def test_addresses_are_unique_whatever_the_case(make_user):
    make_user("alice")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("alice2", "Alice@Example.org", PASSWORD)
    # Accounts without an address are many.
    User.objects.create_user("x1", "", PASSWORD)
    User.objects.create_user("x2", "", PASSWORD)


def test_password_reset_end_to_end(client, post, mailoutbox, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    alice = make_user("alice")
    alice.language = "en"
    alice.save()
    login_page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/accounts/password-reset/"' in login_page
    assert 'href="/accounts/signup/"' in login_page

    for address in ["ALICE@example.org", "nobody@example.org"]:
        response = post("/accounts/password-reset/", {"email": address})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/password-reset/sent/"
    mails = delivered(mailoutbox)
    assert [m.to for m in mails] == [["alice@example.org"]]
    assert mails[0].subject == "[Hygie] Choose a new password"  # her language only
    assert "Choisissez" not in mails[0].body
    path = link(mails[0], "/accounts/password-reset/")
    token = path.split("/")[-2]

    form = client.get(path, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    set_path = form.redirect_chain[-1][0]
    assert token not in set_path
    done = post(set_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/password-reset/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    changed = delivered(mailoutbox)
    assert [m.to for m in changed] == [["alice@example.org"]]
    assert changed[0].subject == "[Hygie] Your password was changed"

    reused = client.get(path, follow=True)
    assert not reused.context["validlink"]
    assert client.post("/accounts/login/", {"username": "alice", "password": NEW_PASSWORD}
                       ).status_code == 302

    requested = actions("account.password_reset_requested")
    assert [e.target_id for e in requested] == [str(alice.pk), ""]
    assert actions("account.password_reset_done")[0].actor == alice
    trail = json.dumps([e.detail for e in AuditEvent.objects.all()])
    for secret in (token, NEW_PASSWORD, PASSWORD):
        assert secret not in trail and secret not in caplog.text


def test_inactive_accounts_get_no_reset_link(post, mailoutbox):
    sign_up(post, mailoutbox)
    response = post("/accounts/password-reset/", {"email": FORM["email"]})
    assert response.status_code == 302 and delivered(mailoutbox) == []


def test_no_password_or_token_in_the_trail_or_logs_of_a_sign_up(client, post, mailoutbox,
                                                               caplog):
    caplog.set_level(logging.DEBUG)
    path = link(sign_up(post, mailoutbox)[0], "/accounts/signup/verify/")
    token = path.split("/")[-2]
    assert verify(client, path).status_code == 302
    trail = json.dumps([e.detail for e in AuditEvent.objects.all()])
    for secret in (token, NEW_PASSWORD):
        assert secret not in trail and secret not in caplog.text


def test_cnil_agents_are_staff_with_a_second_factor(make_user):
    agent = make_user("agent", role=Role.CNIL)
    assert Role.CNIL == "cnil" and agent.needs_two_factor
