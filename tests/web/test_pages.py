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
