"""The dataset page shows the whole record, its last update and how to cite it; the catalogue list
has summaries, tags, a text filter and facets whose counts agree with the database; charts name
their codes; a new run of the statistics keeps the public figures on the page."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from urllib.parse import quote

import pytest
from django.utils import timezone

from hygie.catalogue.spec import TableSpec, VariableSpec, VersionSpec
from hygie.web.catalogue.forms import METADATA
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import (
    DataHolder,
    Dataset,
    DatasetVersion,
    GdprBasis,
    HealthCategory,
    Nomenclature,
    Status,
)

pytestmark = pytest.mark.django_db

SPEC = VersionSpec(tables=(TableSpec("VISITS", title_fr="Passages", variables=(
    VariableSpec("age", description_fr="Âge"),)),))
PUBLISHED_ON = dt.datetime(2024, 3, 15, 10, 0, tzinfo=dt.UTC)
RELEASED = (Status.PUBLISHED, Status.ARCHIVED)


def text_of(page: str) -> str:
    """The page's text as read: tags dropped, entities decoded, spaces collapsed."""
    body = page.split('<main', 1)[1].split(">", 1)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def french(client: Any, url: str, **params: Any) -> str:
    client.cookies["django_language"] = "fr"
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="fr").content.decode()


def english(client: Any, url: str, **params: Any) -> str:
    client.cookies["django_language"] = "en"
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.fixture
def full_record() -> DatasetVersion:
    """A dataset with every field of the edit form filled in, imported from a portal with a DOI."""
    from hygie.web.dcat.models import ImportedDataset

    holder = DataHolder.objects.create(slug="registre", name="Registre national des cancers",
                                       url="https://registre.example.org",
                                       email="equipe@registre.example.org")
    ds = Dataset.objects.create(
        slug="cancers", holder=holder, title_fr="Registre des cancers",
        title_en="Cancer registry",
        description_fr="Cas de cancers enregistrés. Deuxième phrase ici.",
        description_en="Registered cancer cases. A second sentence here.",
        health_categories=[HealthCategory.REGISTRY, HealthCategory.COHORT],
        keywords=["oncologie", "tumeurs solides"],
        population_coverage_fr="Résidents de douze départements.",
        population_coverage_en="Residents of twelve départements.",
        legal_basis="Article L. 1413-1 du code de la santé publique",
        gdpr_bases=[GdprBasis.A6_1_E, GdprBasis.A9_2_J], retention="20 ans",
        access_body="Health Data Hub", licence="https://www.etalab.gouv.fr/licence-ouverte",
        landing_page="https://registre.example.org/donnees",
        contact_email="donnees@registre.example.org")
    ImportedDataset.objects.create(dataset=ds, iri="https://doi.org/10.1234/cancers.2024",
                                   themes=["http://publications.europa.eu/resource/authority/"
                                           "data-theme/HEAL"])
    version = import_version(ds, SPEC, label="2024-03", status=str(Status.PUBLISHED))
    DatasetVersion.objects.filter(pk=version.pk).update(published=PUBLISHED_ON, first_year=2010,
                                                        last_year=2022, source="registre@v7")
    cim = Nomenclature.objects.create(dataset=ds, name="IR_CIM_V", code_column="code")
    cim.versions.add(version)
    version.refresh_from_db()
    return version


def shown_value(ds: Dataset, field: str, lang: str) -> list[str]:
    """What the page must show for one field of the edit form, read from the model."""
    value = getattr(ds, field)
    if field == "health_categories":
        return [str(HealthCategory(c).label) for c in value]
    if field == "gdpr_bases":
        return [str(GdprBasis(c).label) for c in value]
    if field == "keywords":
        return list(value)
    if field.endswith(("_fr", "_en")):  # the text in the page's language
        return [value] if field.endswith(f"_{lang}") and value else []
    return [value] if value else []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_field_of_the_edit_form_is_on_the_page(full_record, client, lang):
    from django.utils import translation

    page = (french if lang == "fr" else english)(client, "/catalogue/cancers/")
    shown = text_of(page)
    ds = full_record.dataset
    with translation.override(lang):
        for field in METADATA:
            for value in shown_value(ds, field, lang):
                assert " ".join(value.split()) in shown, (field, value)
    # Keywords are DSFR tags that filter the list.
    for k in ds.keywords:
        assert f'<a class="fr-tag" href="/catalogue/?keyword={quote(k)}">{k}</a>' in page, k
    assert 'href="mailto:donnees@registre.example.org"' in page
    assert 'href="https://registre.example.org/donnees"' in page
    assert 'href="https://www.etalab.gouv.fr/licence-ouverte"' in page


def test_the_page_has_what_the_export_has_beyond_the_form(full_record, client):
    page = french(client, "/catalogue/cancers/")
    shown = text_of(page)
    assert "Registre national des cancers" in shown  # publisher
    assert "de 2010 à 2022" in shown  # temporal coverage
    assert "CIM-10 (ICD-10)" in shown  # coding system (conformsTo) of its code list
    assert "registre@v7" in shown  # the description's source
    assert "Santé" in shown  # theme of the imported record
    # The identifier it had elsewhere, as a DOI, resolvable.
    assert '<a href="https://doi.org/10.1234/cancers.2024">10.1234/cancers.2024</a>' in page
    # The last update: the version's publication date.
    assert '<time datetime="2024-03-15T' in page and "15 mars 2024" in shown


def test_the_citation_in_both_languages(full_record, client):
    fr = text_of(french(client, "/catalogue/cancers/")).split("Comment citer", 1)[1]
    assert fr.startswith(" Registre national des cancers. Registre des cancers, version 1 "
                         "(2024-03). Hygie, 2024. http://testserver/catalogue/cancers/v1/ "
                         "(consulté le "), fr[:200]
    assert "DOI : 10.1234/cancers.2024." in fr
    en = text_of(english(client, "/catalogue/cancers/")).split("How to cite", 1)[1]
    assert en.startswith(" Registre national des cancers. Cancer registry, version 1 (2024-03). "
                         "Hygie, 2024. http://testserver/catalogue/cancers/v1/ (accessed on ")
    assert "DOI: 10.1234/cancers.2024." in en


def test_a_record_without_doi_cites_its_identifier_and_a_draft_its_creation(client, make_user,
                                                                              signed_in):
    from hygie.web.dcat.models import ImportedDataset

    holder = DataHolder.objects.create(slug="h", name="Holder H")
    ds = Dataset.objects.create(slug="plain", holder=holder, title_fr="Base simple")
    ImportedDataset.objects.create(dataset=ds, iri="urn:example:plain")
    draft = import_version(ds, SPEC)
    c = signed_in(make_user("ed", holder="h", totp=True))
    shown = text_of(french(c, "/catalogue/plain/"))
    assert "Identifiant : urn:example:plain." in shown
    assert f"Hygie, {draft.created.year}." in shown
    assert "Pas de licence ouverte" in shown  # no licence: said so, not left blank


# --- the catalogue list --------------------------------------------------------------------------


@pytest.fixture
def catalogue() -> list[Dataset]:
    """Five released datasets and a draft, with overlapping categories, keywords and holders."""
    a = DataHolder.objects.create(slug="agence-a", name="Agence A")
    b = DataHolder.objects.create(slug="agence-b", name="Agence B")
    rows = [
        ("urgences", a, "Passages aux urgences", [HealthCategory.EMERGENCY],
         ["urgences", "hôpital"], ""),
        ("deces", a, "Causes médicales de décès", [HealthCategory.DEATHS], ["mortalité"],
         "https://www.etalab.gouv.fr/licence-ouverte"),
        ("diabete", b, "Cohorte diabète", [HealthCategory.COHORT, HealthCategory.EHR],
         ["Diabète", "hôpital"], ""),
        ("enquete", b, "Enquête santé", [HealthCategory.SURVEY], ["hôpital", "mortalité"],
         "https://www.etalab.gouv.fr/licence-ouverte"),
        ("registre", b, "Registre des dialyses", [HealthCategory.REGISTRY, HealthCategory.EHR],
         ["dialyse"], ""),
    ]
    out = []
    for slug, holder, title, categories, keywords, licence in rows:
        ds = Dataset.objects.create(slug=slug, holder=holder, title_fr=title,
                                    description_fr=f"{title} : premier point. Suite du texte.",
                                    health_categories=categories, keywords=keywords,
                                    licence=licence)
        status = Status.ARCHIVED if slug == "deces" else Status.PUBLISHED
        import_version(ds, SPEC, status=str(status))
        out.append(ds)
    hidden = Dataset.objects.create(slug="brouillon", holder=b, title_fr="Brouillon",
                                    health_categories=[HealthCategory.EHR], keywords=["hôpital"])
    import_version(hidden, SPEC)  # a draft: neither listed nor counted for the public
    return out


FACET_LINK = re.compile(r'<a href="\?([^"]*)" data-facet="(\w+)" data-value="([^"]*)"[^>]*>'
                        r'.*?</a> <span class="facet-count" data-count="(\d+)"')


def facets_of(page: str) -> dict[tuple[str, str], int]:
    return {(facet, html.unescape(value)): int(count)
            for _, facet, value, count in FACET_LINK.findall(page)}


def listed(page: str) -> set[str]:
    return set(re.findall(r'<li class="fr-card fr-mb-3w dataset-card" id="dataset-([\w-]+)"',
                          page))


def fold(s: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", s)
                   if not unicodedata.combining(c)).casefold()


def released_datasets() -> list[Dataset]:
    """Counted from the models, without the listing's code: datasets with a released version."""
    return list(Dataset.objects.filter(versions__status__in=RELEASED).distinct()
                .select_related("holder"))


def values_of(ds: Dataset, facet: str) -> set[str]:
    if facet == "category":
        return set(ds.health_categories)
    if facet == "holder":
        return {ds.holder.slug}
    if facet == "keyword":
        return {fold(k) for k in ds.keywords}
    if facet == "access":
        return {"open" if ds.licence else "request"}
    return set()


def expected(filters: dict[str, str]) -> list[Dataset]:
    return [d for d in released_datasets()
            if all(v in values_of(d, f) for f, v in filters.items())]


@pytest.mark.parametrize("filters", [
    {}, {"category": "EHR"}, {"holder": "agence-b"}, {"keyword": "hopital"},
    {"keyword": "hôpital", "holder": "agence-b"}, {"access": "open"},
    {"access": "request", "category": "EHR"}, {"holder": "agence-a", "keyword": "dialyse"}])
def test_facets_filter_and_count_as_the_models_do(catalogue, client, filters):
    page = french(client, "/catalogue/", **filters)
    wanted = {fold(k): fold(v) if k == "keyword" else v for k, v in filters.items()}
    assert listed(page) == {d.slug for d in expected(wanted)}
    counts = facets_of(page)
    assert counts, "no facet shown"
    for (facet, value), count in counts.items():
        if facet == "theme":
            continue
        others = {f: v for f, v in wanted.items() if f != facet}
        independent = sum(value in values_of(d, facet) for d in expected(others))
        assert count == independent, (facet, value, count, independent)
    # Every value some listed dataset has is offered.
    for d in expected(wanted):
        for facet in ("category", "holder", "access"):
            for v in values_of(d, facet):
                assert (facet, v) in counts, (facet, v)
    assert "brouillon" not in listed(page)


def test_the_text_filter_ignores_accents_and_keeps_the_facets(catalogue, client):
    page = french(client, "/catalogue/", q="DIABETE")
    assert listed(page) == {"diabete"}
    page = french(client, "/catalogue/", q="hopital", holder="agence-a")
    assert listed(page) == {"urgences"}
    assert '<input type="hidden" name="holder" value="agence-a">' in page  # the form keeps it
    # A chosen filter can be removed; the link keeps the words.
    assert re.search(r'<a class="fr-tag[^"]*" href="\?q=hopital"', page)


def test_the_list_shows_summaries_and_tags(catalogue, client):
    page = french(client, "/catalogue/")
    card = page.split('id="dataset-enquete"')[1].split("dataset-card")[0]
    assert "Enquête santé : premier point." in card and "Suite du texte" not in card
    assert '<a class="fr-tag fr-tag--sm tag-category" href="?category=SURVEY">' in card
    assert re.search(r'<a class="fr-tag fr-tag--sm tag-keyword" href="\?keyword=mortalit[^"]+">'
                     r'mortalité</a>', card)
    assert "Agence B" in card


def test_hostile_or_unknown_filters_find_nothing_and_break_nothing(catalogue, client):
    response = client.get("/catalogue/", {"category": "<script>x</script>", "q": "a" * 5000})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>x" not in page and listed(page) == set()
    assert 'id="no-dataset"' in page


# --- charts ---------------------------------------------------------------------------------------


def test_bars_are_labelled_with_the_name_beside_the_code(snds_version_with_codes, client):
    page = french(client, "/catalogue/snds/")
    svg = re.search(r'<svg [^>]*id="chart-top-atc".*?</svg>', page, re.S).group(0)
    labels = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    assert "N02BE01 Paracetamol" in labels  # the name stored with the figures
    assert "A10BA02 Metformine" in labels  # a name the result lacked, from the packaged list
    cim = re.search(r'<svg [^>]*id="chart-top-cim10".*?</svg>', page, re.S).group(0)
    long = re.search(r"<title>(E11\w* [^<]+)</title><text [^>]*>(E11[^<]*…)</text>", cim)
    assert long, cim[:2000]  # a long name is cut in the bar, whole in its tooltip
    assert long.group(1).startswith(long.group(2)[:-1])
    # Every chart is drawn at its own size: its 12 px text is not shrunk with the chart.
    for chart in re.findall(r'<svg [^>]*class="figure-svg"[^>]*>', page):
        width, height = re.search(r'width="(\d+)" height="(\d+)"', chart).groups()
        assert f'viewBox="0 0 {width} {height}"' in chart
        assert 'font-size="12"' in chart
    # The names are in the table too, left open.
    table = page.split('id="figure-chart-top-atc"')[1].split("</figure>")[0]
    assert "<details open>" in table and "<td>Metformine</td>" in table
    # The synthetic tag on every chart.
    assert page.count('class="tag synthetic chart-synthetic"') == 6


@pytest.fixture
def snds_version_with_codes() -> DatasetVersion:
    from hygie.catalogue.stats import SECRECY
    from hygie.web.catalogue.models import Statistics

    version = DatasetVersion.objects.get(dataset__slug="snds", number=1)
    DatasetVersion.objects.filter(pk=version.pk).update(lake_path="/somewhere",
                                                        lake_synthetic=True)
    cim_code, cim_label = long_cim_label()
    result = {"secrecy": SECRECY, "individuals": 1000, "records": 5000,
              "age_pyramid": [{"band": "0-4", "sex": 1, "people": 20},
                              {"band": "0-4", "sex": 2, "people": 25}],
              "years": [{"year": 2021, "people": 800, "records": 2000},
                        {"year": 2022, "people": 900, "records": 3000}],
              "top_codes": {"ATC": [{"code": "N02BE01", "label": "paracetamol", "people": 300},
                                    {"code": "A10BA02", "label": "", "people": 120}],
                            "CIM10": [{"code": cim_code, "label": cim_label, "people": 50}],
                            "CCAM": [{"code": "ZZQK002", "label": "", "people": 40}]}}
    Statistics.objects.update_or_create(version=version, defaults={
        "state": "done", "result": result, "progress": 100, "step": "done",
        "finished": timezone.now()})
    version.refresh_from_db()
    return version


def long_cim_label() -> tuple[str, str]:
    from hygie.snds.nomenclatures import nomenclature

    labels = nomenclature("IR_CIM_V").labels()
    code = next(c for c in sorted(labels) if c.startswith("E11") and len(labels[c]) > 40)
    return code, labels[code]


def test_computing_again_keeps_the_public_figures_until_the_new_ones(
        snds_version_with_codes, make_user, signed_in):
    from hygie.web.catalogue.models import Statistics
    from hygie.web.catalogue.tasks import request_statistics

    editor = signed_in(make_user("ed", holder="cnam", totp=True))
    response = editor.post("/catalogue/snds/v1/statistics/compute/")
    assert response.status_code == 302
    stats = Statistics.objects.get(version=snds_version_with_codes)
    assert stats.state == Statistics.State.QUEUED
    from django.test import Client

    page = Client().get("/catalogue/snds/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    section = page.split('id="statistics"')[1].split("</section>")[0]
    assert '<progress id="statistics-progress"' in section  # the run is followed...
    assert 'id="chart-pyramid"' in section and 'id="chart-top-atc"' in section  # ...figures stay
    assert "ceux du dernier calcul" in section
    # Attaching other data never keeps the figures of the former ones.
    request_statistics(snds_version_with_codes, via="attach_lake")
    page = Client().get("/catalogue/snds/").content.decode()
    assert 'id="chart-pyramid"' not in page and '<progress id="statistics-progress"' in page


# --- diagram and table pages ---------------------------------------------------------------------


def test_the_diagram_is_drawn_at_its_own_size_whatever_the_product(client):
    sizes = {}
    for product in ("PMSI MCO", "DCIR", "CARTOGRAPHIE PATHOLOGIES"):
        page = client.get("/catalogue/snds/", {"relations": product}).content.decode()
        svg = re.search(r'<svg [^>]*id="relations-diagram"[^>]*>', page)
        if svg is None:
            continue
        width, height = map(int, re.search(r'width="(\d+)" height="(\d+)"', svg.group(0))
                            .groups())
        assert f'viewBox="0 0 {width} {height}"' in svg.group(0)
        assert 'font-size="12"' in svg.group(0)
        sizes[product] = (width, height)
        assert 'id="diagram-frame"' in page and 'id="diagram-zoom"' in page
    assert sizes["PMSI MCO"][0] <= 1100  # fits a desktop column; taller instead
    assert sizes["PMSI MCO"][1] > sizes["DCIR"][1]


def test_wide_tables_scroll_in_their_own_frame(client):
    page = client.get("/catalogue/snds/v1/tables/IR_BEN_R/").content.decode()
    frame = page.split('id="variables-table"')[0].rsplit("<div", 1)[1]
    assert "fr-table" in frame
    assert '<div class="fr-table__container" tabindex="0">' in page.split('id="variables-table"')[1]
    assert "/catalogue/snds/v1/?relations=BENEFICIAIRE#relations-title" in page
