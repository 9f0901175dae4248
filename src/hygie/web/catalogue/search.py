"""The search page's context (full-text search with facets; the search itself: hygie.web.search),
and the code list page's codes (a search inside one list, a link landing on a code)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _

from hygie.web.catalogue.models import Code, HealthCategory, Nomenclature
from hygie.web.search.query import CODES_PER_PAGE, Filters, code_anchor, code_filter, search

FACET_PARAMS = ("holder", "product", "category", "year")


def _without(request: HttpRequest, name: str, value: str) -> str:
    """The current query string without one facet value (and back to the first page)."""
    params = request.GET.copy()
    params.setlist(name, [v for v in params.getlist(name) if v != value])
    params.pop("page", None)
    return "?" + params.urlencode()


def run_search(request: HttpRequest) -> dict[str, Any]:
    filters = Filters.parse(request.GET)
    result = search(request.user, filters)
    labels = {name: {v.value: v.label for v in values} for name, values in result.facets.items()}
    labels["category"] = {c: str(label) for c, label in HealthCategory.choices}
    titles = {"holder": _("Data holder"), "product": _("Product"),
              "category": _("Health category"), "year": _("Year")}
    active = [{"facet": titles[name], "label": labels.get(name, {}).get(str(value), str(value)),
               "remove": _without(request, name, str(value))}
              for name, values in (("holder", filters.holders), ("product", filters.products),
                                   ("category", filters.categories), ("year", filters.years))
              for value in values]
    facets = [(name, titles[name], result.facets.get(name, [])) for name in FACET_PARAMS]
    selected = [(name, str(value)) for name, values in (
        ("holder", filters.holders), ("product", filters.products),
        ("category", filters.categories), ("year", filters.years)) for value in values]
    return {"q": filters.q, "filters": filters, "result": result, "active_filters": active,
            "selected": selected, "facets": [f for f in facets if f[2]]}


@dataclass(frozen=True)
class CodeRow:
    code: Code
    anchor: str  # the row's id, the target of links to the code
    current: bool  # the code a link pointed at


def code_list_context(request: HttpRequest, nom: Nomenclature) -> dict[str, Any]:
    """A code list page's codes: `?q=` keeps the codes whose code starts with the text or whose
    label holds its words (accents ignored); `?code=E11` opens the page holding the code, whose
    row is marked. An explicit `?page=` wins (the pages of a filtered list keep `code`)."""
    filters = Filters.parse({"q": request.GET.get("q", "")})
    wanted = Filters.parse({"q": request.GET.get("code", "")}).q[:100]
    codes = nom.codes.all()
    if filters.q:
        codes = codes.filter(code_filter(nom.id, filters.q))
    number: Any = request.GET.get("page")
    if not number and wanted:
        before = codes.filter(code__lt=wanted).count()
        number = before // CODES_PER_PAGE + 1
    page = Paginator(codes, CODES_PER_PAGE).get_page(number)
    rows = [CodeRow(c, code_anchor(c.code), bool(wanted) and c.code == wanted) for c in page]
    return {"page": page, "rows": rows, "code_q": filters.q, "wanted_code": wanted,
            "wanted_found": any(r.current for r in rows)}
