"""The search page's context: full-text search with facets (the search itself: hygie.web.search)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from hygie.web.catalogue.models import HealthCategory
from hygie.web.search.query import Filters, search

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
