"""The client's address, as seen through the reverse proxies the deployment declares.

Behind N trusted proxies (HYGIE_TRUSTED_PROXIES=N), each appends the address it received from to
X-Forwarded-For, so the client is the N-th entry from the right; anything further left was written
by the client and cannot be trusted. With no proxy, REMOTE_ADDR. Login throttling (django-axes)
and the audit trail both use this, so that a lock-out hits one client and not the proxy.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    proxies = int(getattr(settings, "HYGIE_TRUSTED_PROXIES", 0))
    address = request.META.get("REMOTE_ADDR")
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if h.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None
