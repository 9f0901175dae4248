"""Catalogue search: accents and case, the way from a disease to the variables coded with it,
facets, who sees drafts, hostile input, keeping the index in step. Runs on SQLite (FTS5) and on
PostgreSQL (HYGIE_DATABASE_URL=postgres://...: tsvector, unaccented French configuration)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from hygie.catalogue.search_terms import fts5_query, terms, tsquery
from hygie.catalogue.spec import TableSpec, VariableSpec, VersionSpec
from hygie.web.audit.models import AuditEvent
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import DataHolder, Dataset, DatasetVersion, HealthCategory, Status
from hygie.web.search.index import reindex_version
from hygie.web.search.models import Document, Kind

pytestmark = pytest.mark.django_db

ALD_VARIABLE = "IR_IMB_R.MED_MTF_COD"  # the long-term condition's (ALD) diagnosis, CIM-10
DIAGNOSIS_VARIABLES = {"T_MCOaaB.DGN_PAL", "T_MCOaaB.DGN_REL", "T_MCOaaD.ASS_DGN",
                       "T_HADaaB.DGN_PAL", "T_RIPaaRSA.DGN_PAL"}


def api(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/api/catalogue/search", params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def reached_variables(data: dict[str, Any]) -> set[str]:
    """Variables a search leads to: hits, and variables coded with the matching codes' lists."""
    out = {f"{h['table']}.{h['name']}" for h in data["results"] if h["kind"] == "variable"}
    for lst in data["code_lists"]:
        out |= {u["label"] for u in lst["used_by"]}
    for h in data["results"]:
        out |= {u["label"] for u in h["used_by"]}
    return out


def without_typed_text(lists: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The code lists of an answer without the link searching the list for the typed text."""
    return [{k: v for k, v in lst.items() if k != "matches_url"} for lst in lists]


def counts(data: dict[str, Any], facet: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in data["facets"][facet]}


def second_holder_dataset(*, status: str = str(Status.PUBLISHED), holder: str = "inserm",
                          word: str = "date") -> DatasetVersion:
    """A second holder's dataset (a registry) with a table and variables that match `word`."""
    h, _ = DataHolder.objects.get_or_create(slug=holder, defaults={"name": holder.upper()})
    ds, _ = Dataset.objects.get_or_create(
        slug=f"registre-{holder}", defaults={
            "holder": h, "title_fr": f"Registre des cancers {holder}",
            "health_categories": [HealthCategory.REGISTRY]})
    spec = VersionSpec(tables=(TableSpec(
        "REG_CAS", title_fr=f"Cas enregistrés ({word})", product="REGISTRE",
        variables=(VariableSpec("CAS_DIA_DTE", "date", description_fr=f"Diagnostic, {word}"),
                   VariableSpec("CAS_TOP", description_fr=f"Topographie {word}"))),),
        first_year=2015, last_year=2020)
    return import_version(ds, spec, status=status)


# --- accents, case, and the way to the coded variables --------------------------------------------


def test_accents_and_case_give_the_same_hits(client):
    results = [api(client, q=q) for q in ("diabète", "DIABETE", "diabete", "Diabète")]
    first = results[0]
    assert first["total"] > 50
    for other in results[1:]:
        assert other["total"] == first["total"]
        assert other["results"] == first["results"]
        assert without_typed_text(other["code_lists"]) == without_typed_text(first["code_lists"])
    reached = reached_variables(first)
    assert ALD_VARIABLE in reached
    assert reached >= DIAGNOSIS_VARIABLES
    # The CIM-10 lists are what leads there, with their names and links.
    lists = {c["name"]: c for c in first["code_lists"]}
    assert {"IR_CIM_V", "MS_CIM_V"} <= set(lists)
    assert lists["IR_CIM_V"]["url"] == "/catalogue/snds/codes/IR_CIM_V/"


def test_the_search_page_shows_codes_lists_and_variables(client):
    for q in ("diabète", "DIABETE", "diabete"):
        response = client.get("/catalogue/search/", {"q": q})
        assert response.status_code == 200
        html = response.content.decode()
        assert ALD_VARIABLE in html and "T_MCOaaB.DGN_PAL" in html
        assert "/catalogue/snds/v1/tables/IR_IMB_R/#var-MED_MTF_COD" in html
        assert "/catalogue/snds/codes/IR_CIM_V/" in html and 'id="kind-code"' in html


def test_a_code_hit_shows_its_list_and_the_variables_using_it(client):
    data = api(client, q="E11", kind="code")
    e11 = [h for h in data["results"] if h["name"] == "E11" and h["nomenclature"]["label"]
           in ("IR_CIM_V", "MS_CIM_V")]
    assert e11, data["results"][:5]
    for hit in e11:
        assert "Diab" in hit["title"]
        assert hit["url"] == f"/catalogue/snds/codes/{hit['nomenclature']['label']}/?code=E11#code-E11"
        labels = {u["label"] for u in hit["used_by"]}
        assert (ALD_VARIABLE in labels) or ("T_MCOaaB.DGN_PAL" in labels)
    # The link lands on the page of the code list that shows the code, at its marked row.
    page = client.get(e11[0]["url"]).content.decode()
    assert '<tr id="code-E11" class="code-current" aria-current="true">' in page
    assert "<mark><code>E11</code></mark>" in page


def test_identifiers_rank_first_and_words_inside_them_match(client):
    data = api(client, q="DGN_PAL", kind="variable")
    names = [h["name"] for h in data["results"]]
    exact = names.count("DGN_PAL")
    assert names[:exact] == ["DGN_PAL"] * exact  # then DGN_PAL1... (prefix)
    # The same variable in several tables is one hit naming the others.
    tables = [t for h in data["results"][:exact]
              for t in (f"{h['table']}.DGN_PAL", *(a["label"] for a in h["also_in"]))]
    assert len(tables) >= 5 and "T_MCOaaB.DGN_PAL" in tables
    assert all(n.startswith("DGN_PAL") for n in names)
    data = api(client, q="BEN_NIR_PSA")
    first = next(h for h in data["results"] if h["kind"] == "variable")
    assert first["name"].upper() == "BEN_NIR_PSA"
    table = api(client, q="ir_ben_r", kind="table")["results"][0]
    assert table["name"] == "IR_BEN_R" and table["url"] == "/catalogue/snds/v1/tables/IR_BEN_R/"


def test_a_word_sharing_only_a_stem_is_not_a_whole_word(client):
    """PostgreSQL's French stemmer makes one stem of "diabétique" and "diabète": the whole-word
    rule must still see two words, as FTS5 does, or the shorter code of the stemmed word wins."""
    codes = Dataset.objects.get(slug="snds").nomenclatures.get(name="IR_CIM_V").codes
    for code, label in (("E11", "Coma ornithorynque diabétique"),
                        ("E110", "Diabète ornithorynque")):
        row = codes.get(code=code)
        row.label = label
        row.save()
    hits = api(client, q="diabète ornithorynque", kind="code")["results"]
    assert [h["name"] for h in hits] == ["E110", "E11"]


def test_among_equal_matches_the_shorter_text_ranks_first(client):
    """Relevance weighs the length of the text, as bm25 does: a short description holding the
    word before a long one (PostgreSQL's plain ts_rank gives both the same score)."""
    h, _ = DataHolder.objects.get_or_create(slug="inserm", defaults={"name": "INSERM"})
    ds = Dataset.objects.create(slug="registre-rang", holder=h, title_fr="Registre")
    long = "Ornithorynque observé au bord de la rivière, dans le nord du pays, en hiver"
    spec = VersionSpec(tables=(TableSpec("REG_ORN", title_fr="Observations", variables=(
        VariableSpec("ORN_LONG", description_fr=long),  # first: the lower id wins ties
        VariableSpec("ORN_SHORT", description_fr="Ornithorynque"))),))
    import_version(ds, spec, status=str(Status.PUBLISHED))
    hits = api(client, q="ornithorynque", kind="variable")["results"]
    assert [h["name"] for h in hits] == ["ORN_SHORT", "ORN_LONG"]


# --- facets ----------------------------------------------------------------------------------------


def test_facets_narrow_the_results_and_their_counts_add_up(client):
    second_holder_dataset()
    data = api(client, q="date")
    total = data["total"]
    assert total > 100
    holders = counts(data, "holder")
    assert set(holders) == {"cnam", "inserm"} and sum(holders.values()) == total
    assert sum(k["count"] for k in data["kinds"]) == total
    # Each holder's count is what ticking it gives, and only its entries come back.
    for slug, n in holders.items():
        narrowed = api(client, q="date", holder=slug)
        assert narrowed["total"] == n < total
        assert {h["dataset"] for h in narrowed["results"]} == (
            {"snds"} if slug == "cnam" else {"registre-inserm"})
    # Products: tables and variables carry one; a count is what ticking the product gives.
    products = counts(data, "product")
    assert products["REGISTRE"] == 3  # the table and its two variables
    for product in ("REGISTRE", "PMSI MCO", "DCIR"):
        narrowed = api(client, q="date", product=product, kind="variable")
        assert narrowed["total"] == counts(narrowed, "product")[product]
        assert narrowed["total"] < total
        assert {h["product"] for h in narrowed["results"]} == {product}
    two = api(client, q="date", product=["REGISTRE", "PMSI MCO"], kind="variable")
    assert two["total"] == (api(client, q="date", product="REGISTRE", kind="variable")["total"]
                            + api(client, q="date", product="PMSI MCO", kind="variable")["total"])
    # Categories and years narrow too, with the counts shown.
    category = counts(data, "category")
    assert category["REGISTRY"] == api(client, q="date", category="REGISTRY")["total"] == 3
    years = counts(data, "year")
    assert "2019" in years and "2005" in years
    for year in ("2005", "2019"):
        assert api(client, q="date", year=year)["total"] == years[year] < total
    # The registry's version covers 2015-2020: not in 2005.
    assert api(client, q="date", year="2005", holder="inserm")["total"] == 0
    # Facets combine (AND across facets).
    both = api(client, q="date", holder="cnam", product="PMSI MCO")
    assert 0 < both["total"] == counts(api(client, q="date", holder="cnam"), "product")["PMSI MCO"]


def test_a_product_reaches_the_codes_of_the_lists_its_tables_use(client):
    everything = api(client, q="diabète")
    mco = api(client, q="diabète", product="PMSI MCO")
    assert 0 < mco["total"] < everything["total"]
    assert {c["name"] for c in mco["code_lists"]} >= {"MS_CIM_V"}
    assert "IR_CIM_V" not in {c["name"] for c in mco["code_lists"]}  # not used by PMSI MCO
    used = {u["label"] for c in mco["code_lists"] for u in c["used_by"]}
    assert "T_MCOaaB.DGN_PAL" in used and ALD_VARIABLE not in used


def test_the_page_has_facet_checkboxes_kind_links_and_pages(client):
    html = client.get("/catalogue/search/", {"q": "date"}).content.decode()
    assert 'name="product" value="PMSI MCO"' in html
    assert "kind=variable" in html
    page1 = client.get("/catalogue/search/", {"q": "date", "kind": "variable"}).content.decode()
    page2 = client.get("/catalogue/search/", {"q": "date", "kind": "variable", "page": 2})
    assert page2.status_code == 200
    assert 'rel="next"' in page1 and 'rel="prev"' in page2.content.decode()
    one = api(client, q="date", kind="variable", page=1)["results"]
    two = api(client, q="date", kind="variable", page=2)["results"]
    # 20 rows a page; the same variable in several tables of a page is one hit.
    assert 0 < len(one) <= 20 and not {h["url"] for h in one} & {h["url"] for h in two}
    last = api(client, q="date", kind="variable", page=9999)
    assert last["page"] == last["pages"] and last["results"]
    filtered = client.get("/catalogue/search/", {"q": "date", "product": "DCIR"}).content.decode()
    assert "Remove filter" in filtered or "Retirer le filtre" in filtered


def test_facets_without_text_browse_the_catalogue(client):
    data = api(client, kind="table", product="DCIR")
    names = [h["name"] for h in data["results"]]
    assert data["total"] == len(names) == 16 and names == sorted(names)
    assert {h["product"] for h in data["results"]} == {"DCIR"}
    assert "ER_PRS_F" in names
    overview = api(client, holder="cnam")
    assert sum(k["count"] for k in overview["kinds"]) == overview["total"] > 400_000
    assert not overview["code_lists"]  # "lists with matching codes" needs a text to match
    intro = client.get("/catalogue/search/").content.decode()
    assert 'id="search-q"' in intro and 'class="hits"' not in intro


def test_no_result_says_so(client):
    response = client.get("/catalogue/search/", {"q": "xyzzyplugh"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="empty"' in html
    assert api(client, q="xyzzyplugh")["total"] == 0


# --- who sees what -----------------------------------------------------------------------------


def test_drafts_are_invisible_to_anonymous_users_and_visible_to_their_editors(
        client, make_user, signed_in):
    snds = Dataset.objects.get(slug="snds")
    draft = import_version(snds, VersionSpec(tables=(TableSpec(
        "T_ZORGLUB", title_fr="Table brouillon", product="DCIR",
        variables=(VariableSpec("ZRG_COD", description_fr="Zorglubine administrée"),)),)))
    assert draft.status == Status.DRAFT
    second_holder_dataset(status=str(Status.DRAFT), holder="orsay", word="zorglubine")
    assert api(client, q="zorglubine")["total"] == 0
    assert "ZRG_COD" not in client.get("/catalogue/search/", {"q": "zorglubine"}).content.decode()

    editor = make_user("ed", holder="cnam", totp=True)
    c = signed_in(editor)
    data = api(c, q="zorglubine")
    assert {(h["dataset"], h["name"]) for h in data["results"]} == {("snds", "ZRG_COD")}
    hit = data["results"][0]
    assert hit["status"] == "draft" and hit["version"] == draft.number
    assert c.get(hit["url"].split("#")[0]).status_code == 200
    html = c.get("/catalogue/search/", {"q": "zorglubine"}).content.decode()
    assert "ZRG_COD" in html and "status-draft" in html
    # Another holder's editor sees neither draft but its own.
    c.logout()
    other = make_user("orsay-ed", holder="orsay", totp=True)
    data = api(signed_in(other), q="zorglubine")
    assert {h["dataset"] for h in data["results"]} == {"registre-orsay"}

    # Publishing needs no re-indexing: visibility is read from the status at search time.
    DatasetVersion.objects.filter(pk=draft.pk).update(status=Status.PUBLISHED,
                                                      published=timezone.now())
    client.logout()
    data = api(client, q="zorglubine")
    assert [h["name"] for h in data["results"]] == ["ZRG_COD"]
    # v1 is now superseded: its tables are no longer searched, v2's are.
    assert api(client, q="IR_BEN_R", kind="table")["total"] == 0
    DatasetVersion.objects.filter(pk=draft.pk).update(status=Status.ARCHIVED)
    assert api(client, q="zorglubine")["total"] == 0
    assert api(client, q="IR_BEN_R", kind="table")["total"] == 1


# --- hostile input ---------------------------------------------------------------------------------


HOSTILE = ['"', '""', "'", "*", "-", "-diabète", "NEAR(a b)", "NEAR", "a AND", "AND", "OR", "NOT",
           "(", ")", "((", ":", "name:diabète", "col:*", "^a", "a*b", "\\", "%", "_", "%_%",
           "'; DROP TABLE search_document; --", "1' OR '1'='1", "<script>alert(1)</script>",
           "\u200b", "²³", "🩺 diabète", "Ω≈ç√", "a" * 5000, "& | ! <-> :*",
           "{{ q }}", "{% debug %}", "%s %s", "$1", "E11:*", "!diabète"]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_input_is_harmless(client, q):
    response = client.get("/catalogue/search/", {"q": q})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    data = api(client, q=q)
    assert data["total"] >= 0
    for kind in ("code", "variable"):
        assert client.get("/catalogue/search/", {"q": q, "kind": kind, "page": "2"}
                          ).status_code == 200
    assert Document.objects.exists()


def test_a_nul_character_is_refused(client):
    for params in ({"q": "diab\x00ète"}, {"q": "date", "product": "\x00"}):
        assert client.get("/catalogue/search/", params).status_code == 400
        assert client.get("/api/catalogue/search", params).status_code == 400


def test_hostile_facets_and_pages_are_harmless(client):
    for params in ({"q": "date", "holder": "'; --", "product": "'", "year": "20x9",
                    "category": "NOPE", "kind": "evil", "page": "-3"},
                   {"q": "date", "page": "abc", "year": "99999"},
                   {"product": "%", "holder": "*"}):
        assert client.get("/catalogue/search/", params).status_code == 200
    data = api(client, q="date", product="'; DROP TABLE x; --")
    assert data["total"] == 0
    assert client.get("/api/catalogue/search", {"q": "date", "page": "abc"}).status_code == 422


# --- keeping the index in step ---------------------------------------------------------------------


def fts_entries() -> int:
    """Rows in the full-text index itself (FTS5 table or tsvector column)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT COUNT(*) FROM search_document WHERE tsv IS NOT NULL")
        else:
            cursor.execute("SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH 'zorglubine*'")
        return int(cursor.fetchone()[0])


def test_import_indexes_and_deleting_a_version_unindexes(client):
    snds = Dataset.objects.get(slug="snds")
    assert Document.objects.filter(kind=Kind.CODE, dataset=snds).count() > 400_000
    assert Document.objects.filter(kind=Kind.TABLE, dataset=snds).count() == 188
    version = second_holder_dataset(word="zorglubine")
    assert Document.objects.filter(version=version).count() == 3
    assert api(client, q="zorglubine")["total"] == 3  # the table and its two variables
    before = fts_entries()
    reindex_version(version)  # idempotent
    assert Document.objects.filter(version=version).count() == 3
    assert fts_entries() == before
    pk = version.pk
    version.delete()  # the cascade takes the index rows (and, on SQLite, the FTS5 entries)
    assert not Document.objects.filter(version_id=pk).exists()
    assert api(client, q="zorglubine")["total"] == 0
    if connection.vendor == "sqlite":
        assert fts_entries() == 0


def test_objects_saved_one_by_one_are_reindexed(client):
    """Editing pages save tables, variables and datasets one by one: their rows follow."""
    version = second_holder_dataset()
    table = version.tables.get(name="REG_CAS")
    variable = table.variables.get(name="CAS_TOP")
    variable.description_fr = "Topographie tumorale (classification quetzalcoatl)"
    variable.save()
    hits = api(client, q="quetzalcoatl")["results"]
    assert [(h["table"], h["name"]) for h in hits] == [("REG_CAS", "CAS_TOP")]
    table.product = "REGISTRE DES CANCERS"
    table.save()
    data = api(client, q="quetzalcoatl")
    assert counts(data, "product") == {"REGISTRE DES CANCERS": 1}
    dataset = version.dataset
    dataset.title_fr = "Registre xylophage"
    dataset.save()
    assert [h["kind"] for h in api(client, q="xylophage")["results"]] == ["dataset"]
    variable.delete()
    assert api(client, q="quetzalcoatl")["total"] == 0
    code = Dataset.objects.get(slug="snds").nomenclatures.get(name="IR_CIM_V").codes.get(code="E11")
    code.label = "Diabète sucré de type 2 (ornithorynque)"
    code.save()
    hits = api(client, q="ornithorynque")["results"]
    assert [(h["name"], h["nomenclature"]["label"]) for h in hits] == [("E11", "IR_CIM_V")]
    assert Document.objects.filter(kind=Kind.CODE, object_id=code.pk).count() == 1


def test_rebuild_gives_the_same_index(client):
    before = api(client, q="diabète")
    count = Document.objects.count()
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert out.getvalue().startswith(f"indexed {count} entries")
    assert Document.objects.count() == count
    after = api(client, q="diabète")
    assert after["total"] == before["total"]
    assert after["code_lists"] == before["code_lists"]
    assert AuditEvent.objects.filter(action="search.index_rebuilt").exists()


# --- the query text --------------------------------------------------------------------------------


def test_search_terms_never_carry_an_operator():
    assert terms('DGN_PAL "diabète" NEAR(a -b) *') == [["DGN", "PAL"], ["diabète"], ["NEAR", "a"],
                                                      ["b"]]
    assert fts5_query([["DGN", "PAL"], ["diabète"], ["a"]]) == '"DGN pal"* "diabet"* "a"'
    assert tsquery([["DGN", "PAL"], ["diabète"], ["a"]]) == "(DGN <-> PAL:*) & (diabète:*) & (a)"
    assert terms("") == terms("*** --- :") == []
    assert len(terms(" ".join(["mot"] * 50))) == 10


def test_the_api_is_documented(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/catalogue/search" in schema["paths"]


# --- synonyms, suggestions ------------------------------------------------------------------------


def test_synonyms_make_groups_of_alternatives():
    from hygie.web.search.terms import as_text, groups

    found = groups("Heart Failure 2019")
    assert [as_text(g.typed) for g in found] == ["Heart Failure", "2019"]
    assert "insuffisance cardiaque" in {as_text(a) for a in found[0].synonyms}
    assert found[1].synonyms == ()
    # Plurals and accents do not matter when matching the table; operators never get through.
    assert "séjour" in {as_text(a) for a in groups("HOSPITALIZATIONS")[0].synonyms}
    assert groups('"" * - :') == []


def test_english_terms_find_the_french_labels(client):
    data = api(client, q="hospitalization", kind="table")
    assert data["total"] > 0 and "T_MCOaaB" in {h["name"] for h in data["results"]}
    assert not data["suggestions"]


def test_nothing_found_suggests_close_spellings_and_synonyms(client):
    data = api(client, q="hospitalizaton")
    assert data["total"] == 0
    texts = [s["text"] for s in data["suggestions"]]
    assert texts[0] == "hospitalisation"
    assert any(s["synonym"] for s in data["suggestions"])
    for s in data["suggestions"]:
        assert s["url"].startswith("/catalogue/search/?q=")
        assert api(client, q=s["text"])["total"] > 0  # each suggestion finds something
    assert "diabete" in [s["text"] for s in api(client, q="diabtee")["suggestions"]]
    html = client.get("/catalogue/search/", {"q": "hospitalizaton"}).content.decode()
    assert 'id="suggestions"' in html and 'href="/catalogue/search/?q=hospitalisation"' in html
    assert api(client, q="xyzzyplugh")["suggestions"] == []  # nothing close: no guess


# --- a code list page: landing on a code, searching inside the list ----------------------------


def test_a_code_link_opens_the_page_holding_the_code(client):
    url = "/catalogue/snds/codes/IR_CIM_V/"
    page = client.get(url, {"code": "Z992"}).content.decode()
    assert '<tr id="code-Z992" class="code-current" aria-current="true">' in page
    assert page.count('aria-current="true"') == 1
    assert "Page 1 of" not in page and "Page 1 sur" not in page  # Z992 is far down the list
    # An explicit page wins; an unknown code says so.
    first = client.get(url, {"code": "Z992", "page": 1}).content.decode()
    assert 'id="code-Z992"' not in first and 'id="code-A00"' in first
    unknown = client.get(url, {"code": "ZZZ999"}).content.decode()
    assert "ZZZ999" in unknown and "fr-alert" in unknown


def test_searching_inside_a_code_list(client):
    url = "/catalogue/snds/codes/IR_CIM_V/"
    page = client.get(url, {"q": "DIABÈTE sucré"}).content.decode()
    assert 'id="code-E11"' in page and 'id="code-I50"' not in page
    assert client.get(url, {"q": "diabete sucre"}).content.decode().count("<tr id=") == \
        page.count("<tr id=")
    by_code = client.get(url, {"q": "e11"}).content.decode()
    assert 'id="code-E11"' in by_code and 'id="code-E110"' in by_code
    assert 'id="code-E10"' not in by_code
    # Many matches are paginated, and the pages keep the search.
    many = client.get(url, {"q": "tumeur"}).content.decode()
    assert 'rel="next"' in many and "q=tumeur" in many
    # With the search, a code link still lands on its row within the matches.
    both = client.get(url, {"q": "tumeur", "code": "D489"}).content.decode()
    assert '<tr id="code-D489" class="code-current"' in both
    for hostile in ('"', "NEAR(", "*", "'; --", "%", "_"):
        assert client.get(url, {"q": hostile}).status_code == 200
    echoed = client.get(url, {"q": "<script>x</script>"}).content.decode()
    assert 'value="&lt;script&gt;x&lt;/script&gt;"' in echoed and "<script>x" not in echoed
