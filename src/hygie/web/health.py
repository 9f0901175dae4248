"""`/healthz`: liveness for load balancers and process supervisors.

It answers "ok" as soon as the process serves requests, without touching the database, so it is
also the cheapest page the site serves (the web benchmark's baseline).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
