"""The catalogue's read API: pagination, details, what anonymous callers may see, 404s and 422s."""

from __future__ import annotations

import pytest

from hygie.catalogue.spec import TableSpec, VariableSpec, VersionSpec
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import DataHolder, Dataset, Nomenclature

pytestmark = pytest.mark.django_db

API = "/api/catalogue"


@pytest.fixture
def other_holder_draft():
    """A second data holder with a dataset that only has a draft version."""
    holder = DataHolder.objects.create(slug="drees", name="DREES")
    ds = Dataset.objects.create(slug="secret-cohort", holder=holder, title_fr="Cohorte brouillon")
    import_version(ds, VersionSpec(tables=(TableSpec("COH_T", variables=(VariableSpec("X"),)),)))
    return ds


def test_datasets_are_listed_with_pagination(client):
    holder = DataHolder.objects.get(slug="cnam")
    for i in range(3):
        ds = Dataset.objects.create(slug=f"z-extra-{i}", holder=holder, title_fr=f"Extra {i}")
        import_version(ds, VersionSpec(tables=(TableSpec("T", variables=(VariableSpec("X"),)),)),
                       status="published")
    body = client.get(f"{API}/datasets").json()
    assert body["count"] == 4 and body["offset"] == 0 and body["limit"] == 50
    snds = next(d for d in body["items"] if d["slug"] == "snds")
    assert snds == {"slug": "snds", "title": snds["title"], "holder": holder.name, "version": 1,
                    "status": "published", "tables": 188}
    slugs = [d["slug"] for d in body["items"]]
    assert slugs == sorted(slugs)
    page = client.get(f"{API}/datasets", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 4 and [d["slug"] for d in page["items"]] == slugs[1:3]
    assert client.get(f"{API}/datasets", {"offset": 10}).json()["items"] == []


def test_dataset_detail_lists_its_versions(client):
    body = client.get(f"{API}/datasets/snds").json()
    assert body["slug"] == "snds" and body["holder"]["slug"] == "cnam"
    assert body["title_fr"].startswith("Système national des données de santé")
    assert "CLAIMS" in body["health_categories"]
    assert [(v["number"], v["status"], v["tables"]) for v in body["versions"]] == \
        [(1, "published", 188)]


def test_version_detail_lists_its_tables(client):
    body = client.get(f"{API}/datasets/snds/versions/1").json()
    assert body["dataset"] == "snds" and body["number"] == 1 and body["status"] == "published"
    tables = {t["name"]: t for t in body["tables"]}
    assert len(tables) == 188
    assert tables["IR_BEN_R"]["variables"] > 20 and tables["IR_BEN_R"]["product"]


def test_table_with_variables_and_keys(client):
    body = client.get(f"{API}/datasets/snds/versions/1/tables/ER_PRS_F").json()
    names = [v["name"] for v in body["variables"]]
    assert "BEN_NIR_PSA" in names and "PRS_NAT_REF" in names
    assert body["version"] == 1
    prs = next(v for v in body["variables"] if v["name"] == "PRS_NAT_REF")
    assert prs["nomenclature"] and prs["type"]
    assert any(r["ref_table"] for r in body["relations"])
    # The latest-version shortcut gives the same table.
    assert client.get(f"{API}/datasets/snds/tables/ER_PRS_F").json() == body
    assert client.get(f"{API}/datasets/snds/tables/ER_PRS_F", {"version": 1}).json() == body


def test_nomenclatures_and_their_codes_are_paginated(client):
    lists = client.get(f"{API}/datasets/snds/nomenclatures", {"limit": 500}).json()
    total = Nomenclature.objects.filter(dataset__slug="snds").count()
    assert lists["count"] == total and len(lists["items"]) == min(total, 500)
    big = max(lists["items"], key=lambda n: n["codes"])
    first = client.get(f"{API}/datasets/snds/nomenclatures/{big['name']}",
                       {"limit": 10}).json()
    assert first["count"] == big["codes"] > 20 and len(first["codes"]) == 10
    second = client.get(f"{API}/datasets/snds/nomenclatures/{big['name']}",
                        {"limit": 10, "offset": 10}).json()
    codes = [c["code"] for c in first["codes"] + second["codes"]]
    assert codes == sorted(codes) and len(set(codes)) == 20


def test_anonymous_callers_see_published_entries_only(client, other_holder_draft):
    draft = import_version(Dataset.objects.get(slug="snds"),
                           VersionSpec(tables=(TableSpec("NEW_T", variables=(VariableSpec("X"),)),)))
    assert draft.number == 2
    slugs = [d["slug"] for d in client.get(f"{API}/datasets").json()["items"]]
    assert "secret-cohort" not in slugs
    for url in [f"{API}/datasets/secret-cohort", f"{API}/datasets/secret-cohort/versions/1",
                f"{API}/datasets/secret-cohort/nomenclatures",
                f"{API}/datasets/snds/versions/2", f"{API}/datasets/snds/versions/2/tables/NEW_T",
                f"{API}/datasets/snds/tables/NEW_T", f"{API}/datasets/snds/tables/NEW_T?version=2"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not Found"}, url
    assert [v["number"] for v in client.get(f"{API}/datasets/snds").json()["versions"]] == [1]


def test_editors_see_their_holders_drafts_only(make_user, signed_in, other_holder_draft):
    cnam_editor = make_user("cnam-editor", holder="cnam", totp=True)
    client = signed_in(cnam_editor)
    draft = import_version(Dataset.objects.get(slug="snds"),
                           VersionSpec(tables=(TableSpec("NEW_T", variables=(VariableSpec("X"),)),)))
    assert [v["number"] for v in client.get(f"{API}/datasets/snds").json()["versions"]] == \
        [draft.number, 1]
    assert client.get(f"{API}/datasets/snds/versions/2/tables/NEW_T").status_code == 200
    # The list still shows the published version as the dataset's current one.
    snds = next(d for d in client.get(f"{API}/datasets").json()["items"] if d["slug"] == "snds")
    assert snds["version"] == 1
    # Another holder's draft stays invisible.
    assert client.get(f"{API}/datasets/secret-cohort").status_code == 404


def test_unknown_entries_are_404(client):
    for url in [f"{API}/datasets/nope", f"{API}/datasets/snds/versions/99",
                f"{API}/datasets/snds/versions/1/tables/NOPE",
                f"{API}/datasets/snds/nomenclatures/NOPE", f"{API}/datasets/snds/tables/NOPE"]:
        assert client.get(url).status_code == 404, url


def test_malformed_parameters_are_422(client):
    for url in [f"{API}/datasets?limit=0", f"{API}/datasets?limit=501", f"{API}/datasets?offset=-1",
                f"{API}/datasets?limit=abc", f"{API}/datasets/snds/versions/0",
                f"{API}/datasets/snds/versions/abc", f"{API}/datasets/snds/versions/99999999999",
                f"{API}/datasets/sn%20ds", f"{API}/datasets/{'s' * 81}",
                f"{API}/datasets/snds/tables/IR_BEN_R?version=-3",
                f"{API}/datasets/snds/nomenclatures/{'N' * 101}",
                f"{API}/datasets/snds/nomenclatures/IR_NAT_V?offset=99999999999"]:
        response = client.get(url)
        assert response.status_code == 422, (url, response.status_code)
        assert response.json()["detail"], url
    # A NUL character is refused before any view (hygie.web.guards).
    assert client.get(f"{API}/datasets/snds/tables/A%00B").status_code == 400


def test_the_openapi_schema_documents_every_catalogue_operation(client):
    schema = client.get("/api/openapi.json").json()
    paths = set(schema["paths"])
    for path in ["/api/catalogue/datasets", "/api/catalogue/datasets/{slug}",
                 "/api/catalogue/datasets/{slug}/versions/{number}",
                 "/api/catalogue/datasets/{slug}/versions/{number}/tables/{name}",
                 "/api/catalogue/datasets/{slug}/tables/{name}",
                 "/api/catalogue/datasets/{slug}/nomenclatures",
                 "/api/catalogue/datasets/{slug}/nomenclatures/{name}"]:
        assert path in paths, path
        assert {"200", "422"} <= set(schema["paths"][path]["get"]["responses"]), path
