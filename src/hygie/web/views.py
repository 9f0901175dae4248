from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hygie.web.catalogue.models import Dataset, Status


def home(request: HttpRequest) -> HttpResponse:
    datasets = (Dataset.objects.filter(versions__status=Status.PUBLISHED).distinct()
                .select_related("holder"))
    return render(request, "home.html", {"datasets": datasets})
