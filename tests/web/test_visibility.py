"""What a draft adds stays as hidden as the draft, on every page, API, search and export.

A dataset has a published v1 and a draft v2 that adds a code list (with its codes), a table and
variables. Everything only v2 brings must be seen by the holder's editors and the catalogue team
(`catalogue.access`), and by nobody else: not anonymous visitors, not a signed-in applicant, not
another holder's editor. What v1 has stays public.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hygie.catalogue.spec import NomenclatureSpec, TableSpec, VariableSpec, VersionSpec
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import DataHolder, Dataset, DatasetVersion, Status
from tests.web import helpers

pytestmark = pytest.mark.django_db

SLUG = "cohorte-x"
DRAFT_LIST = "GLOUBI"  # brought by the draft only
DRAFT_CODE, DRAFT_LABEL = "GLB01", "Gloubiboulga chronique"
DRAFT_TABLE, DRAFT_VARIABLE = "DRAFTTABLE", "DRAFTVAR"
DRAFT_WORDS = (DRAFT_LIST, DRAFT_CODE, DRAFT_LABEL, DRAFT_TABLE, DRAFT_VARIABLE)
# Who asks, and whether they may see the draft.
PEOPLE = [("anonymous", False), ("applicant", False), ("other_editor", False),
          ("editor", True), ("team", True)]


def _list(name: str, rows: list[tuple[str, str]]) -> NomenclatureSpec:
    return NomenclatureSpec(name=name, title=f"Liste {name}", code_column="code",
                            label_column="label", columns=("code", "label"),
                            rows=lambda: [{"code": c, "label": label} for c, label in rows])


def _patients() -> TableSpec:
    return TableSpec("PATIENTS", title_fr="Patients", product="COHORTE", variables=(
        VariableSpec("id", description_fr="Identifiant"),
        VariableSpec("sexe", description_fr="Sexe", nomenclature="SEXE")))


@pytest.fixture
def world(make_user: Any) -> dict[str, Any]:
    holder = DataHolder.objects.create(slug="labo", name="Laboratoire")
    ds = Dataset.objects.create(slug=SLUG, holder=holder, title_fr="Cohorte X")
    v1 = import_version(ds, VersionSpec(
        tables=(_patients(),), nomenclatures=(_list("SEXE", [("M", "Masculin"), ("F", "Féminin")]),),
        first_year=2015, last_year=2020), status=str(Status.PUBLISHED))
    DatasetVersion.objects.filter(pk=v1.pk).update(published=timezone.now())
    v2 = import_version(ds, VersionSpec(
        tables=(_patients(), TableSpec(DRAFT_TABLE, title_fr="Table du brouillon", product="COHORTE",
                                       variables=(
            VariableSpec(DRAFT_VARIABLE, description_fr="Variable du brouillon",
                         nomenclature=DRAFT_LIST),
            VariableSpec("DRAFTSEX", description_fr="Sexe (brouillon)", nomenclature="SEXE")))),
        nomenclatures=(_list(DRAFT_LIST, [(DRAFT_CODE, DRAFT_LABEL)]),),
        first_year=2015, last_year=2021))
    assert v2.status == Status.DRAFT
    return {"v1": v1, "v2": v2, "users": {
        "applicant": make_user("alice"),
        "other_editor": make_user("oscar", holder="autre-labo", totp=True),
        "editor": make_user("edith", holder="labo", totp=True),
        "team": make_user("tess", role="catalogue-team", totp=True)}}


def client_for(world: dict[str, Any], who: str) -> Client:
    if who == "anonymous":
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.cookies["django_language"] = "en"
        return client
    return helpers.login(world["users"][who])


def text(response: Any) -> str:
    return response.content.decode()


# --- the code list that came with the draft ------------------------------------------------------


@pytest.mark.parametrize(("who", "sees"), PEOPLE)
def test_a_drafts_code_list_page(world, who, sees):
    c = client_for(world, who)
    response = c.get(f"/catalogue/{SLUG}/codes/{DRAFT_LIST}/")
    if sees:
        assert response.status_code == 200
        assert DRAFT_CODE in text(response) and DRAFT_LABEL in text(response)
        assert f"{DRAFT_TABLE}.{DRAFT_VARIABLE}" in text(response)  # the draft's variable uses it
    else:
        assert response.status_code == 404
        assert DRAFT_LABEL not in text(response)
    # The published list stays public, without the draft's variable that uses it.
    page = c.get(f"/catalogue/{SLUG}/codes/SEXE/")
    assert page.status_code == 200 and "Masculin" in text(page)
    if not sees:
        assert "DRAFTSEX" not in text(page) and DRAFT_TABLE not in text(page)


@pytest.mark.parametrize(("who", "sees"), PEOPLE)
def test_a_drafts_code_list_in_the_api(world, who, sees):
    c = client_for(world, who)
    listing = c.get(f"/api/catalogue/datasets/{SLUG}/nomenclatures")
    assert listing.status_code == 200
    names = {n["name"] for n in listing.json()["items"]}
    assert names == ({"SEXE", DRAFT_LIST} if sees else {"SEXE"})
    assert listing.json()["count"] == len(names)
    one = c.get(f"/api/catalogue/datasets/{SLUG}/nomenclatures/{DRAFT_LIST}")
    if sees:
        assert one.status_code == 200
        assert [x["code"] for x in one.json()["codes"]] == [DRAFT_CODE]
    else:
        assert one.status_code == 404
        assert DRAFT_LABEL not in text(one)
    assert c.get(f"/api/catalogue/datasets/{SLUG}/nomenclatures/SEXE").status_code == 200


@pytest.mark.parametrize(("who", "sees"), PEOPLE)
def test_a_drafts_things_in_search(world, who, sees):
    c = client_for(world, who)
    for q in DRAFT_WORDS:
        data = c.get("/api/catalogue/search", {"q": q}).json()
        mine = [h for h in data["results"] if h["dataset"] == SLUG]
        lists = [x for x in data["code_lists"] if x["dataset"] == SLUG]
        page = text(c.get("/catalogue/search/", {"q": q}))
        if sees:
            assert mine, q
            assert all(h["status"] in ("", "draft") for h in mine), mine
        else:
            assert mine == [] and lists == [], (q, mine, lists)
            assert f"/catalogue/{SLUG}/" not in page, q
    # A public list's hits name the variables using it in what the user may see only.
    # (within its holder: the SNDS lists of sexes, also "Masculin", fill the first page otherwise)
    data = c.get("/api/catalogue/search", {"q": "Masculin", "holder": "labo"}).json()
    used = {u["label"] for h in data["results"] if h["dataset"] == SLUG for u in h["used_by"]}
    assert "PATIENTS.sexe" in used
    assert (f"{DRAFT_TABLE}.DRAFTSEX" in used) == sees
    # Browsing by facets (no text) follows the same rule.
    data = c.get("/api/catalogue/search", {"holder": "labo"}).json()
    names = {h["name"] for h in data["results"]}
    for word in (DRAFT_LIST, DRAFT_TABLE):
        assert (word in names) == sees, (word, names)


@pytest.mark.parametrize(("who", "sees"), PEOPLE)
def test_a_drafts_tables_variables_and_changes(world, who, sees):
    c = client_for(world, who)
    urls = [f"/catalogue/{SLUG}/v2/", f"/catalogue/{SLUG}/v2/tables/{DRAFT_TABLE}/",
            f"/catalogue/{SLUG}/v2/changes/", f"/catalogue/{SLUG}/v2/statistics/",
            f"/catalogue/{SLUG}/v2/statistics/status/",
            f"/api/catalogue/datasets/{SLUG}/versions/2",
            f"/api/catalogue/datasets/{SLUG}/versions/2/tables/{DRAFT_TABLE}",
            f"/api/catalogue/datasets/{SLUG}/tables/{DRAFT_TABLE}?version=2",
            f"/catalogue/{SLUG}/dcat.ttl?version=2"]
    for url in urls:
        assert c.get(url).status_code == (200 if sees else 404), url
    # Pages and answers about the dataset or its published version say nothing of the draft.
    public = [f"/catalogue/{SLUG}/", f"/catalogue/{SLUG}/v1/", f"/catalogue/{SLUG}/v1/changes/",
              f"/catalogue/{SLUG}/v1/tables/PATIENTS/", "/catalogue/",
              f"/api/catalogue/datasets/{SLUG}", f"/api/catalogue/datasets/{SLUG}/versions/1",
              "/api/catalogue/datasets", f"/catalogue/{SLUG}/dcat.ttl", "/catalogue/dcat.jsonld"]
    for url in public:
        response = c.get(url)
        assert response.status_code == 200, url
        if not sees:
            for word in (*DRAFT_WORDS, "DRAFTSEX"):
                assert word not in text(response), (url, word)
    versions = [v["number"] for v in c.get(f"/api/catalogue/datasets/{SLUG}").json()["versions"]]
    assert versions == ([2, 1] if sees else [1])


def test_publishing_the_draft_makes_its_list_public(world, client):
    assert client.get(f"/catalogue/{SLUG}/codes/{DRAFT_LIST}/").status_code == 404
    DatasetVersion.objects.filter(pk=world["v1"].pk).update(status=Status.ARCHIVED)
    DatasetVersion.objects.filter(pk=world["v2"].pk).update(status=Status.PUBLISHED,
                                                            published=timezone.now())
    page = client.get(f"/catalogue/{SLUG}/codes/{DRAFT_LIST}/")
    assert page.status_code == 200 and DRAFT_LABEL in text(page)
    data = client.get("/api/catalogue/search", {"q": DRAFT_CODE}).json()
    assert [h["name"] for h in data["results"] if h["dataset"] == SLUG] == [DRAFT_CODE]
    # A later version that uses the list without bringing it again carries it too.
    v3 = import_version(world["v2"].dataset, VersionSpec(tables=(TableSpec("T3", variables=(
        VariableSpec("X", nomenclature=DRAFT_LIST),)),)))
    assert list(v3.nomenclatures.values_list("name", flat=True)) == [DRAFT_LIST]
