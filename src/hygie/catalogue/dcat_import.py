"""Read another portal's DCAT-AP catalogue (Turtle, JSON-LD or RDF/XML) into plain dataset
descriptions, for the web layer to store as draft datasets.

Only what Hygie keeps is read: titles and descriptions (French and English), publisher, keywords,
themes, HealthDCAT-AP health categories and population coverage, landing page, covered years. Each
dataset is keyed by its IRI (or, for a blank node, its `dct:identifier`), so that a second import of
the same catalogue finds the datasets of the first. Problems are collected and raised together.

Hostile files are bounded before rdflib sees them: a size limit; RDF/XML with a DTD that
declares entities or names an external file is refused (a 1 kB "billion laughs" file expands to
megabytes, which rdflib then takes minutes over); JSON-LD nested too deep is refused.
`parse_within` also bounds the time, by parsing in a child process that is killed when late.
"""

from __future__ import annotations

import json
import multiprocessing
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import PurePath
from xml.parsers import expat

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from hygie.catalogue.dcat import (
    DCAT,
    DCT,
    DPV,
    FOAF,
    GDPR,
    GDPR_BASES,
    HEALTH,
    HEALTH_CATEGORY_VOCABULARY,
    HYGIE_CATEGORIES,
    RDF,
)
from hygie.nesting import too_deep

SDO = ("http://schema.org/", "https://schema.org/")  # DCAT-AP 1 and 2 dated periods with schema.org

# Accepted names for --format -> rdflib parser.
FORMATS = {"turtle": "turtle", "ttl": "turtle", "json-ld": "json-ld", "jsonld": "json-ld",
           "xml": "xml", "rdf": "xml", "rdf/xml": "xml", "rdfxml": "xml"}
SUFFIXES = {".ttl": "turtle", ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml",
            ".xml": "xml", ".owl": "xml"}
MAX_IRI = 500  # what the web layer stores
MAX_BYTES = 20 * 2**20  # default size limit of a catalogue file
TIMEOUT = 120.0  # default seconds `parse_within` allows
MAX_JSON_DEPTH = 100  # a DCAT JSON-LD document needs about 10 levels


class DcatImportError(ValueError):
    """A catalogue that cannot be imported; `problems` says what is wrong, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))

    def __reduce__(self) -> tuple[type, tuple[list[str]]]:  # crosses from the child process
        return DcatImportError, (self.problems,)


@dataclass(frozen=True)
class ForeignPublisher:
    key: str  # the publisher's IRI, or "name:<name>" for a blank node
    name: str
    homepage: str = ""
    email: str = ""


@dataclass(frozen=True)
class ForeignDataset:
    key: str  # the dataset's IRI, or its dct:identifier when it is a blank node
    title: Mapping[str, str]  # "fr" always (the best text available), "en" when given
    publisher: ForeignPublisher
    description: Mapping[str, str] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()  # IRIs
    health_categories: tuple[str, ...] = ()  # Hygie's categories, from HealthDCAT-AP ones
    population_coverage: Mapping[str, str] = field(default_factory=dict)
    gdpr_bases: tuple[str, ...] = ()  # DPV-GDPR names of the GDPR articles, e.g. "A6-1-e"
    landing_page: str = ""
    first_year: int | None = None
    last_year: int | None = None


def format_of(filename: str, given: str | None = None) -> str:
    """The rdflib parser for a file: `given` (turtle, json-ld, xml...) or from its suffix."""
    if given:
        if given.lower() not in FORMATS:
            raise DcatImportError([f"unknown format {given!r}: use turtle, json-ld or xml"])
        return FORMATS[given.lower()]
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise DcatImportError([f"cannot tell the RDF format of {PurePath(filename).name!r} from "
                               "its name: give --format (turtle, json-ld or xml)"])
    return SUFFIXES[suffix]


def parse(data: bytes, fmt: str, *, max_bytes: int = MAX_BYTES) -> list[ForeignDataset]:
    """The datasets of a DCAT-AP catalogue, or DcatImportError listing every problem found."""
    _refuse_too_big(data, max_bytes)
    graph = _read(data, fmt)
    subjects = sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=str)
    if not subjects:
        raise DcatImportError(["no dcat:Dataset in the file"])
    fallback = _catalog_publisher(graph)
    problems: list[str] = []
    datasets: list[ForeignDataset] = []
    for s in subjects:
        try:
            datasets.append(_dataset(graph, s, fallback))
        except DcatImportError as exc:
            problems += exc.problems
    keys = [d.key for d in datasets]
    problems += [f"dataset {k} appears twice" for k in sorted({k for k in keys if keys.count(k) > 1})]
    if problems:
        raise DcatImportError(problems)
    return datasets


def parse_within(data: bytes, fmt: str, *, max_bytes: int = MAX_BYTES,
                 timeout: float = TIMEOUT) -> list[ForeignDataset]:
    """`parse` in a child process, stopped after `timeout` seconds: rdflib's parsers are pure
    Python and cannot be interrupted from another thread."""
    _refuse_too_big(data, max_bytes)  # before copying the bytes to the child
    context = multiprocessing.get_context("spawn")  # no fork of a threaded web process
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_parse_in_child, args=(send, data, fmt, max_bytes),
                            daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise DcatImportError([f"reading the file took longer than {timeout:g} s"])
        outcome, payload = receive.recv()
    except EOFError:  # the child died without answering (killed, out of memory)
        raise DcatImportError([f"not a readable {fmt} RDF file: the reader stopped"]) from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "error":
        raise DcatImportError(payload)
    return list(payload)


def _parse_in_child(send: Connection, data: bytes, fmt: str, max_bytes: int) -> None:
    try:
        send.send(("ok", parse(data, fmt, max_bytes=max_bytes)))
    except DcatImportError as exc:
        send.send(("error", exc.problems))
    except Exception as exc:  # any other failure: an unreadable file, said briefly
        send.send(("error", [f"not a readable {fmt} RDF file: {type(exc).__name__}"]))
    finally:
        send.close()


def _refuse_too_big(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise DcatImportError([f"the file is larger than the {max_bytes:,} bytes allowed"])


def _read(data: bytes, fmt: str) -> Graph:
    if fmt == "json-ld":
        _refuse_remote_contexts(data)
    elif fmt == "xml":
        _refuse_dtd_entities(data)
    graph = Graph()
    try:
        graph.parse(data=data, format=fmt)
    except Exception as exc:  # rdflib raises many kinds (syntax, XML, JSON, recursion errors)
        message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise DcatImportError([f"not a readable {fmt} RDF file: {message}"]) from None
    return graph


class _Refused(Exception):
    pass


def _refuse_dtd_entities(data: bytes) -> None:
    """Refuse RDF/XML whose DTD declares entities or names an external file, before any is
    expanded: what defusedxml does, with the standard library's expat. A plain DTD-less file
    (every RDF/XML writer's output) passes."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(name: str, system_id: str | None, public_id: str | None, internal: int) -> None:
        if system_id or public_id:
            raise _Refused("an external DTD")

    def entity(*args: object) -> None:
        raise _Refused("entity declarations")

    def external(*args: object) -> int:
        raise _Refused("external entities")

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise DcatImportError([f"the RDF/XML file has a DTD with {exc}: refused, as they can "
                               "read local files or expand to gigabytes; remove the DTD"]) from None
    except expat.ExpatError as exc:
        raise DcatImportError([f"not a readable xml RDF file: {exc}"]) from None


def _refuse_remote_contexts(data: bytes) -> None:
    """A JSON-LD context named by address would be fetched from the network while parsing: the
    importer works offline and fetches nothing a file points to, so such contexts must be inlined."""
    too_deep_problem = f"the JSON-LD file is nested more than {MAX_JSON_DEPTH} levels deep"
    try:
        doc = json.loads(data)
    except RecursionError:
        raise DcatImportError([too_deep_problem]) from None
    except ValueError as exc:  # malformed, or an integer of over 4,300 digits
        raise DcatImportError([f"not a readable json-ld RDF file: {str(exc)[:300]}"]) from None
    if too_deep(doc, MAX_JSON_DEPTH):  # rdflib's JSON-LD reader recurses
        raise DcatImportError([too_deep_problem])

    def walk(node: object) -> Iterable[str]:
        if isinstance(node, dict):
            for key in ("@context", "@import"):  # @import: a JSON-LD 1.1 context pulling another
                value = node.get(key)
                yield from (c for c in (value if isinstance(value, list) else [value])
                            if isinstance(c, str))
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    remote = sorted(set(walk(doc)))
    if remote:
        raise DcatImportError([f"the JSON-LD file refers to a remote @context ({', '.join(remote)}): "
                               "inline it, the importer does not fetch anything"])


def _name(node: Node) -> str:
    return str(node) if isinstance(node, URIRef) else f"(blank node {node})"


def _texts(graph: Graph, s: Node, p: URIRef) -> dict[str, str]:
    """fr (else untagged, else any language), and en, of the literals of s p."""
    by_lang: dict[str, str] = {}
    for o in sorted((o for o in graph.objects(s, p) if isinstance(o, Literal)),
                    key=lambda o: (o.language or "", str(o))):
        text = str(o).strip()
        if text:
            by_lang.setdefault((o.language or "").lower().split("-")[0], text)
    out = {}
    best = by_lang.get("fr") or by_lang.get("") or next(
        (v for k, v in sorted(by_lang.items()) if k != "en"), None) or by_lang.get("en")
    if best:
        out["fr"] = best
    if by_lang.get("en"):
        out["en"] = by_lang["en"]
    return out


def _web_address(value: Node | None) -> str:
    return str(value) if isinstance(value, URIRef) and str(value).startswith(("http://",
                                                                              "https://")) else ""


def _email(graph: Graph, s: Node, *props: URIRef) -> str:
    for p in props:
        for o in graph.objects(s, p):
            text = str(o).strip()
            if text.lower().startswith("mailto:"):
                text = text[7:]
            if text:
                return text
    return ""


def _publisher(graph: Graph, node: Node, where: str) -> ForeignPublisher:
    names = _texts(graph, node, FOAF.name)
    if not names:
        raise DcatImportError([f"{where}: the publisher has no foaf:name"])
    name = names["fr"]
    key = str(node) if isinstance(node, URIRef) else f"name:{' '.join(name.split()).casefold()}"
    if len(key) > MAX_IRI:
        raise DcatImportError([f"{where}: publisher IRI longer than {MAX_IRI} characters"])
    return ForeignPublisher(key=key, name=name[:200],
                            homepage=_web_address(graph.value(node, FOAF.homepage)),
                            email=_email(graph, node, FOAF.mbox))


def _catalog_publisher(graph: Graph) -> Node | None:
    for catalog in sorted(graph.subjects(RDF.type, DCAT.Catalog), key=str):
        publisher = graph.value(catalog, DCT.publisher)
        if publisher is not None:
            return publisher
    return None


_YEAR = re.compile(r"^\s*(\d{4})")


def _year(value: Node | None) -> int | None:
    match = _YEAR.match(str(value)) if isinstance(value, Literal) else None
    return int(match.group(1)) if match else None


def _years(graph: Graph, s: Node) -> tuple[int | None, int | None]:
    starts, ends = [], []
    for period in graph.objects(s, DCT.temporal):
        start_props = [DCAT.startDate] + [URIRef(ns + "startDate") for ns in SDO]
        end_props = [DCAT.endDate] + [URIRef(ns + "endDate") for ns in SDO]
        starts += [y for p in start_props if (y := _year(graph.value(period, p))) is not None]
        ends += [y for p in end_props if (y := _year(graph.value(period, p))) is not None]
    return min(starts, default=None), max(ends, default=None)


def _dataset(graph: Graph, s: Node, fallback_publisher: Node | None) -> ForeignDataset:
    where = f"dataset {_name(s)}"
    problems = []
    if isinstance(s, URIRef):
        key = str(s)
    else:
        ident = next((str(o).strip() for o in graph.objects(s, DCT.identifier) if str(o).strip()), "")
        key = ident
        if not ident:
            problems.append(f"{where}: a blank node without dct:identifier cannot be matched on "
                            "a later import")
    if len(key) > MAX_IRI:
        problems.append(f"{where}: IRI or identifier longer than {MAX_IRI} characters")
    title = _texts(graph, s, DCT.title)
    if not title:
        problems.append(f"{where}: no dct:title")
    publisher_node = graph.value(s, DCT.publisher) or fallback_publisher
    publisher = None
    if publisher_node is None:
        problems.append(f"{where}: no dct:publisher (neither on the dataset nor on the catalogue)")
    else:
        try:
            publisher = _publisher(graph, publisher_node, where)
        except DcatImportError as exc:
            problems += exc.problems
    landing = graph.value(s, DCAT.landingPage)
    landing_page = _web_address(landing)
    if landing is not None and (not landing_page or len(landing_page) > 200):
        problems.append(f"{where}: the landing page must be an http(s) address of at most 200 "
                        f"characters, not {str(landing)[:80]!r}")
    if problems or publisher is None:
        raise DcatImportError(problems)
    first, last = _years(graph, s)
    keywords = dict.fromkeys(str(o).strip() for o in sorted(graph.objects(s, DCAT.keyword), key=str)
                             if isinstance(o, Literal) and str(o).strip())
    codes = (str(o).removeprefix(HEALTH_CATEGORY_VOCABULARY)
             for o in sorted(graph.objects(s, HEALTH.healthCategory), key=str)
             if str(o).startswith(HEALTH_CATEGORY_VOCABULARY))
    categories = dict.fromkeys(HYGIE_CATEGORIES[c] for c in codes if c in HYGIE_CATEGORIES)
    return ForeignDataset(
        key=key, title=title, publisher=publisher,
        description=_texts(graph, s, DCT.description),
        keywords=tuple(keywords),
        themes=tuple(sorted(str(o) for o in graph.objects(s, DCAT.theme) if isinstance(o, URIRef))),
        health_categories=tuple(categories),
        population_coverage=_texts(graph, s, HEALTH.populationCoverage),
        gdpr_bases=tuple(sorted({str(o).removeprefix(str(GDPR))
                                 for o in graph.objects(s, DPV.hasLegalBasis)
                                 if str(o).removeprefix(str(GDPR)) in GDPR_BASES})),
        landing_page=landing_page, first_year=first, last_year=last)
