"""Reading settings from the environment, with a clear error for a malformed value.

Errors name the variable and what it accepts, never the value: it may be a secret (a database
URL carries its password).
"""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, default: str, conn_max_age: int) -> dict[str, Any]:
    """The Django DATABASES entry for a URL (postgres://user:password@host:port/name, sqlite:///
    path); a malformed URL fails without echoing it."""
    import dj_database_url

    url = os.environ.get(name) or default
    try:
        config = dict(dj_database_url.parse(url, conn_max_age=conn_max_age))
    except ValueError:  # dj-database-url's UnknownSchemeError and ParseError
        config = {}
    if not config.get("ENGINE") or not config.get("NAME"):
        raise ImproperlyConfigured(
            f"{name} must be a database URL such as postgres://user:password@host:5432/name "
            "or sqlite:////absolute/path.sqlite3")
    return config
