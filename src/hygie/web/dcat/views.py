"""HealthDCAT-AP downloads: the whole catalogue and one dataset, in Turtle, JSON-LD or RDF/XML.

Anonymous users get published versions only; a holder's editors and the catalogue team also get the
versions they may see in the catalogue pages (`hygie.web.catalogue.access`).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from hygie.catalogue import dcat
from hygie.web.dcat.export import describe, describe_catalogue, exported_versions, version_for


def _base(request: HttpRequest) -> str:
    # The host is one of ALLOWED_HOSTS (Django checks it), so IRIs cannot be steered elsewhere.
    return request.build_absolute_uri("/").rstrip("/")


def _download(data: bytes, ext: str, filename: str) -> HttpResponse:
    media_type = dcat.FORMATS[ext][1]
    response = HttpResponse(data, content_type=f"{media_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{ext}"'
    return response


@require_safe
def catalogue_export(request: HttpRequest, ext: str) -> HttpResponse:
    graph = dcat.catalog_graph(describe_catalogue(exported_versions(request.user), _base(request)))
    return _download(dcat.serialise(graph, ext), ext, "hygie-catalogue")


@require_safe
def dataset_export(request: HttpRequest, slug: str, ext: str) -> HttpResponse:
    number = request.GET.get("version", "")
    if number and not (number.isascii() and number.isdigit() and len(number) <= 9):
        raise Http404("no such dataset version")
    version = version_for(request.user, slug, int(number) if number else None)
    if version is None:  # drafts of others do not even reveal their existence
        raise Http404("no such dataset version")
    graph = dcat.dataset_graph(describe(version, _base(request)))
    name = slug if not number else f"{slug}-v{version.number}"
    return _download(dcat.serialise(graph, ext), ext, name)
