"""The guichet in a real browser against `hygie serve`: an applicant signs up, verifies their
address, writes a file and submits it; a secretariat agent forwards it and puts it on a CESREES
session; the rapporteur declares no conflict and gives the committee's opinion; a CNIL agent
authorises it; a visitor finds the project and the delay dashboard in the public register.
axe-core checks each kind of page on the way."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.web.conftest import PASSWORD
from tests.web.guichet_files import minimal_pdf
from tests.web.helpers import assert_accessible, totp_now

pytestmark = pytest.mark.browser

TITLE = "Metformine et risque de cancer chez les diabétiques de type 2"

STAFF = """
import json
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from hygie.web.accounts.models import User
keys = {}
for name, role, first, last in (("walk-sec", "secretariat", "Sam", "Secretariat"),
                                ("walk-rap", "cesrees", "Rita", "Rapporteur"),
                                ("walk-cnil", "cnil", "Claude", "Cnil")):
    user = User.objects.create_user(name, name + "@example.org", %(password)r,
                                    first_name=first, last_name=last)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    keys[name] = TOTPDevice.objects.create(user=user, name="phone", confirmed=True).key
print(json.dumps(keys))
"""


def english(page: Any, url: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": url}])


def staff_sign_in(page: Any, url: str, username: str, key: str, then: str) -> None:
    english(page, url)
    page.goto(f"{url}/accounts/login/?next={then}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))
    device = SimpleNamespace(bin_key=bytes.fromhex(key), step=30, t0=0, digits=6, drift=0)
    page.fill("#id_token", totp_now(device))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(then) + "$"))


def verification_link(home: Path, address: str) -> str:
    """The link of the verification e-mail for `address`, once the mail worker has written it
    (the file backend: one file per message batch)."""
    deadline = time.time() + 60
    while time.time() < deadline:
        for mail in (home / "mail").glob("*.log"):
            text = mail.read_text(encoding="utf-8", errors="replace")
            if f"To: {address}" in text:
                found = re.search(r"https?://[^/\s]+(/accounts/signup/verify/\S+/)", text)
                if found:
                    return found.group(1)
        time.sleep(0.5)
    raise AssertionError(f"no verification e-mail to {address}")


def step(page: Any, kind: str) -> None:
    """Open the form of step `kind` from the file page."""
    page.locator(f"a[data-step={kind}]").click()
    page.wait_for_url(re.compile(rf"/step/{kind}/$"))


def submit_step(page: Any) -> None:
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert re.search(r"/guichet/\d+/$", page.url), page.locator("main").inner_text()[:3000]


def test_a_file_from_sign_up_to_authorisation_and_the_register(site, browser, page, tmp_path):
    keys = json.loads(site.python(STAFF % {"password": PASSWORD}).strip().splitlines()[-1])

    # An applicant signs up and verifies their address.
    english(page, site.url)
    page.goto(f"{site.url}/accounts/login/")
    page.get_by_role("link", name=re.compile("Create an account|Sign up")).first.click()
    page.wait_for_url(re.compile(r"/accounts/signup/$"))
    assert_accessible(page)
    page.fill("#id_email", "ana.lyst@chu-lille.example")
    page.fill("#id_first_name", "Ana")
    page.fill("#id_last_name", "Lyst")
    page.fill("#id_organisation", "CHU de Lille")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/signup/sent/$"))
    page.goto(site.url + verification_link(site.home, "ana.lyst@chu-lille.example"))
    page.get_by_role("button", name="Activate my account").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", "ana.lyst@chu-lille.example")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    # The applicant writes the file.
    page.goto(f"{site.url}/guichet/")
    page.get_by_role("link", name="New file").click()
    page.wait_for_url(re.compile(r"/guichet/new/$"))
    assert_accessible(page)
    page.locator("input[name=procedure][value=authorisation]").check(force=True)
    if page.locator("#id_title").count():
        page.fill("#id_title", TITLE)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/guichet/\d+/(edit/)?$"))
    file_url = re.sub(r"edit/$", "", page.url)
    page.goto(file_url + "edit/")
    for field, value in (("title", TITLE), ("controller", "CHU de Lille"),
                         ("purpose", "Estimate the risk of cancer under metformin."),
                         ("public_interest", "Drug safety for 4 million people."),
                         ("lay_summary", "Le risque de cancer chez les diabétiques traités."),
                         ("methodology", "Cohort study, Cox models."), ("funding", "ANR"),
                         ("conflicts_of_interest", "none"),
                         ("publication_plan", "Open access article."),
                         ("outputs", "Hazard ratios and aggregated tables."),
                         ("variables", "ER_PRS_F.PRS_NAT_REF"),
                         ("period_start", "2019-01-01"), ("period_end", "2022-12-31"),
                         ("duration_months", "24")):
        page.fill(f"#id_{field}", value)
    page.get_by_label("French National Health Data System (SNDS), main base").check(force=True)
    page.locator("input[name=processing][value=platform]").check(force=True)
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_load_state()
    assert "Draft saved." in page.content(), page.locator("main").inner_text()[:3000]
    page.goto(file_url + "edit/")
    page.fill("#id_name", "Ana Lyst")
    page.fill("#id_email", "ana.lyst@chu-lille.example")
    page.select_option("#id_role", "investigator")
    page.get_by_role("button", name="Add to the team").click()
    page.wait_for_load_state()
    protocol = tmp_path / "protocole.pdf"
    protocol.write_bytes(minimal_pdf())
    page.goto(file_url + "edit/")
    page.select_option("#id_kind", "protocol")
    page.set_input_files("#id_file", str(protocol))
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.goto(file_url)
    assert_accessible(page)
    step(page, "submit")
    submit_step(page)
    assert "Submitted" in page.locator("main").inner_text() or "secretariat" in page.locator(
        "main").inner_text()
    reference = re.search(r"HYG-\d{4}-\d{5}", page.locator("main").inner_text()).group(0)
    page.context.clear_cookies()

    # The secretariat forwards it and puts it on a session, with a rapporteur.
    staff_sign_in(page, site.url, "walk-sec", keys["walk-sec"], "/guichet/desk/")
    assert reference in page.locator("main").inner_text()
    assert_accessible(page)
    page.goto(file_url)
    step(page, "forward_to_cesrees")
    assert_accessible(page)
    submit_step(page)
    page.goto(f"{site.url}/guichet/desk/sessions/new/")
    page.fill("#id_date", "2030-01-15")
    page.fill("#id_title", "Séance plénière")
    page.get_by_label(re.compile("Rita Rapporteur")).check(force=True)
    page.get_by_role("button", name="Create the session").click()
    page.wait_for_url(re.compile(r"/guichet/desk/sessions/\d+/$"))
    session_url = page.url
    page.locator("#id_application").select_option(index=1)
    page.locator("#id_rapporteur").select_option(index=1)
    page.get_by_role("button", name="Put on the agenda").click()
    page.wait_for_load_state()
    assert reference in page.locator(".agenda").inner_text()
    assert_accessible(page)
    page.context.clear_cookies()

    # The rapporteur declares no conflict and records the committee's opinion.
    staff_sign_in(page, site.url, "walk-rap", keys["walk-rap"], session_url.replace(
        site.url, ""))
    page.get_by_role("link", name="Declare your interests").click()
    page.locator("input[name=conflict][value=no]").check(force=True)
    page.get_by_role("button", name="Record my declaration").click()
    page.wait_for_load_state()
    page.goto(file_url)
    step(page, "cesrees_opinion")
    page.locator("input[name=opinion][value=favourable-with-recommendations]").check(force=True)
    page.fill("#id_reasons", "Sound design; add a sensitivity analysis on exposure windows.")
    submit_step(page)
    page.context.clear_cookies()

    # The CNIL agent authorises it.
    staff_sign_in(page, site.url, "walk-cnil", keys["walk-cnil"], "/guichet/desk/")
    page.goto(file_url)
    step(page, "cnil_authorisation")
    page.fill("#id_scope", "Adults with type 2 diabetes, DCIR and PMSI 2019-2022")
    page.fill("#id_conditions", "Processing on the platform only.")
    page.fill("#id_until", "2032-12-31")
    submit_step(page)
    assert "Authorised" in page.locator("main").inner_text()
    page.context.clear_cookies()

    # A visitor finds it in the public register, with the decision, and the delays.
    english(page, site.url)
    page.goto(f"{site.url}/register/")
    assert_accessible(page)
    page.fill("#id_q", "Metformine")
    page.locator("#id_q").press("Enter")
    page.wait_for_load_state()
    page.get_by_role("link", name=re.compile(re.escape(reference))).first.click()
    page.wait_for_url(re.compile(r"/register/\d+/$"))
    text = page.locator("main").inner_text()
    assert TITLE in text and "CHU de Lille" in text and "Authorised" in text
    assert "sensitivity analysis" in text  # the opinion's reasons are public
    assert "Ana" not in text and "ana.lyst" not in text  # the applicant is not
    assert_accessible(page)
    page.goto(f"{site.url}/register/delays/")
    assert "Authorisation" in page.locator("main").inner_text()
    assert_accessible(page)
