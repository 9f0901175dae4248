"""In a real browser against `hygie serve`: the statistics of the SNDS, computed by the real worker
from the 3,000-person lake that the `site` fixture attaches, and the relations diagram."""

from __future__ import annotations

import re

import pytest

from tests.web.helpers import assert_accessible

pytestmark = pytest.mark.browser


def test_statistics_charts_appear_when_the_job_is_done(site, page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{site.url}/catalogue/snds/")
    section = page.locator("section#statistics")
    assert section.count() == 1
    # Queued or running: the progress bar moves (static script polling the JSON endpoint), and
    # the charts replace it without a reload. Already done: the charts are there.
    pyramid = page.locator("#figure-pyramid svg[role=img]")
    pyramid.wait_for(timeout=240_000)
    per_year = page.locator("#figure-per-year svg[role=img]")
    assert per_year.count() == 2
    # Each chart is an image whose accessible name is its title.
    assert page.get_by_role("img", name=re.compile(r"^(Age pyramid|Pyramide des âges)")).count() == 1
    assert page.get_by_role("img", name=re.compile(r"^(People|Personnes) p")).count() == 1
    assert page.get_by_role("img", name=re.compile(r"^(Records|Enregistrements) p")).count() == 1
    assert page.locator("#figure-pyramid svg rect").count() >= 20  # bars for men and women
    # The data tables behind the charts.
    page.locator("#figure-pyramid summary").click()
    rows = page.locator("#figure-pyramid table tbody tr")
    assert rows.count() >= 15
    assert rows.first.locator("th").inner_text() == "0-4"
    page.locator("#figure-per-year summary").click()
    years = page.locator("#figure-per-year table tbody tr th").all_inner_texts()
    assert years == ["2019", "2020", "2021", "2022"]
    records = page.locator("#figure-per-year table tbody tr td:nth-child(3)").all_inner_texts()
    assert all(re.fullmatch(r"\d{1,3}([\s\u202f\xa0]\d{3})*", r) for r in records), records
    assert page.locator("section#statistics progress").count() == 0
    assert page.locator("#figure-chart-top-atc table tbody tr").count() >= 3
    assert_accessible(page)
    assert not [e for e in errors if "Content Security Policy" in e or "statistics" in e], errors


def test_relations_diagram_links_to_tables(site, page):
    page.goto(f"{site.url}/catalogue/snds/")
    diagram = page.locator("svg#relations-diagram")
    diagram.wait_for()
    assert page.locator("#relations-product").input_value() == "DCIR"
    page.select_option("#relations-product", "PMSI MCO")
    page.get_by_role("button", name=re.compile("Show|Afficher")).click()
    page.wait_for_url(re.compile(r"relations=PMSI\+MCO"))
    assert page.locator("svg#relations-diagram a.diagram-table").count() >= 56
    assert_accessible(page)
    # Keyboard: the boxes are links, in the tab order.
    link = page.locator("svg#relations-diagram a.diagram-table", has_text="T_MCOaaC").first
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tables/T_MCOaaC/$"))


def test_progress_is_followed_and_the_charts_come_without_a_reload(site, page):
    # A job held back for a few seconds by django-tasks' run_after, so that the page opens on it.
    site.python(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from hygie.web.catalogue.models import DatasetVersion, Statistics\n"
        "from hygie.web.catalogue.tasks import compute_statistics, request_statistics\n"
        "v = DatasetVersion.objects.get(dataset__slug='snds', number=1)\n"
        "request_statistics(v, via='browser-test', token='browser-test')\n"
        "job = compute_statistics.using(run_after=timezone.now() + timedelta(seconds=6))"
        ".enqueue(v.pk, 'browser-test')\n"
        "Statistics.objects.filter(version=v).update(task_id=f'browser-test:{job.id}')\n")
    page.goto(f"{site.url}/catalogue/snds/")
    progress = page.locator("section#statistics progress")
    assert progress.count() == 1
    assert page.locator("#figure-pyramid").count() == 0
    page.evaluate("window.__sameDocument = true")
    page.locator("#figure-pyramid svg[role=img]").wait_for(timeout=120_000)
    assert page.evaluate("window.__sameDocument === true")  # replaced in place, no reload
    assert progress.count() == 0
    assert page.locator("#statistics-announce").text_content().strip()
    assert_accessible(page)


# --- readable figures, and the catalogue at a phone's width (issue 12, item 6) -----------------

SMALLEST_TEXT = """(selector) => {
  const sizes = Array.from(document.querySelectorAll(selector)).map((t) =>
    parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
  return sizes.length ? Math.min(...sizes) : null;
}"""


def test_diagram_labels_keep_their_size_on_small_and_large_products(site, page):
    for product, tables in (("DCIR", 5), ("PMSI MCO", 56)):
        page.goto(f"{site.url}/catalogue/snds/?relations={product.replace(' ', '+')}")
        boxes = page.locator("svg#relations-diagram a.diagram-table")
        assert boxes.count() >= tables
        smallest = page.evaluate(SMALLEST_TEXT, "svg#relations-diagram text")
        assert 12 <= smallest < 13, (product, smallest)  # neither shrunk nor blown up
        # The page itself does not grow with the diagram: its frame scrolls.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # Zoom: the buttons scale the drawing, and bring it back to its own size.
    svg = page.locator("svg#relations-diagram")
    width = float(svg.get_attribute("width"))
    page.get_by_role("button", name="Dézoomer").click()
    assert float(svg.get_attribute("width")) < width
    assert page.locator("#diagram-zoom-level").inner_text() == "80 %"
    page.get_by_role("button", name="Taille réelle").click()
    assert float(svg.get_attribute("width")) == width
    assert page.get_by_role("button", name="Taille réelle").is_disabled()
    # The same relations as text, for screen readers.
    assert page.locator(".relations-list li").count() >= 56
    assert_accessible(page)


def test_chart_labels_are_readable_and_name_their_codes(site, page):
    page.goto(f"{site.url}/catalogue/snds/")
    page.locator("#figure-pyramid svg[role=img]").wait_for(timeout=240_000)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        smallest = page.evaluate(SMALLEST_TEXT, "#statistics svg text")
        assert smallest >= 12, (width, smallest)
    labels = page.locator("#chart-top-atc text").all_text_contents()
    named = [t for t in labels if re.fullmatch(r"[A-Z]\d\d[A-Z]{2}\d\d \S.*", t)]
    assert len(named) >= 3, labels  # "N02BE01 Paracetamol", not a bare code
    # Synthetic figures say so beside every chart.
    assert page.locator("#statistics figure h3 .tag.synthetic").count() == page.locator(
        "#statistics figure svg[role=img]").count()


@pytest.mark.parametrize("path", ["/catalogue/", "/catalogue/?keyword=snds",
                                  "/catalogue/snds/", "/catalogue/snds/?relations=PMSI+MCO",
                                  "/catalogue/snds/v1/tables/IR_BEN_R/",
                                  "/catalogue/snds/v1/tables/ER_PRS_F/"])
def test_no_catalogue_page_scrolls_sideways_at_375_px(site, browser, path):
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{site.url}{path}")
        page.wait_for_load_state("load")
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 375, (path, overflow, page.evaluate("""() =>
            Array.from(document.querySelectorAll('body *'))
              .filter((e) => e.getBoundingClientRect().right > 376)
              .slice(0, 5).map((e) => e.tagName + '.' + e.className + '#' + e.id)"""))
        assert_accessible(page)
    finally:
        context.close()
