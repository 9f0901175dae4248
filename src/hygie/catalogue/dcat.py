"""HealthDCAT-AP export: the catalogue and its datasets as RDF, from plain Python values.

The web layer fills the dataclasses below from its models; this module knows nothing of Django.
Terms come from DCAT-AP 3 (W3C DCAT, Dublin Core, FOAF, vCard, SKOS) and from the HealthDCAT-AP
namespace `http://healthdataportal.eu/ns/health#` (number of records and of unique individuals,
typical ages, population coverage, health category, coding systems, health data access body,
retention period), with the legal basis in DPV (`dpv:hasLegalBasis`) as HealthDCAT-AP prescribes:
the GDPR articles as DPV-GDPR concepts, the national law as a described `dpv:LegalBasis`.

Every value node is typed with the class DCAT-AP expects (`foaf:Document`, `dct:LicenseDocument`,
`rdfs:Resource`...): the DCAT-AP SHACL shapes check classes without inference, so an untyped link
would be a violation. `validate()` runs those shapes (packaged in `hygie/data/dcat/`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

ADMS = Namespace("http://www.w3.org/ns/adms#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCT = Namespace("http://purl.org/dc/terms/")
DPV = Namespace("https://w3id.org/dpv#")
GDPR = Namespace("https://w3id.org/dpv/legal/eu/gdpr#")  # DPV's concepts for the GDPR articles
ELI = Namespace("http://data.europa.eu/eli/ontology#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
HEALTH = Namespace("http://healthdataportal.eu/ns/health#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

PREFIXES = {"adms": ADMS, "dcat": DCAT, "dcatap": DCATAP, "dct": DCT, "dpv": DPV, "eli": ELI,
            "foaf": FOAF, "healthdcatap": HEALTH, "rdfs": RDFS, "skos": SKOS, "vcard": VCARD,
            "xsd": XSD}

# EU Vocabularies (Publications Office) authority tables.
DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme"
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
NON_PUBLIC = ACCESS_RIGHT + "NON_PUBLIC"
# The EHDS Regulation (EU) 2025/327: HealthDCAT-AP asks every health dataset to name it.
EHDS_REGULATION = "http://data.europa.eu/eli/reg/2025/327/oj"

THEMES = {"HEAL": {"en": "Health", "fr": "Santé"}}

# HealthDCAT-AP health categories (the EHDS article 51 categories). The profile's release 6 names this
# vocabulary at the address below until the Publications Office hosts it as an authority table.
HEALTH_CATEGORY_VOCABULARY = "http://13.81.34.152:1101/resource/authority/healthcategories/"
HEALTH_CATEGORY_LABELS = {
    "EHRS": "Electronic Health Data from EHRs",
    "HRAD": "Healthcare-related administrative data, including on dispensations, reimbursement "
            "claims and reimbursements",
    "MRMR": "Data from medical registries and mortality registries",
    "PHDR": "Data from population-based health data registries such as public health registries",
    "RQSH": "Data from research cohorts, questionnaires and surveys related to health, after the "
            "first publication of the related results",
}
# Hygie's own health categories (`hygie.web.catalogue.models.HealthCategory`) -> EHDS category.
HEALTH_CATEGORIES = {"CLAIMS": "HRAD", "HOSPITAL": "HRAD", "EMERGENCY": "HRAD", "DEATHS": "MRMR",
                     "REGISTRY": "MRMR", "COHORT": "RQSH", "SURVEY": "RQSH", "EHR": "EHRS"}
# ...and back, for imports: the closest Hygie category of each EHDS one it knows.
HYGIE_CATEGORIES = {"EHRS": "EHR", "HRAD": "CLAIMS", "MRMR": "REGISTRY", "PHDR": "REGISTRY",
                    "RQSH": "COHORT"}


# The GDPR legal bases a health dataset is processed under: lawfulness (Art. 6(1)) and the
# condition lifting the ban on health data (Art. 9(2)), by their DPV-GDPR concept names.
GDPR_BASES = {
    "A6-1-a": "GDPR Art. 6(1)(a): consent",
    "A6-1-c": "GDPR Art. 6(1)(c): legal obligation",
    "A6-1-e": "GDPR Art. 6(1)(e): public interest or official authority",
    "A9-2-a": "GDPR Art. 9(2)(a): explicit consent",
    "A9-2-g": "GDPR Art. 9(2)(g): substantial public interest",
    "A9-2-h": "GDPR Art. 9(2)(h): health or social care",
    "A9-2-i": "GDPR Art. 9(2)(i): public interest in public health",
    "A9-2-j": "GDPR Art. 9(2)(j): scientific research or statistics",
}


@dataclass(frozen=True)
class CodingSystem:
    """A coding system a dataset uses (`healthdcatap:hasCodingSystem`, a `dct:Standard`)."""

    iri: str
    title: str


# HealthDCAT-AP asks for Wikidata IRIs; the French systems without one are named by the canonical
# address of the national terminology server (ANS, smt.esante.gouv.fr).
ICD10 = CodingSystem("http://www.wikidata.org/entity/P494", "CIM-10 (ICD-10)")
ATC = CodingSystem("http://www.wikidata.org/entity/P267", "ATC")
CCAM = CodingSystem("https://smt.esante.gouv.fr/terminologie-ccam", "CCAM")
NABM = CodingSystem("https://smt.esante.gouv.fr/terminologie-nabm", "NABM")
# SNDS code lists -> the coding system their codes belong to (IR_PHA_R maps CIP13 to ATC classes).
NOMENCLATURE_SYSTEMS = {"IR_CIM_V": ICD10, "MS_CIM_V": ICD10, "IR_PHA_R": ATC,
                        "IR_CCAM_V54": CCAM, "IR_CCAM_V63": CCAM, "IR_BIO_R": NABM}


def coding_systems(nomenclatures: Iterable[str]) -> tuple[CodingSystem, ...]:
    """The coding systems behind these code list names, each once, in a stable order."""
    found = {NOMENCLATURE_SYSTEMS[n] for n in nomenclatures if n in NOMENCLATURE_SYSTEMS}
    return tuple(sorted(found, key=lambda s: s.title))


@dataclass(frozen=True)
class Agent:
    """An organisation (`foaf:Agent`): a data holder, the health data access body, the platform."""

    name: str
    iri: str = ""  # blank node when empty
    homepage: str = ""
    email: str = ""


@dataclass(frozen=True)
class Contact:
    """A contact point (`vcard:Kind`)."""

    name: str
    email: str = ""
    url: str = ""


@dataclass(frozen=True)
class Figures:
    """Figures released under statistical secrecy; None is hidden (or not computed) and omitted."""

    records: int | None = None
    individuals: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    years: tuple[int, ...] = ()


def figures_from_statistics(result: Mapping[str, object] | None) -> Figures:
    """Read the statistics job's result (`{"records": int|null, "individuals": ..., "age_min": ...,
    "age_max": ..., "years": [{"year": 2019, ...}]}`), keeping only non-negative integers."""
    result = result or {}

    def count(key: str) -> int | None:
        value = result.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

    years = []
    rows = result.get("years")
    for row in rows if isinstance(rows, list) else ():
        year = row.get("year") if isinstance(row, Mapping) else None
        if isinstance(year, int) and not isinstance(year, bool):
            years.append(year)
    return Figures(records=count("records"), individuals=count("individuals"),
                   age_min=count("age_min"), age_max=count("age_max"),
                   years=tuple(sorted(set(years))))


@dataclass(frozen=True)
class Distribution:
    """A way to reach the data (`dcat:Distribution`): for health data, a request to the access body."""

    iri: str
    access_url: str
    title: Mapping[str, str] = field(default_factory=dict)
    description: Mapping[str, str] = field(default_factory=dict)
    licence: str = ""
    media_type: str = ""  # an IANA media type IRI


@dataclass(frozen=True)
class DatasetDescription:
    """One dataset at one version, as the catalogue describes it. Texts are keyed by language."""

    iri: str
    title: Mapping[str, str]
    publisher: Agent
    description: Mapping[str, str] = field(default_factory=dict)
    identifier: str = ""  # the IRI when empty
    version: str = ""
    version_notes: str = ""
    issued: datetime | None = None
    keywords: Sequence[str] = ()
    themes: Sequence[str] = ("HEAL",)  # EU data-theme codes (keys of THEMES)
    health_categories: Sequence[str] = ()  # HealthDCAT-AP codes (keys of HEALTH_CATEGORY_LABELS)
    coding_systems: Sequence[CodingSystem] = ()
    population_coverage: Mapping[str, str] = field(default_factory=dict)
    legal_basis: str = ""  # the national law, as text
    gdpr_bases: Sequence[str] = ()  # keys of GDPR_BASES
    retention: str = ""
    access_body: Agent | None = None
    access_rights: str = NON_PUBLIC
    contact: Contact | None = None
    landing_page: str = ""
    first_year: int | None = None
    last_year: int | None = None
    figures: Figures = field(default_factory=Figures)
    distributions: Sequence[Distribution] = ()
    other_identifiers: Sequence[str] = ()  # e.g. the IRI a dataset had in the portal it came from


@dataclass(frozen=True)
class CatalogDescription:
    iri: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    publisher: Agent
    homepage: str = ""
    modified: datetime | None = None
    datasets: Sequence[DatasetDescription] = ()


class _Builder:
    """Adds resources to one graph; shared nodes (agents, concepts) are described once."""

    def __init__(self) -> None:
        self.g = Graph()
        for prefix, ns in PREFIXES.items():
            self.g.bind(prefix, ns)
        self.agents: dict[Agent, Node] = {}

    def add(self, s: Node, p: URIRef, o: Node) -> None:
        self.g.add((s, p, o))

    def texts(self, s: Node, p: URIRef, texts: Mapping[str, str]) -> None:
        for lang, text in texts.items():
            if text.strip():
                self.add(s, p, Literal(text.strip(), lang=lang or None))

    def typed(self, iri: str, *classes: URIRef) -> URIRef:
        """A link to `iri`, typed as DCAT-AP expects the range of the property to be."""
        node = URIRef(iri)
        for cls in classes:
            self.add(node, RDF.type, cls)
        return node

    def agent(self, agent: Agent) -> Node:
        if agent in self.agents:
            return self.agents[agent]
        node: Node = URIRef(agent.iri) if agent.iri else BNode()
        self.agents[agent] = node
        self.add(node, RDF.type, FOAF.Agent)
        self.add(node, RDF.type, FOAF.Organization)
        self.add(node, FOAF.name, Literal(agent.name))
        if agent.homepage:
            self.add(node, FOAF.homepage, self.typed(agent.homepage, FOAF.Document))
        if agent.email:
            self.add(node, FOAF.mbox, URIRef(f"mailto:{agent.email}"))
        if agent.homepage or agent.email:  # HealthDCAT-AP wants agents reachable
            self.add(node, DCAT.contactPoint,
                     self.contact(Contact(agent.name, agent.email, agent.homepage)))
        return node

    def contact(self, contact: Contact) -> Node:
        node = BNode()
        self.add(node, RDF.type, VCARD.Kind)
        self.add(node, RDF.type, VCARD.Organization)
        self.add(node, VCARD.fn, Literal(contact.name))
        if contact.email:
            self.add(node, VCARD.hasEmail, URIRef(f"mailto:{contact.email}"))
        if contact.url:
            self.add(node, VCARD.hasURL, URIRef(contact.url))
        return node

    def concept(self, iri: str, labels: Mapping[str, str], scheme: str = "") -> URIRef:
        node = self.typed(iri, SKOS.Concept)
        self.texts(node, SKOS.prefLabel, labels)
        if scheme:
            self.add(node, SKOS.inScheme, URIRef(scheme))
        return node

    def legislation(self, iri: str) -> URIRef:
        return self.typed(iri, ELI.LegalResource)

    def dataset(self, d: DatasetDescription) -> URIRef:
        s = URIRef(d.iri)
        add = functools.partial(self.add, s)
        add(RDF.type, DCAT.Dataset)
        add(DCT.identifier, Literal(d.identifier or d.iri))
        self.texts(s, DCT.title, d.title)
        # DCAT-AP requires a description: the title stands in for a dataset that has none yet.
        self.texts(s, DCT.description, d.description if any(
            v.strip() for v in d.description.values()) else d.title)
        add(DCT.publisher, self.agent(d.publisher))
        if d.contact is not None:
            add(DCAT.contactPoint, self.contact(d.contact))
        for keyword in dict.fromkeys(k.strip() for k in d.keywords if k.strip()):
            add(DCAT.keyword, Literal(keyword))
        for code in d.themes:
            add(DCAT.theme, self.concept(f"{DATA_THEME}/{code}", THEMES.get(code, {"": code}),
                                         DATA_THEME))
        for code in dict.fromkeys(d.health_categories):
            label = HEALTH_CATEGORY_LABELS.get(code, code)
            add(HEALTH.healthCategory, self.concept(HEALTH_CATEGORY_VOCABULARY + code,
                                                    {"en": label}))
        for system in d.coding_systems:
            node = self.typed(system.iri, DCT.Standard)
            self.add(node, DCT.title, Literal(system.title))
            add(HEALTH.hasCodingSystem, node)
        self._figures(s, d)
        self.texts(s, HEALTH.populationCoverage, d.population_coverage)
        for code in dict.fromkeys(d.gdpr_bases):
            article = self.typed(str(GDPR[code]), DPV.LegalBasis)
            self.add(article, RDFS.label, Literal(GDPR_BASES.get(code, code), lang="en"))
            add(DPV.hasLegalBasis, article)
        if d.legal_basis.strip():
            basis = BNode()
            self.add(basis, RDF.type, DPV.LegalBasis)
            self.add(basis, RDFS.label, Literal(d.legal_basis.strip()))
            add(DPV.hasLegalBasis, basis)
        if d.retention.strip():
            period = BNode()
            self.add(period, RDF.type, DCT.PeriodOfTime)
            self.add(period, RDFS.comment, Literal(d.retention.strip()))
            add(HEALTH.retentionPeriod, period)
        if d.access_body is not None:
            add(HEALTH.hdab, self.agent(d.access_body))
        if d.access_rights:
            add(DCT.accessRights, self.typed(d.access_rights, DCT.RightsStatement))
        add(DCATAP.applicableLegislation, self.legislation(EHDS_REGULATION))
        self._temporal(s, d)
        if d.landing_page:
            add(DCAT.landingPage, self.typed(d.landing_page, FOAF.Document))
        if d.version:
            add(DCAT.version, Literal(d.version))
        if d.version_notes.strip():
            add(ADMS.versionNotes, Literal(d.version_notes.strip()))
        if d.issued is not None:
            add(DCT.issued, Literal(d.issued.replace(microsecond=0), datatype=XSD.dateTime))
        for other in d.other_identifiers:
            ident = BNode()
            self.add(ident, RDF.type, ADMS.Identifier)
            self.add(ident, SKOS.notation, Literal(other))
            add(ADMS.identifier, ident)
        for dist in d.distributions:
            add(DCAT.distribution, self.distribution(dist))
        return s

    def _figures(self, s: URIRef, d: DatasetDescription) -> None:
        for prop, value in ((HEALTH.numberOfRecords, d.figures.records),
                            (HEALTH.numberOfUniqueIndividuals, d.figures.individuals),
                            (HEALTH.minTypicalAge, d.figures.age_min),
                            (HEALTH.maxTypicalAge, d.figures.age_max)):
            if value is not None:
                self.add(s, prop, Literal(str(value), datatype=XSD.nonNegativeInteger))

    def _temporal(self, s: URIRef, d: DatasetDescription) -> None:
        first = d.first_year if d.first_year is not None else min(d.figures.years, default=None)
        last = d.last_year if d.last_year is not None else max(d.figures.years, default=None)
        if first is None and last is None:
            return
        period = BNode()
        self.add(period, RDF.type, DCT.PeriodOfTime)
        if first is not None:
            self.add(period, DCAT.startDate, Literal(f"{first:04d}", datatype=XSD.gYear))
        if last is not None:
            self.add(period, DCAT.endDate, Literal(f"{last:04d}", datatype=XSD.gYear))
        self.add(s, DCT.temporal, period)

    def distribution(self, dist: Distribution) -> URIRef:
        s = URIRef(dist.iri)
        self.add(s, RDF.type, DCAT.Distribution)
        self.add(s, DCAT.accessURL, self.typed(dist.access_url, RDFS.Resource))
        self.texts(s, DCT.title, dist.title)
        self.texts(s, DCT.description, dist.description)
        if dist.licence:
            self.add(s, DCT.license, self.typed(dist.licence, DCT.LicenseDocument))
        if dist.media_type:
            self.add(s, DCAT.mediaType, self.typed(dist.media_type, DCT.MediaType))
        self.add(s, DCATAP.applicableLegislation, self.legislation(EHDS_REGULATION))
        return s

    def catalog(self, c: CatalogDescription) -> URIRef:
        s = URIRef(c.iri)
        self.add(s, RDF.type, DCAT.Catalog)
        self.texts(s, DCT.title, c.title)
        self.texts(s, DCT.description, c.description)
        self.add(s, DCT.publisher, self.agent(c.publisher))
        if c.homepage:
            self.add(s, FOAF.homepage, self.typed(c.homepage, FOAF.Document))
        if c.modified is not None:
            self.add(s, DCT.modified, Literal(c.modified.replace(microsecond=0),
                                              datatype=XSD.dateTime))
        scheme = self.typed(DATA_THEME, SKOS.ConceptScheme)
        self.add(scheme, DCT.title, Literal("Data theme", lang="en"))
        self.add(s, DCAT.themeTaxonomy, scheme)
        self.add(s, DCATAP.applicableLegislation, self.legislation(EHDS_REGULATION))
        for d in c.datasets:
            self.add(s, DCAT.dataset, self.dataset(d))
        return s


def dataset_graph(dataset: DatasetDescription) -> Graph:
    """One dataset, with its publisher, contact point, distributions and the terms it links to."""
    builder = _Builder()
    builder.dataset(dataset)
    return builder.g


def catalog_graph(catalog: CatalogDescription) -> Graph:
    """The catalogue and all its datasets."""
    builder = _Builder()
    builder.catalog(catalog)
    return builder.g


# File extension -> (rdflib format, media type).
FORMATS = {"ttl": ("turtle", "text/turtle"),
           "jsonld": ("json-ld", "application/ld+json"),
           "rdf": ("xml", "application/rdf+xml")}


def serialise(graph: Graph, ext: str) -> bytes:
    """The graph as Turtle (`ttl`), JSON-LD (`jsonld`) or RDF/XML (`rdf`), UTF-8."""
    if ext not in FORMATS:
        raise ValueError(f"unknown RDF format {ext!r}; expected one of {', '.join(FORMATS)}")
    fmt = FORMATS[ext][0]
    if fmt == "json-ld":  # compact IRIs with the same prefixes as Turtle
        context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        return graph.serialize(format=fmt, context=context, auto_compact=True, encoding="utf-8")
    return graph.serialize(format=fmt, encoding="utf-8")


@dataclass(frozen=True)
class Violation:
    """One SHACL result: which node breaks which constraint, and on which property."""

    focus: str
    path: str
    message: str
    shape: str

    def __str__(self) -> str:
        return f"{self.focus} {self.path}: {self.message}"


@functools.cache
def _shapes() -> Graph:
    shapes = resources.files("hygie") / "data" / "dcat" / "dcat-ap-SHACL.ttl"
    return Graph().parse(data=shapes.read_text(encoding="utf-8"), format="turtle")


def validate(graph: Graph) -> list[Violation]:
    """Check the graph against the DCAT-AP 3.0.0 SHACL shapes; [] when it conforms."""
    import pyshacl  # slow to import: only where validation runs

    conforms, report, _ = pyshacl.validate(graph, shacl_graph=_shapes(), inference="none",
                                           abort_on_first=False, allow_warnings=False)
    if conforms:
        return []
    violations = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        path = report.value(result, SH.resultPath)
        violations.append(Violation(
            focus=str(report.value(result, SH.focusNode)),
            path=graph.namespace_manager.normalizeUri(path) if isinstance(path, URIRef) else str(path),
            message=str(report.value(result, SH.resultMessage) or ""),
            shape=str(report.value(result, SH.sourceShape))))
    return sorted(violations, key=lambda v: (v.focus, v.path, v.message))
