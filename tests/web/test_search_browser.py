"""Search in a real browser against a real server: from the header search box to a disease's
diagnosis variables, a facet, and on to the table page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.helpers import assert_accessible

pytestmark = pytest.mark.browser


def test_search_diabetes_from_the_header_to_the_variable(site, page):
    page.goto(site.url + "/")
    page.fill("#site-q", "diabète")
    page.press("#site-q", "Enter")
    page.wait_for_url(re.compile(r"/catalogue/search/\?q="))
    lists = page.locator("section.lists")
    expect(lists.get_by_role("link", name="IR_IMB_R.MED_MTF_COD")).to_be_visible()
    expect(lists.get_by_role("link", name="T_MCOaaB.DGN_PAL")).to_be_visible()
    expect(page.locator("#search-q")).to_have_value("diabète")
    assert_accessible(page)

    # A facet narrows the results: PMSI MCO reaches the PMSI diagnosis list, not the ALD one.
    total = page.locator("p.total").inner_text()
    page.get_by_label("PMSI MCO").check()
    page.locator(".facet-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"product=PMSI\+MCO"))
    assert page.locator("p.total").inner_text() != total
    expect(page.locator("section.lists").get_by_role("link", name="T_MCOaaB.DGN_PAL")).to_be_visible()
    expect(page.locator("section.lists").get_by_role("link", name="IR_IMB_R.MED_MTF_COD")
           ).to_have_count(0)
    assert_accessible(page)

    # Following the variable lands on its table, at its row.
    page.locator("section.lists").get_by_role("link", name="T_MCOaaB.DGN_PAL").click()
    page.wait_for_url(re.compile(r"/catalogue/snds/v1/tables/T_MCOaaB/#var-DGN_PAL$"))
    row = page.locator("#var-DGN_PAL")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Diagnostic principal")


def test_hostile_search_in_the_browser(site, page):
    page.goto(site.url + "/catalogue/search/?q=" + "%22%29%28*NEAR%3A-AND%3Cscript%3E")
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("() => document.querySelectorAll('main script').length") == 0
    page.fill("#search-q", "xyzzyplugh")
    page.press("#search-q", "Enter")
    expect(page.locator("p.empty")).to_be_visible()
    assert_accessible(page)
