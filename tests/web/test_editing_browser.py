"""In a real browser against `hygie serve`: an editor signs in with TOTP, uploads a Data Package as
a new version and submits it; the catalogue team publishes it; the public sees it and what
changed."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from tests.web.conftest import PASSWORD
from tests.web.helpers import assert_accessible, totp_now

pytestmark = pytest.mark.browser
SLUG = "urgences-navigateur"


def package(age_description: str) -> dict:
    return {"name": "urgences", "resources": [
        {"name": "PASSAGES", "path": "passages.csv", "title": "Passages aux urgences",
         "schema": {"fields": [
             {"name": "id", "type": "string", "constraints": {"required": True}},
             {"name": "age", "type": "integer", "description": age_description},
             {"name": "ccmu", "type": "string", "nomenclature": "CCMU"}],
             "primaryKey": "id"}},
        {"name": "CCMU", "title": "Gravité", "nomenclature": {"code": "code", "label": "label"},
         "data": [["code", "label"], ["1", "Stable"], ["5", "Réanimation"]]}]}


ARRANGE = """  # a holder, its dataset with a published v1, an editor and a catalogue-team member
import json
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from hygie.catalogue.frictionless import parse_descriptor
from hygie.web.accounts.models import User
from hygie.web.catalogue import workflow
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import DataHolder, Dataset, Membership

holder = DataHolder.objects.create(slug=%(slug)r, name="Observatoire des urgences")
dataset = Dataset.objects.create(slug=%(slug)r, holder=holder, title_fr="Urgences (essai)")
v1 = import_version(dataset, parse_descriptor(%(package)r))
workflow.mark_published(v1, None)
keys = {}
for name, role in ((%(editor)r, None), (%(team)r, "catalogue-team")):
    user = User.objects.create_user(name, name + "@example.org", %(password)r)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    else:
        Membership.objects.create(user=user, holder=holder)
    keys[name] = TOTPDevice.objects.create(user=user, name="phone", confirmed=True).key
print(json.dumps(keys))
"""


def arrange(site, slug: str, editor: str, team: str) -> dict[str, str]:
    """Create the entries and people of a test; their TOTP keys, by username."""
    out = site.python(ARRANGE % {"slug": slug, "password": PASSWORD, "editor": editor,
                                 "team": team, "package": json.dumps(package("Âge"))})
    return json.loads(out.strip().splitlines()[-1])


def sign_in(page, url: str, username: str, key: str, slug: str = SLUG) -> None:
    page.goto(f"{url}/accounts/login/?next=/catalogue/{slug}/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))
    device = SimpleNamespace(bin_key=bytes.fromhex(key), step=30, t0=0, digits=6, drift=0)
    page.fill("#id_token", totp_now(device))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/catalogue/{slug}/$"))


def test_an_upload_goes_from_draft_to_the_public_page(site, browser, page, tmp_path):
    keys = arrange(site, SLUG, "ed-browser", "team-browser")

    # The editor uploads version 2, where "age" is described anew.
    sign_in(page, site.url, "ed-browser", keys["ed-browser"])
    assert page.locator("#editing").count() == 1
    page.locator("#upload-version").click()
    page.wait_for_url(re.compile(rf"/catalogue/{SLUG}/upload/$"))
    assert_accessible(page)
    path = tmp_path / "urgences.json"
    path.write_text(json.dumps(package("Âge en années révolues à l'arrivée")), encoding="utf-8")
    page.set_input_files("#id_file", str(path))
    page.fill("#id_label", "2024")
    page.fill("#id_change_note", "Description de l'âge précisée")
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/catalogue/{SLUG}/v2/$"))
    assert page.locator("#version-status").get_attribute("class").endswith("status-draft")
    assert_accessible(page)
    page.locator("#submit-version").click()
    page.wait_for_url(re.compile(rf"/catalogue/{SLUG}/v2/$"))
    assert page.locator("#version-status").get_attribute("class").endswith("status-review")
    assert page.locator("#publish-version").count() == 0

    # The catalogue team publishes it.
    team = browser.new_context(locale="fr-FR")
    try:
        team_page = team.new_page()
        team_page.set_default_timeout(20_000)
        sign_in(team_page, site.url, "team-browser", keys["team-browser"])
        team_page.goto(f"{site.url}/catalogue/editing/")
        team_page.locator("#in-review a", has_text="Urgences (essai)").first.click()
        team_page.wait_for_url(re.compile(rf"/catalogue/{SLUG}/v2/$"))
        assert_accessible(team_page)
        team_page.locator("#publish-version").click()
        team_page.wait_for_url(re.compile(rf"/catalogue/{SLUG}/v2/$"))
        assert team_page.locator("#version-status").get_attribute("class").endswith(
            "status-published")
    finally:
        team.close()

    # Anyone: the dataset page shows version 2, and its changes name the changed variable.
    public = browser.new_context(locale="fr-FR")
    try:
        anon = public.new_page()
        anon.set_default_timeout(20_000)
        anon.goto(f"{site.url}/catalogue/{SLUG}/")
        assert anon.locator("#editing").count() == 0
        assert anon.locator("main .fr-badges-group .status-published").count() == 1
        assert re.search(r"\b2\b", anon.locator("main .fr-badges-group").first.inner_text())
        anon.locator(f"a[href='/catalogue/{SLUG}/v2/changes/']").click()
        anon.wait_for_url(re.compile(rf"/catalogue/{SLUG}/v2/changes/$"))
        change = anon.locator("tr.variable-change[data-variable='age']")
        assert change.count() == 1
        assert change.locator("del").inner_text() == "Âge"
        assert change.locator("ins").inner_text() == "Âge en années révolues à l'arrivée"
        assert_accessible(anon)
    finally:
        public.close()


def test_the_editing_pages_are_accessible(site, page, tmp_path):
    slug = "urgences-pages"
    keys = arrange(site, slug, "ed-pages", "team-pages")
    sign_in(page, site.url, "ed-pages", keys["ed-pages"], slug)
    pages = [("/catalogue/editing/", "#create-dataset"), ("/catalogue/new/", "#dataset-form"),
             (f"/catalogue/{slug}/edit/", "#dataset-form"), (f"/catalogue/{slug}/audit/", "#audit")]
    for path, landmark in pages:
        page.goto(site.url + path)
        assert page.locator(landmark).count() == 1, path
        assert_accessible(page)
    # A form sent with an error keeps its labels and says what is wrong.
    page.goto(f"{site.url}/catalogue/{slug}/edit/")
    page.fill("#id_licence", "not an address")
    page.fill("#id_title_fr", "Urgences (essai), modifiée")
    page.locator("#dataset-form button[type=submit]").click()
    assert page.locator("#dataset-form .error").count() == 1
    assert_accessible(page)
    # A draft's descriptions, edited from the keyboard.
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package("Âge à l'arrivée")), encoding="utf-8")
    page.goto(f"{site.url}/catalogue/{slug}/upload/")
    page.set_input_files("#id_file", str(path))
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/catalogue/{slug}/v2/$"))
    page.locator("#edit-descriptions").click()
    page.wait_for_url(re.compile(rf"/catalogue/{slug}/v2/describe/$"))
    assert_accessible(page)
    page.locator("main table a", has_text="PASSAGES").click()
    page.wait_for_url(re.compile(r"/tables/PASSAGES/describe/$"))
    assert_accessible(page)
    page.locator("#id_var-1-description_en").focus()
    page.keyboard.type("Age in whole years")
    page.locator("#describe-form button[type=submit]").press("Enter")
    page.wait_for_url(re.compile(rf"/catalogue/{slug}/v2/tables/PASSAGES/$"))
    page.goto(f"{site.url}/catalogue/{slug}/audit/")
    edited = page.locator("tr[data-action='catalogue.descriptions_edited']")
    assert edited.count() == 1
    assert "Age in whole years" in edited.inner_text()
    assert_accessible(page)

