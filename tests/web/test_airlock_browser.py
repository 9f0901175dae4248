"""The airlock in a real browser against `hygie serve`: a member asks to release a table of the
workspace's outputs, two output checkers (signed in with their second factor) find it in their
queue and approve it, and the member downloads the approved file. axe-core checks each page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.helpers import PASSWORD, assert_accessible
from tests.web.test_guichet_browser import staff_sign_in

pytestmark = pytest.mark.browser

TABLE = "sex,year,patients\nF,2021,120\nM,2021,95\n"
ARRANGE = """
import json
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from hygie.web.accounts.models import User
from hygie.web.guichet.models import Application
from hygie.web.workspaces.models import Workspace
keys = {}
for name, role in (("al-member", None), ("al-checker-a", "output-checker"),
                   ("al-checker-b", "output-checker")):
    user = User.objects.create_user(name, name + "@example.org", %(password)r,
                                    first_name=name.split("-")[-1].title(), last_name="Walker")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    keys[name] = TOTPDevice.objects.create(user=user, name="phone", confirmed=True).key
member = User.objects.get(username="al-member")
application = Application.objects.create(procedure="authorisation", applicant=member,
                                         title="Metformin and cancer", stage="authorised",
                                         received=timezone.now())
workspace = Workspace.objects.create(application=application, folder="airlock-walk",
                                     state="ready", current_extract=1)
workspace.layout.create()
(workspace.layout.outputs / "patients_by_sex.csv").write_text(%(table)r, encoding="utf-8")
print(json.dumps({"keys": keys, "pk": workspace.pk}))
"""


def review(browser: Any, site: Any, username: str, key: str, title: str) -> None:
    """An output checker signs in, opens the request from their queue and approves it."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        staff_sign_in(page, site.url, username, key, "/airlock/queue/")
        assert_accessible(page)
        page.locator("#queue a", has_text=title).click()
        page.wait_for_url(re.compile(r"/airlock/\d+/$"))
        assert page.locator(".finding-none").count() == 1  # nothing found by the checks
        assert_accessible(page)
        page.locator("input[name=decision][value=approve]").check(force=True)
        page.locator("#review-form button[type=submit]").click()
        page.wait_for_load_state()
        assert "Your review is recorded." in page.content()
    finally:
        context.close()


def test_a_member_releases_a_table_through_two_checkers(site: Any, browser: Any,
                                                         page: Any) -> None:
    arranged = json.loads(site.python(ARRANGE % {"password": PASSWORD, "table": TABLE})
                          .strip().splitlines()[-1])
    pk, keys = arranged["pk"], arranged["keys"]
    title = "Patients by sex, 2021"

    # The member asks for the release.
    staff_sign_in(page, site.url, "al-member", keys["al-member"], f"/airlock/workspace/{pk}/")
    assert_accessible(page)
    page.get_by_role("link", name="New release request").click()
    page.wait_for_url(re.compile(rf"/airlock/workspace/{pk}/new/$"))
    assert_accessible(page)
    page.fill("#id_title", title)
    page.fill("#id_purpose", "Table 1 of the article.")
    page.select_option("#id_files-0-file", "patients_by_sex.csv")
    page.fill("#id_files-0-counts", "patients")
    page.fill("#id_files-0-keys", "sex, year")
    page.locator("#release-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/airlock/\d+/$"))
    request_url = page.url
    assert page.locator(".release-status").text_content().strip() == "awaiting review"
    assert page.locator(".file-download").count() == 0  # nothing to download before approval
    assert_accessible(page)

    # Two output checkers approve it.
    review(browser, site, "al-checker-a", keys["al-checker-a"], title)
    review(browser, site, "al-checker-b", keys["al-checker-b"], title)

    # The member downloads the approved file.
    page.goto(request_url)
    assert page.locator(".release-status").text_content().strip() == "approved"
    assert_accessible(page)
    with page.expect_download() as info:
        page.locator(".file-download").first.click()
    download = info.value
    assert download.suggested_filename == "patients_by_sex.csv"
    assert Path(download.path()).read_text(encoding="utf-8") == TABLE
