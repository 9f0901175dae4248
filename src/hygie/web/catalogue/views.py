"""Public catalogue pages: datasets, versions, tables and their variables, code lists."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from hygie.web.catalogue import record
from hygie.web.catalogue.access import can_edit, get_nomenclature, get_version, visible_versions
from hygie.web.catalogue.listing import entries, listing
from hygie.web.catalogue.models import Status


def dataset_list(request: HttpRequest) -> HttpResponse:
    """The datasets with their summary and tags, a text filter and facets (catalogue.listing)."""
    return render(request, "catalogue/dataset_list.html",
                  {"listing": listing(entries(request.user), request.GET)})


def _cache_seconds(version: Any) -> int:
    """How long the version's rendered tables, diagram and variables may be reused. A draft
    changes with every edit; past it, a version no longer does (editing is for drafts only)."""
    return 0 if version.status == Status.DRAFT else settings.HYGIE_PAGE_CACHE_SECONDS


def dataset(request: HttpRequest, slug: str, number: int | None = None) -> HttpResponse:
    version = get_version(request.user, slug, number)
    ds = version.dataset

    def products() -> dict[str, list[Any]]:
        # Called by the template only when its cached part is missing (see dataset.html).
        tables = (version.tables.annotate(n_variables=Count("variables"))
                  .select_related("version__dataset").order_by("product", "name"))
        grouped: dict[str, list[Any]] = {}
        for t in tables:
            grouped.setdefault(t.product or "-", []).append(t)
        return grouped

    versions = visible_versions(request.user).filter(dataset=ds).order_by("-number")
    return render(request, "catalogue/dataset.html", {
        "dataset": ds, "version": version, "products": products,
        "cache_seconds": _cache_seconds(version), "versions": versions,
        "current": versions.filter(status=Status.PUBLISHED).first(),
        "can_edit": can_edit(request.user, ds), "Status": Status,
        **record.context(version, request)})


def table(request: HttpRequest, slug: str, number: int, name: str) -> HttpResponse:
    version = get_version(request.user, slug, number)
    t = get_object_or_404(version.tables, name=name)
    variables = t.variables.select_related("nomenclature__dataset")
    referenced_by = (version.tables.filter(relations__ref_table=t.name).distinct()
                     .select_related("version__dataset").order_by("name"))
    return render(request, "catalogue/table.html", {
        "dataset": version.dataset, "version": version, "table": t, "variables": variables,
        "relations": t.relations.all(), "referenced_by": referenced_by,
        "cache_seconds": _cache_seconds(version)})


def nomenclature(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """A code list, 100 codes a page: `?q=` searches inside it, `?code=` lands on a code."""
    from hygie.web.catalogue.search import code_list_context

    nom, version = get_nomenclature(request.user, slug, name)
    used_by = nom.variables.filter(table__version=version).select_related("table__version__dataset")
    return render(request, "catalogue/nomenclature.html", {
        "dataset": version.dataset, "version": version, "nomenclature": nom,
        "used_by": used_by, **code_list_context(request, nom)})


def search(request: HttpRequest) -> HttpResponse:
    """Search across datasets, tables, variables and codes (full-text: see catalogue.search)."""
    from hygie.web.catalogue.search import run_search

    return render(request, "catalogue/search.html", run_search(request))
