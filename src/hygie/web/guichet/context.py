"""The navigation's guichet links: "Applications" for anyone signed in, "Desk" for the staff."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    from hygie.web.guichet.desk_views import is_staff_desk

    # A callable: the template asks only when it draws the menu (no query on other pages).
    return {"works_at_desk": lambda: is_staff_desk(request.user)}
