"""In a real browser: the SNDS page offers its HealthDCAT-AP description as downloads."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from hygie.catalogue import dcat
from hygie.catalogue.dcat import DCAT, DCT, RDF
from tests.web.helpers import assert_accessible

pytestmark = pytest.mark.browser


def test_the_snds_healthdcat_export_downloads_from_its_page(site, page):
    page.goto(f"{site.url}/catalogue/snds/")
    links = page.locator("section[aria-labelledby=dcat-title]")
    assert links.get_by_role("heading", level=2).is_visible()
    with page.expect_download() as info:
        links.locator('a[href^="/catalogue/snds/dcat.ttl"]').click()
    download = info.value
    assert download.suggested_filename == "snds-v1.ttl"
    graph = Graph().parse(download.path(), format="turtle")
    snds = URIRef(f"{site.url}/catalogue/snds/")
    assert (snds, RDF.type, DCAT.Dataset) in graph
    assert "SNDS" in str(graph.value(snds, DCT.title))
    assert dcat.validate(graph) == []

    # The same from the keyboard, in JSON-LD.
    with page.expect_download() as info:
        links.locator('a[href^="/catalogue/snds/dcat.jsonld"]').focus()
        page.keyboard.press("Enter")
    graph = Graph().parse(info.value.path(), format="json-ld")
    assert (snds, RDF.type, DCAT.Dataset) in graph
    assert_accessible(page)
