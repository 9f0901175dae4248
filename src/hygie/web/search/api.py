"""GET /api/catalogue/search: the search page as JSON (what the user may see, same facets)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from hygie.web.search.query import PAGE_SIZE, FacetValue, Filters, Hit, Link, search

router = Router(tags=["catalogue"])


class LinkOut(Schema):
    label: str
    url: str
    note: str = ""


class HitOut(Schema):
    kind: str
    name: str
    title: str
    url: str
    dataset: str
    version: int | None
    status: str
    table: str
    product: str
    nomenclature: LinkOut | None
    used_by: list[LinkOut]
    also_in: list[LinkOut]


class CountOut(Schema):
    value: str
    label: str
    count: int
    selected: bool


class CodeListOut(Schema):
    name: str
    url: str
    dataset: str
    matches: int
    matches_url: str
    used_by: list[LinkOut]


class SuggestionOut(Schema):
    text: str
    url: str
    synonym: bool


class SearchOut(Schema):
    q: str
    total: int
    kinds: list[CountOut]
    facets: dict[str, list[CountOut]]
    code_lists: list[CodeListOut]
    results: list[HitOut]
    page: int
    pages: int
    page_size: int
    suggestions: list[SuggestionOut]


class SearchIn(Schema):
    q: str = ""
    kind: str = ""
    holder: list[str] = []
    product: list[str] = []
    category: list[str] = []
    year: list[str] = []
    page: int = 1


def _link(link: Link) -> LinkOut:
    return LinkOut(label=link.label, url=link.url, note=link.note)


def _hit(h: Hit) -> HitOut:
    return HitOut(kind=h.kind, name=h.name, title=h.title, url=h.url, dataset=h.dataset,
                  version=h.version, status=h.status, table=h.table, product=h.product,
                  nomenclature=_link(h.nomenclature) if h.nomenclature else None,
                  used_by=[_link(u) for u in h.used_by],
                  also_in=[_link(a) for a in h.also_in])


def _count(v: FacetValue) -> CountOut:
    return CountOut(value=v.value, label=v.label, count=v.count, selected=v.selected)


@router.get("", response=SearchOut, summary="Search the catalogue")
def search_catalogue(request: HttpRequest, params: Query[SearchIn]) -> SearchOut:
    """Full-text search (accents and case ignored, common terms in French or English) over
    datasets, tables, variables, code lists and codes, with facets: holder (slug), product,
    category, year (repeat a parameter for several values). Without `kind`, the first hits of
    each kind; with it, one page of that kind. Anonymous callers see published versions only.
    When nothing is found, `suggestions` holds other searches to try (close spellings,
    synonyms)."""
    filters = Filters.parse({"q": params.q, "kind": params.kind, "holder": params.holder,
                             "product": params.product, "category": params.category,
                             "year": params.year, "page": params.page})
    result = search(request.user, filters)
    return SearchOut(
        q=filters.q, total=result.total, kinds=[_count(k) for k in result.kinds],
        facets={name: [_count(v) for v in values] for name, values in result.facets.items()},
        code_lists=[CodeListOut(name=c.name, url=c.url, dataset=c.dataset, matches=c.matches,
                                matches_url=c.matches_url, used_by=[_link(u) for u in c.used_by])
                    for c in result.lists],
        results=[_hit(h) for s in result.sections for h in s[3]],
        page=result.page, pages=result.pages, page_size=PAGE_SIZE,
        suggestions=[SuggestionOut(text=s.text, url=s.url, synonym=s.synonym)
                     for s in result.suggestions])
