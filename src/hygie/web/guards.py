"""Requests refused before any view sees them.

`RefuseNulMiddleware`: a NUL character (U+0000) in the address, the query string, a form field or
a JSON body. No field of the platform accepts one and PostgreSQL text cannot hold one: a lookup such
as `?dataset=%00` failed inside the database (a server error) on PostgreSQL and quietly matched
nothing on SQLite. Multipart bodies are left to the views (an upload sets its own size limit before
the body is read, and a file may hold any byte); their text fields go through forms, whose
CharField refuses NUL.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.utils.translation import gettext as _


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request):
            return HttpResponseBadRequest(
                _("The request holds a NUL character (U+0000), which no field accepts."),
                content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _holds_nul(request: HttpRequest) -> bool:
    def in_fields(fields: QueryDict) -> bool:
        return any("\x00" in key or any("\x00" in v for v in values)
                   for key, values in fields.lists())

    if "\x00" in request.path_info or in_fields(request.GET):
        return True
    if request.method in ("POST", "PUT", "PATCH"):
        if request.content_type == "application/x-www-form-urlencoded":
            return in_fields(request.POST)
        if request.content_type == "application/json":  # escaped, or raw (invalid JSON anyway)
            return b"\\u0000" in request.body or b"\x00" in request.body
    return False
