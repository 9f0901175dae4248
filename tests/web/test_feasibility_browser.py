"""Feasibility in a real browser against `hygie serve` (its task worker counts in the background)
on a 3,000-person synthetic SNDS: build a cohort with the form, run its counts, read the
attrition table; write one in the YAML editor, see its error next to the field, fix it; find a
code by its label in the builder's combobox; add and remove criteria."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import PASSWORD
from tests.web.helpers import assert_accessible

pytestmark = pytest.mark.browser

MARK = re.compile(r"^(<11|\d{1,3}(,\d{3})*)$")  # English grouping: "1,235"


def sign_up_and_in(site: Any, page: Any, username: str) -> None:
    site.python("from hygie.web.accounts.models import User; "
                f"User.objects.create_user({username!r}, '{username}@example.org', {PASSWORD!r})")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    page.goto(f"{site.url}/accounts/login/?next=/feasibility/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").last.click()
    page.wait_for_url(f"{site.url}/feasibility/")


def run_counts(page: Any) -> list[list[str]]:
    """Press the count button and wait for the table (feasibility.js polls the job's state)."""
    page.get_by_role("button", name=re.compile("Run the counts|Count again")).click()
    state = page.locator("#count-state")
    state.filter(has_text=re.compile("Counted|Failed|failed|error")).wait_for(timeout=120_000)
    assert "Counted" in state.inner_text(), state.inner_text()
    table = page.locator("table.counts")
    table.wait_for()
    assert "rounded to 5" in table.locator("caption").inner_text()
    rows = table.locator("tbody tr")
    return [[rows.nth(i).locator("td").nth(k).inner_text() for k in range(3)]
            for i in range(rows.count())]


def test_build_a_cohort_and_read_its_attrition(site, page):
    sign_up_and_in(site, page, "applicant")
    page.get_by_role("link", name="New cohort with the builder").click()
    assert_accessible(page)
    page.fill("#id_name", "Type 2 diabetes")
    page.select_option("#id_dataset", "snds")
    page.fill("#id_period_start", "2020-01-01")
    page.fill("#id_period_end", "2021-12-31")
    page.select_option("#id_entry-0-kind", "diagnosed")
    page.fill("#id_entry-0-codes", "E11*")
    page.get_by_role("button", name="Add an event").click()
    page.select_option("#id_entry-1-kind", "dispensed")
    page.fill("#id_entry-1-codes", "A10BA02")
    page.get_by_role("button", name="Add a criterion").click()
    page.select_option("#id_rule-0-kind", "age")
    page.fill("#id_rule-0-age_min", "18")
    page.get_by_role("button", name="Save the cohort").click()
    page.wait_for_url(re.compile(r"/feasibility/cohorts/\d+/$"))
    definition = page.locator("pre.definition").inner_text()
    assert "diagnosed: entry_1" in definition and "A10BA02" in definition

    steps = run_counts(page)
    assert [s[0] for s in steps] == ["0", "1"]
    assert steps[0][1] == ("Entry: diagnosis ICD-10 E11* (Diabète sucré de type 2) or drug "
                           "dispensed ATC A10BA02 (metformine), the first time in 2020–2021")
    assert steps[1][1] == "Required: aged 18 or over at the index date"
    assert all(MARK.match(s[2]) for s in steps), steps
    people = int(steps[0][2].replace(",", ""))  # 3,000 people: diabetics are well over 10
    assert people >= 11 and people % 5 == 0
    assert_accessible(page)


def test_yaml_editor_shows_the_error_place_then_saves(site, page):
    sign_up_and_in(site, page, "writer")
    page.get_by_role("link", name="New cohort in the targeting language (YAML)").click()
    page.fill("#id_name", "Metformin, women")
    page.select_option("#id_dataset", "snds")  # the one with data attached
    text = page.input_value("#id_definition")
    assert "name: t2d_adults" in text  # an example to start from
    bad = text + "exclude:\n  - dispensed: metformin\n    window: [-1 day, -365 days]\n"
    page.fill("#id_definition", bad)
    page.get_by_role("button", name="Check and save").click()
    error = page.locator("#id_definition_error")
    assert "exclude[0].window: start after end" in error.inner_text()
    assert "id_definition_error" in (page.get_attribute("#id_definition", "aria-describedby")
                                     or "")
    assert_accessible(page)
    page.fill("#id_definition", text.replace("require:\n", "require:\n  - sex: female\n"))
    page.get_by_role("button", name="Check and save").click()
    page.wait_for_url(re.compile(r"/feasibility/cohorts/\d+/$"))
    steps = run_counts(page)
    assert [s[1] for s in steps][1:] == ["Required: women",
                                         "Required: aged 18 or over at the index date"]
    assert all(MARK.match(s[2]) for s in steps), steps
    # The status endpoint (what feasibility.js polls) agrees with the page.
    status = page.request.get(page.url + "status/").json()
    assert status["state"] == "done" and status["counting"] is False


def test_find_a_code_by_its_label_in_the_builder(site, page):
    sign_up_and_in(site, page, "finder")
    page.goto(f"{site.url}/feasibility/new/")
    page.select_option("#id_entry-0-kind", "dispensed")
    lookup = page.locator("#id_entry-0-lookup")
    assert lookup.get_attribute("role") == "combobox"
    assert lookup.get_attribute("aria-expanded") == "false"
    assert page.locator("button", has_text="Find codes").first.is_hidden()  # the script's list
    lookup.press_sequentially("metform", delay=30)
    option = page.get_by_role("option", name=re.compile("A10BA02"))
    option.first.wait_for()
    assert lookup.get_attribute("aria-expanded") == "true"
    assert_accessible(page)
    # The keyboard: down to the first option, Enter adds its code (and does not submit).
    lookup.press("ArrowDown")
    active = lookup.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    assert "A10BA02" in page.locator(f"#{active}").inner_text()
    lookup.press("Enter")
    assert page.input_value("#id_entry-0-codes") == "A10BA02"
    assert lookup.get_attribute("aria-expanded") == "false" and lookup.input_value() == ""
    assert "A10BA02" in page.locator("#id_entry-0-lookup-status").inner_text()
    assert page.url.endswith("/feasibility/new/")  # still the same page: nothing posted
    # A click on another code adds it after the first; Escape closes the list.
    lookup.press_sequentially("gliclaz", delay=30)
    page.get_by_role("option", name=re.compile("A10BB09")).first.click()
    assert page.input_value("#id_entry-0-codes") == "A10BA02, A10BB09"
    lookup.press_sequentially("metformine", delay=30)
    page.locator("#id_entry-0-lookup-options [role='option']").first.wait_for()
    lookup.press("Escape")
    assert page.locator("#id_entry-0-lookup-options").is_hidden()


def test_add_and_remove_criteria_in_the_builder(site, page):
    sign_up_and_in(site, page, "adder")
    page.goto(f"{site.url}/feasibility/new/")
    assert page.locator("[data-row='rule']").count() == 0
    # A row without a kind shows the kind only; a diagnosis shows where it is recorded.
    assert page.locator("#id_entry-0-codes").is_hidden()
    page.select_option("#id_entry-0-kind", "diagnosed")
    assert page.locator("#id_entry-0-codes").is_visible()
    assert page.locator("#id_entry-0-diagnosis_in").is_visible()
    page.select_option("#id_entry-0-kind", "lab")
    assert page.locator("#id_entry-0-diagnosis_in").is_hidden()
    page.fill("#id_entry-0-codes", "1577")
    add = page.get_by_role("button", name="Add a criterion")
    add.click()
    assert page.locator("[data-row='rule']").count() == 1
    assert page.evaluate("document.activeElement.id") == "id_rule-0-kind"  # focus on the new row
    page.select_option("#id_rule-0-kind", "sex")
    assert page.locator("#id_rule-0-sex").is_visible()
    assert page.locator("#id_rule-0-codes").is_hidden()
    page.select_option("#id_rule-0-sex", "female")
    add.click()
    add.click()
    page.select_option("#id_rule-2-kind", "age")
    page.fill("#id_rule-2-age_min", "40")
    assert page.input_value("input[name='rule-TOTAL_FORMS']") == "3"
    assert page.locator("#row-rule-1 legend").inner_text() == "Criterion 2"
    # Removing the second renumbers the third: it is posted as the second.
    page.locator("#row-rule-1").get_by_role("button", name="Remove this criterion").click()
    assert page.input_value("input[name='rule-TOTAL_FORMS']") == "2"
    assert page.locator("#row-rule-1 legend").inner_text() == "Criterion 2"
    assert page.input_value("#id_rule-1-age_min") == "40"
    assert_accessible(page)
    page.fill("#id_name", "Tested women over 40")
    page.fill("#id_period_start", "2020-01-01")
    page.fill("#id_period_end", "2021-12-31")
    page.get_by_role("button", name="Save the cohort").click()
    page.wait_for_url(re.compile(r"/feasibility/cohorts/\d+/$"))
    definition = page.locator("pre.definition").inner_text()
    assert "sex: female" in definition and "min: 40" in definition
    # The cohort opens back in the form, as it was made.
    page.goto(page.url + "edit/")
    assert page.input_value("#id_entry-0-codes") == "1577"
    assert page.input_value("#id_rule-0-sex") == "female"
    assert page.input_value("#id_rule-1-age_min") == "40"
