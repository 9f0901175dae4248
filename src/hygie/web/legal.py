"""The pages every public site owes its visitors: legal notice, personal data, accessibility, site map.

Their facts about the operator (publisher, address, director of publication, host, contacts) come
from the HYGIE_LEGAL_* settings; a fact left unset is said to be missing rather than invented.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from hygie.web.catalogue.models import Dataset, Status

app_name = "legal"


@require_GET
def notice(request: HttpRequest) -> HttpResponse:
    return render(request, "legal/notice.html", {"legal": settings.HYGIE_LEGAL})


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    minutes = round(settings.AXES_COOLOFF_TIME * 60)  # axes counts in hours
    return render(request, "legal/privacy.html", {"legal": settings.HYGIE_LEGAL,
                                                  "lockout_minutes": minutes})


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "legal/accessibility.html", {"legal": settings.HYGIE_LEGAL})


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    datasets = (Dataset.objects.filter(versions__status=Status.PUBLISHED).distinct()
                .order_by("title_fr"))
    return render(request, "legal/sitemap.html", {"datasets": datasets})


@require_GET
def brand_css(request: HttpRequest) -> HttpResponse:
    """The plain theme's colour, as a stylesheet (the CSP allows no inline style)."""
    css = f":root {{ --brand: {settings.HYGIE_BRAND.colour}; }}\n"  # validated as #rrggbb
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


urlpatterns = [
    path("mentions-legales/", notice, name="notice"),
    path("donnees-personnelles/", privacy, name="privacy"),
    path("accessibilite/", accessibility, name="accessibility"),
    path("plan-du-site/", sitemap, name="sitemap"),
]
