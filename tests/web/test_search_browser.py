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
    # A DSFR checkbox is drawn by its label, which takes the click.
    page.locator(".facet-form label", has_text="PMSI MCO").click()
    expect(page.get_by_label("PMSI MCO")).to_be_checked()
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


def test_a_code_hit_lands_on_its_row_and_the_list_can_be_searched(site, page):
    page.goto(site.url + "/catalogue/search/?q=diab%C3%A8te&kind=code")
    page.locator("ol.hits").get_by_role("link", name="E11", exact=True).first.click()
    page.wait_for_url(re.compile(r"/codes/IR_CIM_V/\?code=E11#code-E11$"))
    row = page.locator("#code-E11")
    expect(row).to_be_visible()
    expect(row).to_have_attribute("aria-current", "true")
    expect(row).to_contain_text("Diabète sucré de type 2")
    assert_accessible(page)

    page.fill("#code-q", "insuffisance cardiaque")
    page.press("#code-q", "Enter")
    page.wait_for_url(re.compile(r"q=insuffisance\+cardiaque"))
    expect(page.locator("#code-I50")).to_be_visible()
    expect(page.locator("#code-E11")).to_have_count(0)
    assert_accessible(page)


def test_nothing_found_offers_suggestions(site, page):
    page.goto(site.url + "/catalogue/search/?q=hospitalizaton")
    expect(page.locator("p.empty")).to_be_visible()
    page.locator("#suggestions").get_by_role("link", name="hospitalisation").click()
    page.wait_for_url(re.compile(r"q=hospitalisation"))
    expect(page.locator("#kind-table")).to_be_visible()
    assert_accessible(page)
