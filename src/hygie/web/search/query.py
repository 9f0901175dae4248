"""Searching the index: what a user may see, the facets, the ranked hits.

One search runs three kinds of statement, all with parameters only:
- a grouped count of the matching rows the user may see (by kind, dataset, version, code list,
  product and years): the facet counts and the counts per kind are worked out from these groups
  in Python, with exactly the rules the SQL filters below apply (`_Rules`);
- the ranked hits: the first few of each kind (overview) or one page of one kind;
- the objects to show (tables, variables, the variables that use a matched code's list).

Who sees what: published versions for everyone, and the drafts and versions in review of the
holders a user edits (`catalogue.access.visible_versions`); archived versions and published
versions superseded by a newer published one are left out. Code lists and codes are searched when
one of the searched versions carries their list (`Nomenclature.versions`), as the code list pages
show them: a list that came with a draft is not found through the dataset's published version.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from django.db import connection
from django.db.models import Q
from django.urls import reverse

from hygie.catalogue.dcat import NOMENCLATURE_SYSTEMS
from hygie.catalogue.search_terms import fold
from hygie.web.catalogue.access import visible_versions
from hygie.web.catalogue.models import (
    Code,
    Dataset,
    DatasetVersion,
    HealthCategory,
    Nomenclature,
    Status,
    Table,
    Variable,
)
from hygie.web.search.models import Document, Kind
from hygie.web.search.suggest import Suggestion, suggestions
from hygie.web.search.terms import fts5, groups, tsquery

PAGE_SIZE = 20
PREVIEW = 5  # hits per kind on the overview
CODE_COPIES = 4  # rows read per code shown on the overview (the same code in several lists)
TOP_LISTS = 10  # code lists shown with their matching codes
MAX_QUERY = 200
MAX_VALUES = 20  # values taken per facet parameter
CODES_PER_PAGE = 100  # the code list page's page size (catalogue.views.nomenclature)
MAX_LIST_MATCHES = 10_000  # codes kept by a search inside one list (under SQLite's 32,766 params)
YEARS = range(1900, 2101)
OWN_KINDS = (str(Kind.TABLE), str(Kind.VARIABLE))  # rows carrying their own product
LIST_KINDS = (str(Kind.NOMENCLATURE), str(Kind.CODE))  # product through the list's variables
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Filters:
    q: str = ""
    kind: str = ""
    holders: tuple[str, ...] = ()  # data holder slugs
    products: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    page: int = 1

    @classmethod
    def parse(cls, params: Any) -> Filters:
        """Filters from GET parameters; anything malformed is dropped, never an error."""
        def clean(text: Any, size: int) -> str:
            # Control and format characters (NUL...) are no search matter, and PostgreSQL
            # refuses NUL in a parameter: dropped before anything else sees the text.
            return "".join(c for c in str(text) if unicodedata.category(c)[0] != "C"
                           ).strip()[:size]

        def values(name: str, size: int) -> tuple[str, ...]:
            raw = params.getlist(name) if hasattr(params, "getlist") else params.get(name) or []
            if isinstance(raw, str):
                raw = [raw]
            seen: dict[str, None] = {}
            for v in raw[:MAX_VALUES]:
                v = clean(v, size)
                if v:
                    seen.setdefault(v, None)
            return tuple(seen)

        q = clean(params.get("q") or "", MAX_QUERY)
        kind = str(params.get("kind") or "")
        years = tuple(int(y) for y in values("year", 4) if y.isdigit() and int(y) in YEARS)
        try:
            page = max(1, min(int(str(params.get("page") or 1)), 10_000))
        except ValueError:
            page = 1
        return cls(q=q, kind=kind if kind in Kind.values else "",
                   holders=values("holder", 80), products=values("product", 100),
                   categories=tuple(c for c in values("category", 20)
                                    if c in HealthCategory.values),
                   years=years, page=page)

    @property
    def active(self) -> bool:
        """Something to search or browse for (with no text, the facets browse the catalogue)."""
        return bool(self.q or self.kind or self.holders or self.products or self.categories
                    or self.years)


@dataclass
class Scope:
    """What a user may search: versions, their datasets, and products reached by each."""

    versions: dict[int, DatasetVersion]
    datasets: dict[int, Dataset]
    lists: set[int]  # code lists carried by the versions
    list_products: dict[int, set[str]]  # code list id -> products of the tables using it
    dataset_products: dict[int, set[str]]
    products: list[str]

    @classmethod
    def of(cls, user: Any) -> Scope:
        versions: dict[int, DatasetVersion] = {}
        published: set[int] = set()
        for v in (visible_versions(user).exclude(status=Status.ARCHIVED)
                  .order_by("dataset_id", "-number")):
            if v.status == Status.PUBLISHED:
                if v.dataset_id in published:
                    continue  # superseded by a newer published version
                published.add(v.dataset_id)
            versions[v.id] = v
        datasets = {v.dataset_id: v.dataset for v in versions.values()}
        lists = set(Nomenclature.versions.through.objects.filter(
            datasetversion_id__in=list(versions)).values_list("nomenclature_id", flat=True))
        list_products: dict[int, set[str]] = {}
        for nom_id, product in (Variable.objects.filter(table__version_id__in=list(versions),
                                                        nomenclature__isnull=False)
                                .values_list("nomenclature_id", "table__product").distinct()):
            if product:
                list_products.setdefault(nom_id, set()).add(product)
        dataset_products: dict[int, set[str]] = {}
        for ds_id, product in (Table.objects.filter(version_id__in=list(versions))
                               .values_list("version__dataset_id", "product").distinct()):
            if product:
                dataset_products.setdefault(ds_id, set()).add(product)
        products = sorted({p for ps in dataset_products.values() for p in ps})
        return cls(versions, datasets, lists, list_products, dataset_products, products)


@dataclass(frozen=True)
class Group:
    kind: str
    dataset_id: int
    version_id: int | None
    nomenclature_id: int | None
    product: str
    year_from: int | None
    year_to: int | None
    count: int


class _Rules:
    """The filters as predicates on groups (Python) and as WHERE clauses (SQL), side by side:
    a facet's count is the number of hits that ticking it gives."""

    def __init__(self, scope: Scope, filters: Filters) -> None:
        self.scope, self.f = scope, filters
        self.visible_datasets = set(scope.datasets)
        self.holder_ids = {i for i, d in scope.datasets.items() if d.holder.slug in filters.holders}
        self.category_ids = {i for i, d in scope.datasets.items()
                             if set(filters.categories) & set(d.health_categories or [])}
        self._products: dict[frozenset[str], tuple[set[str], set[int], set[int]]] = {}
        self._years: dict[int, set[int]] = {}

    # -- the sets each rule tests membership of (a facet asks the same ones many times)
    def product_sets(self, products: Iterable[str]) -> tuple[set[str], set[int], set[int]]:
        """The products, the code lists used in their tables, the datasets having them."""
        wanted = frozenset(products)
        if wanted not in self._products:
            lists = {n for n, ps in self.scope.list_products.items() if ps & wanted}
            datasets = {d for d, ps in self.scope.dataset_products.items() if ps & wanted}
            self._products[wanted] = (set(wanted), lists, datasets)
        return self._products[wanted]

    def year_versions(self, year: int) -> set[int]:
        """The versions whose years (when known) include `year`."""
        if year not in self._years:
            self._years[year] = {i for i, v in self.scope.versions.items()
                                 if (v.first_year is None or v.first_year <= year)
                                 and (v.last_year is None or v.last_year >= year)}
        return self._years[year]

    # -- Python: does a group pass?
    def visible(self, g: Group) -> bool:
        if g.kind in LIST_KINDS:
            return g.nomenclature_id in self.scope.lists
        if g.version_id is None:
            return g.dataset_id in self.visible_datasets
        return g.version_id in self.scope.versions

    def passes(self, g: Group, skip: str = "") -> bool:
        f = self.f
        if skip != "kind" and f.kind and g.kind != f.kind:
            return False
        if skip != "holder" and f.holders and g.dataset_id not in self.holder_ids:
            return False
        if skip != "category" and f.categories and g.dataset_id not in self.category_ids:
            return False
        if skip != "product" and f.products and not self.product_ok(g, f.products):
            return False
        return skip == "year" or not f.years or any(self.year_ok(g, y) for y in f.years)

    def product_ok(self, g: Group, products: Iterable[str]) -> bool:
        wanted, lists, datasets = self.product_sets(products)
        if g.kind in OWN_KINDS:
            return g.product in wanted
        if g.kind in LIST_KINDS:
            return g.nomenclature_id in lists
        return g.dataset_id in datasets

    def year_ok(self, g: Group, year: int) -> bool:
        return ((g.version_id is None or g.version_id in self.year_versions(year))
                and (g.year_from is None or g.year_from <= year)
                and (g.year_to is None or g.year_to >= year))

    # -- SQL: the same rules as a WHERE clause over `d` (search_document)
    def sql(self, *, visibility_only: bool = False) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []

        def add(clause: str, *values: Any) -> None:
            where.append(clause)
            params.extend(values)

        # A row is seen through its version (tables, variables), its list's versions (lists and
        # codes) or, for a dataset's own row, any of the dataset's versions.
        v_sql, v_params = _in("d.version_id", self.scope.versions)
        ds_sql, ds_params = _in("d.dataset_id", self.visible_datasets)
        lk_sql, lk_params = _in("d.kind", LIST_KINDS)
        through = Nomenclature.versions.through._meta
        carried = (f"SELECT {connection.ops.quote_name('nomenclature_id')} FROM "
                   f"{connection.ops.quote_name(through.db_table)} WHERE "
                   + _in(connection.ops.quote_name("datasetversion_id"), self.scope.versions)[0])
        add(f"({v_sql} OR (d.kind = %s AND {ds_sql}) "
            f"OR ({lk_sql} AND d.nomenclature_id IN ({carried})))",
            *v_params, str(Kind.DATASET), *ds_params, *lk_params, *v_params)
        if visibility_only:
            return " AND ".join(where), params
        f = self.f
        if f.kind:
            add("d.kind = %s", f.kind)
        if f.holders:
            add(*_flat(_in("d.dataset_id", self.holder_ids)))
        if f.categories:
            add(*_flat(_in("d.dataset_id", self.category_ids)))
        if f.products:
            wanted, lists, datasets = self.product_sets(f.products)
            own_sql, own_params = _in("d.kind", OWN_KINDS)
            p_sql, p_params = _in("d.product", wanted)
            lk_sql, lk_params = _in("d.kind", LIST_KINDS)
            n_sql, n_params = _in("d.nomenclature_id", lists)
            d_sql, d_params = _in("d.dataset_id", datasets)
            add(f"(({own_sql} AND {p_sql}) OR ({lk_sql} AND {n_sql}) "
                f"OR (d.kind = %s AND {d_sql}))",
                *own_params, *p_params, *lk_params, *n_params, str(Kind.DATASET), *d_params)
        if f.years:
            ors, values = [], []
            for year in f.years:
                yv_sql, yv_params = _in("d.version_id", self.year_versions(year))
                ors.append(f"((d.version_id IS NULL OR {yv_sql}) "
                           "AND (d.year_from IS NULL OR d.year_from <= %s) "
                           "AND (d.year_to IS NULL OR d.year_to >= %s))")
                values += [*yv_params, year, year]
            add("(" + " OR ".join(ors) + ")", *values)
        return " AND ".join(where), params


def _in(column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
    """`column IN (%s, ...)` with the values as parameters; never true when there are none."""
    values = sorted(values, key=str)
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _flat(pair: tuple[str, list[Any]]) -> tuple[Any, ...]:
    return (pair[0], *pair[1])


# --- the database-specific part: matching and ranking -------------------------------------------


@dataclass(frozen=True)
class _Match:
    source: str  # FROM ... (with `d` = search_document)
    condition: str
    params: list[Any]
    rank: str  # ORDER BY expression, best first
    rank_params: list[Any]


def _match(q: str, reference_lists: Iterable[int] = ()) -> _Match | None:
    """How rows match the text `q` (None: the text holds no searchable word). No q: browsing.

    Ranking, best first (each step breaks the ties of the one before):
    1. the identifier typed in full (`E11`, `DGN_PAL`);
    2. every term found as a whole word (or a synonym), not only as the start of a longer
       one: "diabète" puts "Diabète sucré de type 2" before "DIABETOLOGIE";
    3. codes of a reference classification (CIM-10, ATC, CCAM, NABM) before local lists;
    4. shorter codes first: a category before its subdivisions (E11 before E110), then in code
       order (E10, E11... as the classification lists them);
    5. the engine's relevance (identifier, then label, then other text)."""
    table = connection.ops.quote_name(Document._meta.db_table)
    if not q:
        return _Match(f"{table} d", "1 = 1", [], "d.kind, d.name", [])
    found = groups(q)
    if not found:
        return None
    ref_sql, ref_params = _in("d.nomenclature_id", reference_lists)
    exact = [fold(q.strip())]  # identifiers are ASCII: "âge" is the variable AGE
    # Code order is the characters' order, as SQLite compares: not the database's language
    # collation, which PostgreSQL would otherwise use (case, punctuation ignored or moved).
    binary = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    common = (f"CASE WHEN d.kind = %s AND {ref_sql} THEN 0 ELSE 1 END, "
              "CASE WHEN d.kind = %s THEN LENGTH(d.name) ELSE 0 END, "
              f"CASE WHEN d.kind = %s THEN d.name{binary} ELSE ''{binary} END")
    common_params = [str(Kind.CODE), *ref_params, str(Kind.CODE), str(Kind.CODE)]
    boost = "CASE WHEN LOWER(d.name) = %s THEN 0 ELSE 1 END"
    if connection.vendor == "postgresql":
        broad, whole = tsquery(found), tsquery(found, whole=True)
        # Whole words are tested on the words as written (`words`, migration search/0005), not
        # on the stems of `tsv`, where "insuffisant" is "insuffisance" and DEC is "décès".
        # Relevance as bm25 weighs it: A/B/C as 10/4/1, shorter rows first (divided by the log
        # of the row's word count, stop words included as FTS5 counts them; ts_rank alone gives
        # "Cause initiale du décès" and a long description the same score).
        return _Match(f"{table} d", "d.tsv @@ to_tsquery('hygie_fr', %s)", [broad],
                      f"{boost}, CASE WHEN d.words @@ to_tsquery('hygie_words', %s) THEN 0 ELSE 1 "
                      f"END, {common}, ts_rank('{{0.1, 0.1, 0.4, 1.0}}', d.tsv, "
                      "to_tsquery('hygie_fr', %s)) / LN(LENGTH(d.words) + 1) DESC",
                      [*exact, whole, *common_params, broad])
    # SQLite FTS5: bm25 weighs the identifier, then the label, then the rest (lower is better).
    return _Match(f"search_fts JOIN {table} d ON d.id = search_fts.rowid", "search_fts MATCH %s",
                  [fts5(found)],
                  f"{boost}, CASE WHEN d.id IN (SELECT rowid FROM search_fts WHERE search_fts "
                  f"MATCH %s) THEN 0 ELSE 1 END, {common}, bm25(search_fts, 10.0, 4.0, 1.0)",
                  [*exact, fts5(found, whole=True), *common_params])


def reference_lists(scope_lists: Iterable[int]) -> set[int]:
    """The searched code lists holding a reference classification (`dcat.NOMENCLATURE_SYSTEMS`:
    the lists the catalogue declares as CIM-10, ATC, CCAM or NABM)."""
    return set(Nomenclature.objects.filter(id__in=list(scope_lists),
                                           name__in=list(NOMENCLATURE_SYSTEMS))
               .values_list("id", flat=True))


def _groups(match: _Match, rules: _Rules) -> list[Group]:
    where, params = rules.sql(visibility_only=True)
    sql = (f"SELECT d.kind, d.dataset_id, d.version_id, d.nomenclature_id, d.product, "
           f"d.year_from, d.year_to, COUNT(*) FROM {match.source} "
           f"WHERE {match.condition} AND {where} "
           f"GROUP BY d.kind, d.dataset_id, d.version_id, d.nomenclature_id, d.product, "
           f"d.year_from, d.year_to")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*match.params, *params])
        return [Group(*row) for row in cursor.fetchall()]


def _ranked(match: _Match, rules: _Rules, *, per_kind: Sequence[str] = (), limit: int = 0,
            offset: int = 0) -> list[int]:
    """Document ids, best first: a page of `limit`, or the first `limit` of each of `per_kind`."""
    where, params = rules.sql()
    order = f"{match.rank}, d.id"
    select = f"SELECT d.id FROM {match.source} WHERE {match.condition} AND {where}"
    if not per_kind:
        queries = [(f"{select} ORDER BY {order} LIMIT %s OFFSET %s",
                    [*match.params, *params, *match.rank_params, limit, offset])]
    elif match.params:
        # One ranking pass over the matches, numbered within each kind.
        queries = [(f"SELECT id FROM (SELECT d.id AS id, d.kind AS kind, ROW_NUMBER() OVER "
                    f"(PARTITION BY d.kind ORDER BY {order}) AS n FROM {match.source} "
                    f"WHERE {match.condition} AND {where}) ranked WHERE n <= %s ORDER BY kind, n",
                    [*match.rank_params, *match.params, *params, limit])]
    else:
        # Browsing (no text): a short sorted read per kind beats numbering every row.
        queries = [(f"{select} AND d.kind = %s ORDER BY {order} LIMIT %s",
                    [*match.params, *params, kind, *match.rank_params, limit])
                   for kind in per_kind]
    ids: list[int] = []
    with connection.cursor() as cursor:
        for sql, args in queries:
            cursor.execute(sql, args)
            ids += [row[0] for row in cursor.fetchall()]
    return ids


# --- what is shown -------------------------------------------------------------------------------


@dataclass
class Link:
    label: str
    url: str
    note: str = ""  # e.g. the version, when it is not the published one


@dataclass
class Hit:
    kind: str
    name: str
    title: str
    url: str
    dataset: str
    version: int | None = None
    status: str = ""
    table: str = ""
    product: str = ""
    nomenclature: Link | None = None
    used_by: list[Link] = field(default_factory=list)
    # The same code in other lists, the same variable in other tables (see `_merged`).
    also_in: list[Link] = field(default_factory=list)


@dataclass
class ListHit:
    """A code list with matching codes, and the variables coded with it."""

    name: str
    url: str
    dataset: str
    matches: int
    used_by: list[Link]
    matches_url: str = ""  # the list's page searched for the same words


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Result:
    filters: Filters
    total: int = 0
    searched: bool = False  # False: nothing to search for (empty or no word in the text)
    kinds: list[FacetValue] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    sections: list[tuple[str, str, int, list[Hit]]] = field(default_factory=list)
    lists: list[ListHit] = field(default_factory=list)
    page: int = 1
    pages: int = 0
    suggestions: list[Suggestion] = field(default_factory=list)  # when nothing is found


def search(user: Any, filters: Filters) -> Result:
    result = Result(filters)
    if not filters.active or (filters.q and not groups(filters.q)):
        return result  # nothing to search for, or no word in the text
    scope = Scope.of(user)
    match = _match(filters.q, reference_lists(scope.lists))
    if match is None:
        return result
    rules = _Rules(scope, filters)
    found = _groups(match, rules)
    result.searched = True
    kept = [g for g in found if rules.passes(g)]
    result.total = sum(g.count for g in kept)
    result.kinds = _kind_counts(found, rules)
    result.facets = _facets(found, rules, scope)
    labels = dict(Kind.choices)
    if filters.kind:
        count = sum(g.count for g in kept)
        result.pages = max(1, -(-count // PAGE_SIZE))
        result.page = min(filters.page, result.pages)
        ids = _ranked(match, rules, limit=PAGE_SIZE, offset=(result.page - 1) * PAGE_SIZE)
        result.sections = [(filters.kind, str(labels[filters.kind]), count,
                            _merged(_hits(ids, scope, filters)))]
    else:
        kinds = [k.value for k in result.kinds if k.count]
        # More rows than shown: a code in several lists, a variable in several tables is one hit.
        hits = (_hits(_ranked(match, rules, per_kind=kinds, limit=PREVIEW * CODE_COPIES),
                      scope, filters) if kinds else [])
        for kind, label in Kind.choices:
            of_kind = _merged([h for h in hits if h.kind == kind])[:PREVIEW]
            count = next((k.count for k in result.kinds if k.value == kind), 0)
            if of_kind:
                result.sections.append((kind, str(label), count, of_kind))
    if filters.q and filters.kind in ("", str(Kind.CODE)):
        result.lists = _lists(kept, scope, filters, reference_lists(scope.lists))
    if filters.q and not result.total:
        result.suggestions = suggestions(filters.q)
    return result


def _merged(hits: list[Hit]) -> list[Hit]:
    """The same code (code and label) in several lists, or the same variable (name and
    description) in several tables of a version, as one hit at its best rank, naming the other
    lists or tables: the SNDS copies CIM-10 into several lists and a variable into many tables."""
    out: list[Hit] = []
    first: dict[tuple[Any, ...], Hit] = {}
    for h in hits:
        key = (h.kind, h.dataset, h.version, h.name.upper(), " ".join(fold(h.title).split()))
        if h.kind == Kind.CODE and h.nomenclature is not None:
            other = Link(h.nomenclature.label, h.url)
        elif h.kind == Kind.VARIABLE:
            other = Link(f"{h.table}.{h.name}", h.url)
        else:
            out.append(h)
            continue
        if key in first:
            kept = first[key]
            kept.also_in.append(other)
            kept.used_by += [u for u in h.used_by if u not in kept.used_by]
        else:
            first[key] = h
            out.append(h)
    return out


def _kind_counts(groups: Sequence[Group], rules: _Rules) -> list[FacetValue]:
    counts = dict.fromkeys(Kind.values, 0)
    for g in groups:
        if rules.passes(g, skip="kind"):
            counts[g.kind] += g.count
    return [FacetValue(kind, str(label), counts[kind], rules.f.kind == kind)
            for kind, label in Kind.choices]


def _facets(groups: Sequence[Group], rules: _Rules, scope: Scope) -> dict[str, list[FacetValue]]:
    """Each facet counted under the other facets' filters: ticking a value gives that many hits
    (values of one facet are ORed, facets are ANDed)."""
    f = rules.f
    facets: dict[str, list[FacetValue]] = {}

    def facet(name: str, values: Iterable[tuple[str, str]], selected: Sequence[Any],
              test: Any) -> None:
        base = [g for g in groups if rules.passes(g, skip=name)]
        out = []
        for value, label in values:
            count = sum(g.count for g in base if test(g, value))
            if count or value in {str(s) for s in selected}:
                out.append(FacetValue(value, label, count, value in {str(s) for s in selected}))
        facets[name] = out

    holders = sorted({(d.holder.slug, d.holder.name) for d in scope.datasets.values()},
                     key=lambda h: h[1])
    facet("holder", holders, f.holders,
          lambda g, slug: scope.datasets[g.dataset_id].holder.slug == slug)
    facet("product", [(p, p) for p in sorted({*scope.products, *f.products})], f.products,
          lambda g, p: rules.product_ok(g, [p]))
    facet("category", [(c, str(label)) for c, label in HealthCategory.choices], f.categories,
          lambda g, c: c in (scope.datasets[g.dataset_id].health_categories or []))
    years = _year_range(groups, scope, f.years)
    facet("year", [(str(y), str(y)) for y in years], f.years,
          lambda g, y: rules.year_ok(g, int(y)))
    return facets


def _year_range(groups: Sequence[Group], scope: Scope, selected: Sequence[int]) -> range:
    """From the earliest to the latest year any matching row or version names."""
    known = {y for g in groups for y in (g.year_from, g.year_to) if y is not None}
    known |= {y for v in scope.versions.values() for y in (v.first_year, v.last_year) if y}
    known |= set(selected)
    known &= set(YEARS)
    return range(min(known), max(known) + 1) if known else range(0)


def _hits(ids: list[int], scope: Scope, filters: Filters) -> list[Hit]:
    docs = {d.id: d for d in Document.objects.filter(id__in=ids).select_related(
        "dataset", "version", "table", "nomenclature")}
    variables = {v.id: v for v in Variable.objects.filter(
        id__in=[d.object_id for d in docs.values() if d.kind == Kind.VARIABLE])
        .select_related("nomenclature")}
    used_by = _used_by({d.nomenclature_id for d in docs.values()
                        if d.kind in LIST_KINDS and d.nomenclature_id}, scope, filters)
    hits = []
    for doc_id in ids:
        d = docs.get(doc_id)
        if d is None:
            continue
        hit = Hit(kind=d.kind, name=d.name, title=d.title, url="", dataset=d.dataset.slug,
                  product=d.product)
        if d.version is not None:
            hit.version, hit.status = d.version.number, d.version.status
        if d.kind == Kind.DATASET:
            hit.title, hit.url = d.dataset.title, d.dataset.get_absolute_url()
        elif d.kind == Kind.TABLE and d.table is not None and d.version is not None:
            hit.title = d.table.title or d.title
            hit.url = _table_url(d.dataset.slug, d.version.number, d.name)
        elif d.kind == Kind.VARIABLE and d.table is not None and d.version is not None:
            v = variables.get(d.object_id)
            hit.table = d.table.name
            hit.title = v.description if v is not None and v.description else d.title
            hit.url = _table_url(d.dataset.slug, d.version.number, d.table.name) + f"#var-{d.name}"
            if v is not None and v.nomenclature is not None:
                hit.nomenclature = Link(v.nomenclature.name, _list_url(d.dataset.slug,
                                                                       v.nomenclature.name))
        elif d.nomenclature is not None:
            url = _list_url(d.dataset.slug, d.nomenclature.name)
            hit.used_by = used_by.get(d.nomenclature_id or 0, [])
            if d.kind == Kind.CODE:
                hit.nomenclature = Link(d.nomenclature.name, url)
                url = code_url(d.dataset.slug, d.nomenclature.name, d.name)
            hit.url = url
        hits.append(hit)
    return hits


def _lists(kept: Sequence[Group], scope: Scope, filters: Filters,
           reference: set[int]) -> list[ListHit]:
    """The code lists holding matching codes (reference classifications first, then most
    matches first) and the variables using them: how a search for a disease reaches the
    diagnosis variables."""
    per_list: dict[int, int] = {}
    for g in kept:
        if g.kind == Kind.CODE and g.nomenclature_id is not None:
            per_list[g.nomenclature_id] = per_list.get(g.nomenclature_id, 0) + g.count
    top = sorted(per_list.items(), key=lambda kv: (kv[0] not in reference, -kv[1]))[:TOP_LISTS]
    if not top:
        return []
    noms = Nomenclature.objects.select_related("dataset").in_bulk([n for n, _ in top])
    used_by = _used_by({n for n, _ in top}, scope, filters)
    urls = {n: _list_url(noms[n].dataset.slug, noms[n].name) for n, _ in top if n in noms}
    return [ListHit(noms[n].name, urls[n], noms[n].dataset.slug, count, used_by.get(n, []),
                    urls[n] + "?" + urlencode({"q": filters.q}))
            for n, count in top if n in noms]


def _used_by(list_ids: set[int], scope: Scope, filters: Filters) -> dict[int, list[Link]]:
    """The variables (in the versions searched, of the products asked for) using each list."""
    if not list_ids:
        return {}
    variables = (Variable.objects.filter(nomenclature_id__in=list_ids,
                                         table__version_id__in=list(scope.versions))
                 .order_by("table__name", "position"))
    if filters.products:
        variables = variables.filter(table__product__in=filters.products)
    # Plain tuples: a common disease's lists are used by hundreds of variables, and building a
    # model instance for each with its table, version and dataset cost more than the query.
    rows = variables.values_list("nomenclature_id", "name", "table__name", "table__version__number",
                                 "table__version__status", "table__version__dataset__slug")
    out: dict[int, list[Link]] = {}
    for list_id, name, table, number, status, slug in rows:
        note = "" if status == Status.PUBLISHED else f"v{number}, {Status(status).label}"
        url = _table_url(slug, number, table) + f"#var-{name}"
        out.setdefault(list_id or 0, []).append(Link(f"{table}.{name}", url, note))
    return out


def _table_url(slug: str, number: int, table: str) -> str:
    return reverse("catalogue:table", args=[slug, number, table])


def _list_url(slug: str, name: str) -> str:
    return reverse("catalogue:nomenclature", args=[slug, name])


def code_anchor(code: str) -> str:
    """The id of a code's row on its list's page (`code-E11`)."""
    return "code-" + _ANCHOR_UNSAFE.sub("_", code)


def code_url(slug: str, nomenclature: str, code: str) -> str:
    """A link landing on a code: its list's page opens where the code is, at its row."""
    return (f"{_list_url(slug, nomenclature)}?{urlencode({'code': code})}"
            f"#{quote(code_anchor(code))}")


def code_page(nomenclature_id: int, code: str, per_page: int = CODES_PER_PAGE) -> int:
    """The page of the code list page showing `code` (codes are listed in code order)."""
    before = Code.objects.filter(nomenclature_id=nomenclature_id, code__lt=code).count()
    return before // per_page + 1


def code_filter(nomenclature_id: int, q: str) -> Q:
    """The codes of one list whose code starts with `q`, or whose labels hold its words (the
    search index: accents and case ignored, synonyms included), at most MAX_LIST_MATCHES."""
    text = q.strip()
    ids = set(Code.objects.filter(nomenclature_id=nomenclature_id, code__istartswith=text)
              .values_list("id", flat=True)[:MAX_LIST_MATCHES]) if text else set()
    found = groups(q)
    if found:
        table = connection.ops.quote_name(Document._meta.db_table)
        if connection.vendor == "postgresql":
            source, condition, expr = (f"{table} d", "d.tsv @@ to_tsquery('hygie_fr', %s)",
                                       tsquery(found))
        else:
            # CROSS JOIN: the full-text search first, not once per code of the list.
            source, condition, expr = (f"search_fts CROSS JOIN {table} d",
                                       "d.id = search_fts.rowid AND search_fts MATCH %s",
                                       fts5(found))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT d.object_id FROM {source} WHERE {condition} AND d.kind = %s "
                           "AND d.nomenclature_id = %s LIMIT %s",
                           [expr, str(Kind.CODE), nomenclature_id, MAX_LIST_MATCHES])
            ids.update(row[0] for row in cursor.fetchall())
    return Q(pk__in=sorted(ids))
