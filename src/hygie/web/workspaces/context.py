"""The navigation's "Workspaces" link, for the people a workspace's file names."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    from hygie.web.workspaces.access import mine

    # A callable: the template asks only when it draws the menu (no query on other pages).
    return {"has_workspaces": lambda: mine(request.user).exists()}
