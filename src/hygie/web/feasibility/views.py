"""Feasibility: saved cohorts and their counts under statistical secrecy."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def cohorts(request: HttpRequest) -> HttpResponse:
    return render(request, "feasibility/cohorts.html",
                  {"cohorts": request.user.cohorts.select_related("dataset")})
