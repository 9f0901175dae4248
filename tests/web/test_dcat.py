"""HealthDCAT-AP: the exports conform to the DCAT-AP 3 shapes and carry the health properties; another
portal's DCAT-AP catalogue imports as draft datasets, once."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from hygie.catalogue import dcat
from hygie.catalogue.dcat import DCAT, DCT, FOAF, HEALTH, RDF, VCARD, XSD
from hygie.catalogue.dcat_import import DcatImportError, format_of, parse, parse_within
from hygie.web.audit.models import AuditEvent
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import (
    DataHolder,
    Dataset,
    DatasetVersion,
    HealthCategory,
    Statistics,
    Status,
)
from hygie.web.dcat.export import describe
from hygie.web.dcat.models import ImportedDataset, ImportedHolder

FOREIGN = Path(__file__).parent / "data" / "foreign_catalogue.ttl"
SNDS = URIRef("http://testserver/catalogue/snds/")
PARSERS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}
TYPES = {"ttl": "text/turtle", "jsonld": "application/ld+json", "rdf": "application/rdf+xml"}


def download(client, url: str, ext: str) -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == f"{TYPES[ext]}; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith(f'.{ext}"')
    return Graph().parse(data=response.content, format=PARSERS[ext])


def int_value(graph: Graph, s: URIRef, p: URIRef) -> int | None:
    value = graph.value(s, p)
    if value is None:
        return None
    assert isinstance(value, Literal) and value.datatype == XSD.nonNegativeInteger
    return int(value)


# --- the core, without the web ------------------------------------------------------------------


def small_dataset(**overrides) -> dcat.DatasetDescription:
    fields = dict(
        iri="https://hygie.example.org/catalogue/pmsi/", title={"fr": "PMSI", "en": "PMSI"},
        description={"fr": "Séjours hospitaliers."},
        publisher=dcat.Agent("ATIH", iri="https://hygie.example.org/catalogue/#holder-atih",
                             homepage="https://www.atih.sante.fr"),
        health_categories=["HRAD"], coding_systems=dcat.coding_systems(["MS_CIM_V", "IR_CCAM_V63"]),
        population_coverage={"fr": "Patients hospitalisés en France."},
        legal_basis="Code de la santé publique, article L. 6113-7", retention="20 ans",
        gdpr_bases=["A6-1-e", "A9-2-j"],
        access_body=dcat.Agent("Health Data Hub", homepage="https://www.health-data-hub.fr"),
        contact=dcat.Contact("ATIH", email="contact@atih.example.org"),
        figures=dcat.figures_from_statistics({"records": 1200, "individuals": 800, "age_min": 3,
                                              "age_max": None, "years": [{"year": 2020},
                                                                         {"year": 2018}]}))
    fields.update(overrides)
    return dcat.DatasetDescription(**fields)


def test_the_graph_carries_the_healthdcat_properties():
    d = small_dataset()
    g = dcat.dataset_graph(d)
    s = URIRef(d.iri)
    assert (s, RDF.type, DCAT.Dataset) in g
    assert int_value(g, s, HEALTH.numberOfRecords) == 1200
    assert int_value(g, s, HEALTH.numberOfUniqueIndividuals) == 800
    assert int_value(g, s, HEALTH.minTypicalAge) == 3
    assert g.value(s, HEALTH.maxTypicalAge) is None  # hidden by secrecy: omitted, not zero
    assert set(g.objects(s, HEALTH.hasCodingSystem)) == {
        URIRef("http://www.wikidata.org/entity/P494"),
        URIRef("https://smt.esante.gouv.fr/terminologie-ccam")}
    assert g.value(s, HEALTH.healthCategory) == URIRef(dcat.HEALTH_CATEGORY_VOCABULARY + "HRAD")
    assert str(g.value(s, HEALTH.populationCoverage)) == "Patients hospitalisés en France."
    assert str(g.value(g.value(s, HEALTH.hdab), FOAF.name)) == "Health Data Hub"
    assert g.value(g.value(s, HEALTH.retentionPeriod), RDF.type) == DCT.PeriodOfTime
    bases = set(g.objects(s, dcat.DPV.hasLegalBasis))
    assert {dcat.GDPR["A6-1-e"], dcat.GDPR["A9-2-j"]} < bases and len(bases) == 3
    national = next(b for b in bases if not str(b).startswith(str(dcat.GDPR)))
    assert "L. 6113-7" in str(g.value(national, RDFS.label))
    assert all((b, RDF.type, dcat.DPV.LegalBasis) in g for b in bases)
    assert g.value(s, DCT.accessRights) == URIRef(dcat.NON_PUBLIC)
    # Years from the statistics when the version states none.
    period = g.value(s, DCT.temporal)
    assert (str(g.value(period, DCAT.startDate)), str(g.value(period, DCAT.endDate))) == ("2018",
                                                                                         "2020")
    assert str(g.value(g.value(s, DCAT.contactPoint), VCARD.hasEmail)) == "mailto:contact@atih.example.org"
    assert dcat.validate(g) == []


def test_statistics_figures_keep_only_released_counts():
    figures = dcat.figures_from_statistics({"records": None, "individuals": 12, "age_min": -1,
                                            "age_max": True, "years": [{"year": 2019, "people": None},
                                                                       {"year": "2020"}, "x"]})
    assert figures == dcat.Figures(records=None, individuals=12, age_min=None, age_max=None,
                                   years=(2019,))
    assert dcat.figures_from_statistics(None) == dcat.Figures()


def test_a_broken_graph_has_violations():
    d = small_dataset()
    g = dcat.dataset_graph(d)
    g.remove((URIRef(d.iri), DCT.title, None))
    g.remove((URIRef(d.iri), DCT.publisher, None))
    g.add((URIRef(d.iri), DCT.publisher, URIRef("https://nowhere.example.org/agent")))  # untyped
    found = {(v.focus, v.path) for v in dcat.validate(g)}
    assert (d.iri, "dct:title") in found
    assert (d.iri, "dct:publisher") in found


def test_unknown_serialisation_is_refused():
    with pytest.raises(ValueError, match="unknown RDF format"):
        dcat.serialise(Graph(), "n3")


# --- the exports, through the web -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_whole_catalogue_conforms_without_statistics(client):
    assert not Statistics.objects.filter(state=Statistics.State.DONE).exists()
    g = download(client, "/catalogue/dcat.ttl", "ttl")
    catalog = URIRef("http://testserver/catalogue/")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    assert (catalog, DCAT.dataset, SNDS) in g
    assert dcat.validate(g) == []
    assert g.value(SNDS, HEALTH.numberOfRecords) is None
    assert str(g.value(g.value(SNDS, DCT.publisher), FOAF.name)).startswith("Caisse nationale")
    systems = set(g.objects(SNDS, HEALTH.hasCodingSystem))
    assert {URIRef(s.iri) for s in (dcat.ICD10, dcat.ATC, dcat.CCAM, dcat.NABM)} <= systems
    assert {str(o) for o in g.objects(SNDS, DCAT.keyword)} >= {"SNDS", "PMSI"}
    assert g.value(SNDS, DCAT.landingPage) == URIRef("https://www.snds.gouv.fr")
    assert str(g.value(SNDS, DCAT.version)) == "1"
    # The SNDS data are not open: no licence, not the schemas' MPL-2.0 as if it were the data's.
    assert list(g.objects(None, DCT.license)) == []


@pytest.mark.django_db
def test_the_whole_catalogue_conforms_with_statistics(client):
    version = DatasetVersion.objects.get(dataset__slug="snds", status=Status.PUBLISHED)
    Statistics.objects.create(version=version, state=Statistics.State.DONE, result={
        "secrecy": "cell-key", "records": 123455, "individuals": 3000, "age_min": 4, "age_max": None,
        "years": [{"year": 2019, "people": 2900, "records": 30000},
                  {"year": 2022, "people": None, "records": 31000}],
        "age_pyramid": [], "top_codes": {}})
    g = download(client, "/catalogue/dcat.ttl", "ttl")
    assert dcat.validate(g) == []
    assert int_value(g, SNDS, HEALTH.numberOfRecords) == 123455
    assert int_value(g, SNDS, HEALTH.numberOfUniqueIndividuals) == 3000
    assert int_value(g, SNDS, HEALTH.minTypicalAge) == 4
    assert g.value(SNDS, HEALTH.maxTypicalAge) is None


@pytest.mark.django_db
def test_statistics_not_done_are_not_exported(client):
    version = DatasetVersion.objects.get(dataset__slug="snds", status=Status.PUBLISHED)
    Statistics.objects.create(version=version, state=Statistics.State.RUNNING,
                              result={"records": 5})
    g = download(client, "/catalogue/snds/dcat.ttl", "ttl")
    assert g.value(SNDS, HEALTH.numberOfRecords) is None


@pytest.mark.django_db
def test_each_dataset_conforms_in_every_format(client, make_user, signed_in):
    # A second dataset, of another holder, with a draft only: its editor exports it too.
    holder = DataHolder.objects.create(slug="atih", name="ATIH", email="contact@atih.example.org")
    Dataset.objects.create(slug="pmsi-ssr", holder=holder, title_fr="PMSI SSR",
                           health_categories=[HealthCategory.HOSPITAL], keywords=["SSR"])
    import_version(Dataset.objects.get(slug="pmsi-ssr"), small_spec())
    client = signed_in(make_user("editor", holder="atih", totp=True))
    slugs = [d.slug for d in Dataset.objects.all()]
    assert {"snds", "pmsi-ssr"} <= set(slugs)
    for slug in slugs:
        graphs = {ext: download(client, f"/catalogue/{slug}/dcat.{ext}", ext) for ext in PARSERS}
        assert dcat.validate(graphs["ttl"]) == [], slug
        s = URIRef(f"http://testserver/catalogue/{slug}/")
        assert (s, RDF.type, DCAT.Dataset) in graphs["ttl"]
        assert isomorphic(graphs["ttl"], graphs["jsonld"]) and isomorphic(graphs["ttl"], graphs["rdf"])
    g = download(client, "/catalogue/dcat.jsonld", "jsonld")
    assert dcat.validate(g) == []
    assert (URIRef("http://testserver/catalogue/pmsi-ssr/"), RDF.type, DCAT.Dataset) in g


def small_spec():
    from hygie.catalogue.spec import TableSpec, VariableSpec, VersionSpec

    return VersionSpec(tables=(TableSpec("T_SEJ", variables=(VariableSpec("ID"),)),),
                       first_year=2021, last_year=2021)


@pytest.mark.django_db
def test_drafts_are_not_exported_to_anonymous_users(client):
    holder = DataHolder.objects.create(slug="secret-holder", name="Secret holder")
    draft_only = Dataset.objects.create(slug="secret", holder=holder, title_fr="Base secrète")
    import_version(draft_only, small_spec())
    snds = Dataset.objects.get(slug="snds")
    draft = import_version(snds, small_spec())  # SNDS v2, a draft
    g = download(client, "/catalogue/dcat.ttl", "ttl")
    assert (URIRef("http://testserver/catalogue/secret/"), RDF.type, DCAT.Dataset) not in g
    assert str(g.value(SNDS, DCAT.version)) == "1"
    assert client.get("/catalogue/secret/dcat.ttl").status_code == 404
    assert client.get(f"/catalogue/snds/dcat.ttl?version={draft.number}").status_code == 404
    assert client.get("/catalogue/snds/dcat.ttl?version=x").status_code == 404
    assert client.get("/catalogue/snds/dcat.ttl?version=99999999999999").status_code == 404
    assert client.get("/catalogue/snds/dcat.n3").status_code == 404
    assert client.post("/catalogue/snds/dcat.ttl").status_code in (403, 405)


@pytest.mark.django_db
def test_the_catalogue_team_exports_drafts(make_user, signed_in):
    from hygie.web.accounts.models import Role

    holder = DataHolder.objects.create(slug="other", name="Other holder")
    ds = Dataset.objects.create(slug="draft-base", holder=holder, title_fr="Base en cours")
    import_version(ds, small_spec())
    team = make_user("team", role=Role.CATALOGUE_TEAM, totp=True, is_staff=True)
    client = signed_in(team)
    g = download(client, "/catalogue/dcat.ttl", "ttl")
    assert (URIRef("http://testserver/catalogue/draft-base/"), RDF.type, DCAT.Dataset) in g
    assert dcat.validate(g) == []


@pytest.mark.django_db
def test_an_editor_does_not_export_another_holders_drafts(make_user, signed_in):
    holder = DataHolder.objects.create(slug="other", name="Other holder")
    ds = Dataset.objects.create(slug="draft-base", holder=holder, title_fr="Base en cours")
    import_version(ds, small_spec())
    outsider = signed_in(make_user("outsider", holder="cnam", totp=True))
    assert outsider.get("/catalogue/draft-base/dcat.ttl").status_code == 404
    g = download(outsider, "/catalogue/dcat.ttl", "ttl")
    assert (URIRef("http://testserver/catalogue/draft-base/"), None, None) not in g
    assert (SNDS, RDF.type, DCAT.Dataset) in g


@pytest.mark.django_db
def test_the_dataset_page_links_to_its_exports(client):
    page = client.get("/catalogue/snds/").content.decode()
    for ext in PARSERS:
        assert f'href="/catalogue/snds/dcat.{ext}?version=1"' in page
    assert 'href="/catalogue/dcat.ttl"' in page


# --- the import of another portal's catalogue -------------------------------------------------------


def test_the_foreign_catalogue_parses():
    datasets = {d.key: d for d in parse(FOREIGN.read_bytes(), "turtle")}
    registry = datasets["https://portail.example.org/datasets/registre-cancers"]
    assert registry.title == {"fr": "Registre des cancers, incidence 2010-2020",
                              "en": "Cancer registry, incidence 2010-2020"}
    assert registry.publisher.name == "Registre général des cancers (exemple)"
    assert (registry.first_year, registry.last_year) == (2010, 2020)
    assert registry.health_categories == ("REGISTRY",)
    assert registry.landing_page == "https://registre.example.org/donnees/incidence"
    # No publisher of its own: the catalogue's.
    er = datasets["https://portail.example.org/datasets/passages-urgences"]
    assert er.publisher.key == "https://portail.example.org/organisations/ors"
    assert er.publisher.email == "contact@ors.example.org"
    # A blank node, keyed by its identifier; English only: the English title stands in for French.
    cohort = datasets["cohorte-sante-ados-2018"]
    assert cohort.title["fr"] == cohort.title["en"] == "Adolescent health cohort, 2018 wave"
    assert (cohort.first_year, cohort.last_year) == (2018, None)
    assert len(cohort.themes) == 2


def test_format_is_taken_from_the_name_or_given():
    assert format_of("x.ttl") == "turtle" and format_of("x.JSONLD") == "json-ld"
    assert format_of("x.rdf") == "xml" and format_of("x.txt", "json-ld") == "json-ld"
    with pytest.raises(DcatImportError, match="give --format"):
        format_of("catalogue.txt")
    with pytest.raises(DcatImportError, match="unknown format"):
        format_of("x.ttl", "n3")


def state() -> tuple[int, ...]:
    return (Dataset.objects.count(), DatasetVersion.objects.count(), DataHolder.objects.count(),
            ImportedDataset.objects.count(), ImportedHolder.objects.count(),
            AuditEvent.objects.count())


@pytest.mark.django_db
@pytest.mark.parametrize("ext", ["ttl", "jsonld", "rdf"])
def test_import_dcat_creates_drafts_once(ext, tmp_path, client):
    path = tmp_path / f"catalogue.{ext}"
    path.write_bytes(Graph().parse(FOREIGN).serialize(format=PARSERS[ext], encoding="utf-8"))
    before = state()
    call_command("import_dcat", str(path))
    created = ImportedDataset.objects.select_related("dataset", "dataset__holder")
    assert created.count() == 3
    assert DataHolder.objects.count() == before[2] + 3
    registry = created.get(iri="https://portail.example.org/datasets/registre-cancers").dataset
    assert registry.title_en == "Cancer registry, incidence 2010-2020"
    assert registry.holder.name == "Registre général des cancers (exemple)"
    assert set(registry.keywords) == {"cancer", "incidence", "registre"}
    assert registry.landing_page == "https://registre.example.org/donnees/incidence"
    for origin in created:
        versions = list(origin.dataset.versions.all())
        assert [(v.number, v.status, v.tables.count()) for v in versions] == [(1, Status.DRAFT, 0)]
    assert registry.versions.get().first_year == 2010
    # A text given in English only is exported once, without a (wrong) French tag.
    cohort = created.get(iri="cohorte-sante-ados-2018").dataset
    assert describe(cohort.versions.get(), "https://h").title == {
        "": "Adolescent health cohort, 2018 wave"}
    assert AuditEvent.objects.filter(action="dcat.dataset_imported").count() == 3
    # Nothing is public until reviewed.
    g = download(client, "/catalogue/dcat.ttl", "ttl")
    assert len(set(g.subjects(RDF.type, DCAT.Dataset))) == 1
    assert client.get(f"/catalogue/{registry.slug}/").status_code == 404
    # A second import changes nothing.
    after = state()
    call_command("import_dcat", str(path))
    assert state() == after


@pytest.mark.django_db
def test_imported_titles_and_names_are_kept_on_one_line(tmp_path):
    """Another portal's RDF may put a line break in a title (which would then open a line of the
    title's choosing in a notification's body): stored on one line, like every single-line field."""
    text = FOREIGN.read_text(encoding="utf-8").replace(
        '"Registre des cancers, incidence 2010-2020"@fr',
        '"""URGENT\nhttps://evil.example/login \u202eRegistre"""@fr').replace(
        '"Registre général des cancers (exemple)"@fr', '"Registre\\tgénéral\\r\\ndes cancers"@fr')
    path = tmp_path / "catalogue.ttl"
    path.write_text(text, encoding="utf-8")
    call_command("import_dcat", str(path))
    registry = ImportedDataset.objects.get(
        iri="https://portail.example.org/datasets/registre-cancers").dataset
    assert registry.title_fr == "URGENT https://evil.example/login Registre"
    assert registry.holder.name == "Registre général des cancers"
    registry.full_clean()  # what the edit form and the admin check
    registry.holder.full_clean()


@pytest.mark.django_db
def test_a_changed_catalogue_updates_its_drafts_but_not_published_entries(tmp_path):
    call_command("import_dcat", str(FOREIGN))
    text = FOREIGN.read_text(encoding="utf-8")
    changed = tmp_path / "catalogue.ttl"
    changed.write_text(text.replace("incidence 2010-2020\"@fr", "incidence 2010-2021\"@fr")
                       .replace("2020-12-31", "2021-12-31")
                       .replace('"urgences"@fr', '"urgences"@fr, "triage"@fr'), encoding="utf-8")
    er = ImportedDataset.objects.get(iri="https://portail.example.org/datasets/passages-urgences")
    er.dataset.versions.update(status=Status.PUBLISHED)  # reviewed and published in Hygie
    call_command("import_dcat", str(changed))
    registry = ImportedDataset.objects.get(
        iri="https://portail.example.org/datasets/registre-cancers").dataset
    assert registry.title_fr == "Registre des cancers, incidence 2010-2021"
    assert registry.versions.get().last_year == 2021
    event = AuditEvent.objects.get(action="dcat.dataset_updated")
    assert set(event.detail["fields"]) == {"title_fr", "years"}
    er.dataset.refresh_from_db()
    assert "triage" not in er.dataset.keywords


@pytest.mark.django_db
@pytest.mark.parametrize("content, message", [
    (b"this is not RDF at all {", "not a readable turtle RDF file"),
    (b"@prefix dct: <http://purl.org/dc/terms/> . <https://x.example.org/a> dct:title \"A\" .",
     "no dcat:Dataset"),
    (b"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
     b"@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
     b"<https://x.example.org/ok> a dcat:Dataset ; dct:title \"Fine\" ; dct:publisher [ foaf:name \"P\" ] .\n"
     b"<https://x.example.org/untitled> a dcat:Dataset ; dct:publisher [ foaf:name \"P\" ] .",
     "https://x.example.org/untitled: no dct:title"),
    (b"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
     b"<https://x.example.org/orphan> a dcat:Dataset ; dct:title \"Orphan\" .",
     "no dct:publisher"),
])
def test_bad_catalogues_write_nothing(tmp_path, content, message):
    path = tmp_path / "bad.ttl"
    path.write_bytes(content)
    before = state()
    with pytest.raises(CommandError, match="nothing imported") as exc:
        call_command("import_dcat", str(path))
    assert message in str(exc.value)
    assert state() == before


@pytest.mark.django_db
def test_a_bad_entry_stops_the_whole_import(tmp_path):
    text = FOREIGN.read_text(encoding="utf-8").replace(
        "foaf:mbox <mailto:contact@ors.example.org>", 'foaf:mbox "not an address"')
    path = tmp_path / "catalogue.ttl"
    path.write_text(text, encoding="utf-8")
    before = state()
    with pytest.raises(CommandError, match="e-mail is not an address"):
        call_command("import_dcat", str(path))
    assert state() == before


def test_remote_jsonld_contexts_are_not_fetched():
    doc = {"@context": "https://example.org/remote-context.jsonld",
           "@graph": [{"@id": "https://x.example.org/d", "@type": "dcat:Dataset"}]}
    with pytest.raises(DcatImportError, match="remote @context"):
        parse(json.dumps(doc).encode(), "json-ld")


def laughs(levels: int = 6, width: int = 10) -> bytes:
    """Under 1 kB of RDF/XML whose nested entities expand to 3.3 MB ("billion laughs")."""
    entities = ['<!ENTITY lol0 "lollollollollollollollollollollol">'] + [
        f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * width + '">' for i in range(1, levels)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(entities) + "\n]>\n"
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">'
            '<dcat:Dataset rdf:about="https://x.example.org/d">'
            f"<dct:title>&lol{levels - 1};</dct:title></dcat:Dataset></rdf:RDF>").encode()


EXTERNAL = (b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns:dct="http://purl.org/dc/terms/"><rdf:Description rdf:about="https://x.org/d">'
            b"<dct:title>&x;</dct:title></rdf:Description></rdf:RDF>")
EXTERNAL_DTD = (b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/x.dtd">'
                b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')


@pytest.mark.parametrize("data", [laughs(), EXTERNAL, EXTERNAL_DTD],
                         ids=["billion-laughs", "external-entity", "external-dtd"])
def test_xml_entities_and_dtds_are_refused_unexpanded(data):
    assert len(data) < 1024
    started = time.monotonic()
    with pytest.raises(DcatImportError, match="DTD"):
        parse(data, "xml")
    assert time.monotonic() - started < 1


def test_deep_or_huge_input_is_a_problem_not_a_crash():
    deep = b'{"@graph": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(DcatImportError, match="nested more than"):
        parse(deep, "json-ld")
    huge = b'{"@id": "https://x.org/d", "https://x.org/n": ' + b"9" * 5000 + b"}"
    with pytest.raises(DcatImportError, match=r"no dcat:Dataset|not a readable"):
        parse(huge, "json-ld")
    nested = b"@prefix dct: <http://purl.org/dc/terms/> . <https://x.org/d> dct:p " + (
        b"[ dct:p " * 5000) + b"1" + b" ]" * 5000 + b" ."
    with pytest.raises(DcatImportError):
        parse(nested, "turtle")
    with pytest.raises(DcatImportError, match="larger than the 100 bytes allowed"):
        parse(FOREIGN.read_bytes(), "turtle", max_bytes=100)


def test_a_parse_taking_too_long_is_stopped():
    started = time.monotonic()
    with pytest.raises(DcatImportError, match=r"longer than 0\.01 s"):
        parse_within(FOREIGN.read_bytes() * 200, "turtle", timeout=0.01)
    assert time.monotonic() - started < 5
    assert len(parse_within(FOREIGN.read_bytes(), "turtle", timeout=60)) == 3


@pytest.mark.django_db
def test_import_dcat_bounds_size_and_time(tmp_path, settings):
    path = tmp_path / "catalogue.ttl"
    path.write_bytes(FOREIGN.read_bytes())
    before = state()
    settings.HYGIE_DCAT_IMPORT_MAX_BYTES = 100
    with pytest.raises(CommandError, match="larger than the 100 bytes allowed"):
        call_command("import_dcat", str(path))
    settings.HYGIE_DCAT_IMPORT_MAX_BYTES = 2**20
    settings.HYGIE_DCAT_IMPORT_SECONDS = 0.01
    with pytest.raises(CommandError, match="longer than"):
        call_command("import_dcat", str(path))
    (tmp_path / "laughs.rdf").write_bytes(laughs())
    settings.HYGIE_DCAT_IMPORT_SECONDS = 60
    with pytest.raises(CommandError, match="DTD"):
        call_command("import_dcat", str(tmp_path / "laughs.rdf"))
    assert state() == before


@pytest.mark.django_db
def test_import_dcat_with_an_explicit_format(tmp_path):
    path = tmp_path / "catalogue.txt"
    path.write_bytes(FOREIGN.read_bytes())
    call_command("import_dcat", str(path), "--format", "turtle")
    assert ImportedDataset.objects.count() == 3
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_dcat", str(tmp_path / "missing.ttl"))


@pytest.mark.django_db
def test_our_export_reads_back_with_the_importer(client):
    response = client.get("/catalogue/dcat.rdf")
    (snds,) = parse(response.content, "xml")
    assert snds.key == str(SNDS)
    assert snds.title["en"] == "French National Health Data System (SNDS), main base"
    assert snds.publisher.name.startswith("Caisse nationale")
    assert set(snds.health_categories) == {"CLAIMS", "REGISTRY"}
    assert snds.gdpr_bases == ("A6-1-e", "A9-2-i", "A9-2-j")


def test_the_gdpr_bases_offered_are_those_the_export_knows():
    from hygie.web.catalogue.models import GdprBasis

    assert set(GdprBasis.values) == set(dcat.GDPR_BASES)
