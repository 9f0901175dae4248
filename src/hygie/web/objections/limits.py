"""Limits of the public forms, which need no account: how often one address may send each of
them, and how big a request may be.

Each form has its count per client address (`accounts.client_ip`, through the declared proxies)
and hour, kept in the cache: filing many objections, or trying receipt numbers and birth dates
one after another, stops after a few attempts. The cache is per process: with several server
processes, each allows its own share (docs/operations.md).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from hygie.web.accounts.client_ip import client_ip

# Attempts per address and hour; HYGIE_OBJECTION_LIMITS (a setting) may change them.
PER_HOUR = {"object": 5, "follow": 20, "withdraw": 5}
WINDOW = 3600
# A form of the public side is a few hundred bytes; anything much bigger is refused unread.
MAX_BODY_BYTES = 8 * 1024


def allowed_per_hour(form: str) -> int:
    return int(getattr(settings, "HYGIE_OBJECTION_LIMITS", PER_HOUR).get(form, PER_HOUR[form]))


def spend(request: HttpRequest, form: str) -> bool:
    """Count one attempt at `form` from the request's address; False past the hour's share."""
    address = client_ip(request) or "unknown"
    key = f"hygie-objection:{form}:" + hashlib.sha256(address.encode()).hexdigest()
    cache.add(key, 0, timeout=WINDOW)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout=WINDOW)
        used = 1
    return used <= allowed_per_hour(form)


def too_big(request: HttpRequest) -> bool:
    """The declared body is over MAX_BODY_BYTES (checked before Django reads it)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES
    except ValueError:
        return True
