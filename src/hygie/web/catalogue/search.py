"""Catalogue search. Placeholder matching by substring until the full-text index lands."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hygie.web.catalogue.access import visible_versions
from hygie.web.catalogue.models import Variable


def run_search(request: HttpRequest) -> dict[str, Any]:
    q = (request.GET.get("q") or "").strip()[:200]
    versions = visible_versions(request.user)
    hits = []
    if q:
        hits = list(Variable.objects.filter(table__version__in=versions)
                    .filter(description_fr__icontains=q).select_related("table")[:50])
    return {"q": q, "hits": hits}
