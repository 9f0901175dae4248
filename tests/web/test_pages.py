"""The public catalogue pages, and what anonymous users may not see."""

from __future__ import annotations

import pytest

from hygie.catalogue.spec import TableSpec, VariableSpec, VersionSpec
from hygie.web.catalogue.importer import import_version, spec_of
from hygie.web.catalogue.models import Dataset, DatasetVersion, Status

pytestmark = pytest.mark.django_db


def test_the_snds_is_imported_whole():
    version = DatasetVersion.objects.get(dataset__slug="snds")
    assert version.status == Status.PUBLISHED
    assert version.tables.count() == 188
    assert version.dataset.nomenclatures.count() > 400
    ben = version.tables.get(name="IR_BEN_R")
    assert ben.variables.filter(name="BEN_NIR_PSA").exists()


def test_public_pages_read_without_login(client):
    for url, text in [("/", "SNDS"), ("/catalogue/", "SNDS"), ("/catalogue/snds/", "IR_BEN_R"),
                      ("/catalogue/snds/v1/tables/IR_BEN_R/", "BEN_NAI_ANN"),
                      ("/catalogue/snds/codes/IR_NAT_V/", "IR_NAT_V")]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_drafts_are_invisible_to_anonymous_users(client):
    snds = Dataset.objects.get(slug="snds")
    spec = VersionSpec(tables=(TableSpec("NEW_T", variables=(VariableSpec("X"),)),))
    draft = import_version(snds, spec)
    assert draft.status == Status.DRAFT and draft.number == 2
    assert client.get(f"/catalogue/snds/v{draft.number}/").status_code == 404
    assert client.get(f"/catalogue/snds/v{draft.number}/tables/NEW_T/").status_code == 404
    # The dataset page still shows the published version.
    assert "NEW_T" not in client.get("/catalogue/snds/").content.decode()
    assert spec_of(draft).tables[0].name == "NEW_T"


def test_security_headers(client):
    response = client.get("/catalogue/snds/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_published_versions_reuse_their_rendered_tables_and_drafts_do_not(make_user, signed_in):
    """A published version's tables, diagram and variables are rendered once per language (the
    workflow never edits them); a draft's are rendered on every view, as its editors change it."""
    from django.core.cache import cache

    from hygie.web.catalogue.models import DataHolder, Table, Variable

    holder = DataHolder.objects.create(slug="h", name="H")
    ds = Dataset.objects.create(slug="base", holder=holder, title_fr="Base")
    spec = VersionSpec(tables=(TableSpec("VISITS", title_fr="Visites", variables=(
        VariableSpec("age", description_fr="Âge à la visite"),)),))
    import_version(ds, spec, status=str(Status.PUBLISHED))
    draft = import_version(ds, spec)
    client = signed_in(make_user("ed", holder="h", totp=True))
    pages = {1: ("/catalogue/base/v1/", "/catalogue/base/v1/tables/VISITS/"),
             2: ("/catalogue/base/v2/", "/catalogue/base/v2/tables/VISITS/")}
    for dataset_page, table_page in pages.values():
        assert "Visites" in client.get(dataset_page).content.decode()
        assert "Âge à la visite" in client.get(table_page).content.decode()
    # A change outside the workflow (the admin, a script) on both versions:
    Table.objects.filter(version__dataset=ds).update(title_fr="Passages")
    Variable.objects.filter(table__version__dataset=ds).update(description_fr="Âge en années")
    assert "Visites" in client.get(pages[1][0]).content.decode()  # published: reused
    assert "Âge à la visite" in client.get(pages[1][1]).content.decode()
    assert "Passages" in client.get(pages[2][0]).content.decode()  # draft: fresh
    assert "Âge en années" in client.get(pages[2][1]).content.decode()
    # Each language has its own rendering; a new status is a new rendering.
    assert "Tables of" not in client.get(pages[1][0]).content.decode()  # French, cached
    client.cookies["django_language"] = "en"
    assert "Tables of" in client.get(pages[1][0]).content.decode()
    client.cookies["django_language"] = "fr"
    DatasetVersion.objects.filter(pk=draft.pk).update(status=Status.REVIEW)
    assert "Passages" in client.get(pages[2][0]).content.decode()
    cache.clear()  # the bound on staleness: HYGIE_PAGE_CACHE_SECONDS
    assert "Passages" in client.get(pages[1][0]).content.decode()
    assert "Âge en années" in client.get(pages[1][1]).content.decode()
