"""A newcomer's first visit, in a real browser against `hygie serve` started as `make serve` starts
it: search, a dataset, a table, a code list, the cohort builder with its code lookup, a count that
works, and a wrong address; in French and in English, on a wide screen and at 375 px wide. axe-core
checks every page of the walk and no page scrolls sideways.

`tools/screenshots.py` runs this walk with HYGIE_SCREENSHOTS set to save the pictures of
`docs/screenshots/`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PASSWORD
from tests.web.helpers import assert_accessible

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("HYGIE_SCREENSHOTS", "")
WIDTHS = {"wide": 1280, "phone": 375}
WORDS = {  # what the newcomer reads and clicks, in each language
    "fr": {"search": "diabète", "sign_in": "Se connecter", "builder": "Nouvelle cohorte avec le formulaire",
           "save": "Enregistrer la cohorte", "count": re.compile("Lancer les comptages|Compter à nouveau"),
           "counted": "Comptée", "failed": "Échec", "not_found": "Page introuvable", "tables": "Tables",
           "cohort": "Metformine", "metformin": "metformine"},
    "en": {"search": "diabetes", "sign_in": "Sign in", "builder": "New cohort with the builder",
           "save": "Save the cohort", "count": re.compile("Run the counts|Count again"),
           "counted": "Counted", "failed": "failed", "not_found": "Page not found", "tables": "Tables",
           "cohort": "Metformin", "metformin": "metformine"},
}


class Walk:
    def __init__(self, page: Any, lang: str, width: str) -> None:
        self.page, self.lang, self.width = page, lang, width

    def check(self, name: str) -> None:
        """The page passes axe, fits the screen's width, and is pictured when asked."""
        page = self.page
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == self.lang
        assert_accessible(page)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= WIDTHS[self.width], f"{name}: the page is {scroll} px wide"
        if SHOTS:
            folder = Path(SHOTS)
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / f"{self.lang}-{self.width}-{name}.png"))


def open_page(browser: Any, lang: str, width: str) -> Any:
    context = browser.new_context(locale={"fr": "fr-FR", "en": "en-GB"}[lang],
                                  viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("width", ["wide", "phone"])
def test_a_newcomer_finds_data_builds_a_cohort_and_counts(site, browser, lang, width):
    words = WORDS[lang]
    page = open_page(browser, lang, width)
    walk = Walk(page, lang, width)
    user = f"newcomer-{lang}-{width}"
    site.python("from hygie.web.accounts.models import User; "
                f"User.objects.create_user({user!r}, '{user}@example.org', {PASSWORD!r})")

    page.goto(site.url + "/")
    walk.check("home")

    # Search from the home page's own search box (the header's is behind a button on a phone).
    page.fill("#home-q", words["search"])
    page.press("#home-q", "Enter")
    page.wait_for_url(re.compile(r"/catalogue/search/\?q="))
    hits = page.locator("main")
    expect(hits.get_by_role("link", name=re.compile(r"^E11\b")).first).to_be_visible()
    walk.check("search")

    # The dataset, then one of its tables.
    page.goto(site.url + "/catalogue/snds/")
    expect(page.get_by_role("heading", name=words["tables"], exact=True)).to_be_visible()
    walk.check("dataset")
    page.goto(site.url + "/catalogue/snds/v1/tables/IR_BEN_R/")
    expect(page.locator("h1")).to_contain_text("IR_BEN_R")
    walk.check("table")

    # A code link lands on its code, highlighted, in its list.
    page.goto(site.url + "/catalogue/snds/codes/IR_SEX_V/")
    expect(page.locator("h1")).to_contain_text("IR_SEX_V")
    walk.check("codes")

    # Sign in, build a cohort with the code lookup, count it.
    page.goto(site.url + "/accounts/login/?next=/feasibility/")
    page.fill("#id_username", user)
    page.fill("#id_password", PASSWORD)
    page.locator("main").get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_url(re.compile(r"/feasibility/$"))
    walk.check("cohorts")
    page.get_by_role("link", name=words["builder"]).click()
    page.wait_for_url(re.compile(r"/feasibility/new/$"))
    assert page.input_value("#id_dataset") == "snds"  # the dataset with data, by default
    page.fill("#id_name", words["cohort"])
    page.fill("#id_period_start", "2020-01-01")
    page.fill("#id_period_end", "2021-12-31")
    page.select_option("#id_entry-0-kind", "dispensed")
    lookup = page.locator("#id_entry-0-lookup")
    lookup.press_sequentially("metform", delay=30)  # nobody knows metformin is A10BA02
    page.get_by_role("option", name=re.compile("A10BA02")).first.wait_for()
    walk.check("builder")
    lookup.press("ArrowDown")
    lookup.press("Enter")
    assert page.input_value("#id_entry-0-codes") == "A10BA02"
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_url(re.compile(r"/feasibility/cohorts/\d+/$"))

    # The count works out of the box (development secret and synthetic data made by serve).
    page.get_by_role("button", name=words["count"]).click()
    state = page.locator("#count-state")
    state.filter(has_text=re.compile(words["counted"] + "|" + words["failed"])).wait_for(
        timeout=120_000)
    assert words["counted"] in state.inner_text(), state.inner_text()
    first = page.locator("table.counts tbody tr").first
    first.wait_for()
    assert "A10BA02" in first.inner_text() and words["metformin"] in first.inner_text()
    people = first.locator("td").nth(2).inner_text().replace("\u202f", "").replace(",", "")
    assert people.isdigit() and int(people) >= 11 and int(people) % 5 == 0, people
    walk.check("count")

    # A wrong address: the site's own page, in the language, with a way on.
    response = page.goto(site.url + "/nulle-part/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text(words["not_found"])
    walk.check("404")
    page.context.close()
