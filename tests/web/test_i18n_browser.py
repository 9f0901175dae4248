"""The UI is French by default and switches to English, in a real browser."""

from __future__ import annotations

import re

import pytest

from tests.web.helpers import assert_accessible

pytestmark = pytest.mark.browser


def test_french_by_default_then_english_on_request(site, page):
    page.goto(f"{site.url}/catalogue/snds/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Tables", exact=True).is_visible()
    assert page.get_by_role("navigation", name="Principal").get_by_role("link", name="Catalogue").is_visible()
    search = page.get_by_role("searchbox", name="Rechercher dans le catalogue")
    assert search.is_visible()
    assert_accessible(page)
    # The language switch is a form button in the header: keyboard-reachable, no script needed.
    page.get_by_role("button", name="English").click()
    page.wait_for_url(re.compile(r"/catalogue/snds/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("searchbox", name="Search the catalogue").is_visible()
    assert page.get_by_role("heading", name="Relations between tables").is_visible()
    assert_accessible(page)
    # The choice sticks across pages, and the way back is offered.
    page.goto(f"{site.url}/catalogue/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
