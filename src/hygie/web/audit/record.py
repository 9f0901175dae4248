"""`record(...)`: add an audit event, in the caller's transaction (both land or neither).

The object's description is kept on one line (`notify.one_line`): a title holding a line break or
a direction override must not make a row of the trail read as something else. The action is a
member of `audit.actions.Action`, never a free string: the list of what is recorded stays in one
place.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from hygie.web.accounts.client_ip import client_ip
from hygie.web.audit.actions import Action
from hygie.web.audit.models import AuditEvent
from hygie.web.notify import one_line


def record(action: Action, target: models.Model | None = None, *, actor: Any = None,
           request: HttpRequest | None = None, **detail: Any) -> AuditEvent:
    """Record `actor` (or the request's user) doing `action` on `target`."""
    if not isinstance(action, Action):
        raise TypeError(f"audit actions are audit.actions.Action members, not {action!r}")
    if actor is None and request is not None:
        actor = getattr(request, "user", None)  # absent on requests built outside the middleware
    ip = client_ip(request) if request is not None else None
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action.value,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=one_line(target)[:300] if target is not None else "",
        detail=detail, ip=ip)
