"""OpenID Connect sign-in (mozilla-django-oidc): accounts are matched on the e-mail address the
identity provider vouches for, or created on first sign-in.

Matching on e-mail gives an existing account (staff included) to whoever the provider says owns
that address, so the provider must be one the hub trusts; an address the provider itself marks as
unverified is refused. An OIDC session is an ordinary Django session: staff still need their TOTP
second factor (`StaffTwoFactorMiddleware`).

The `state` of a sign-in is single-use (mozilla-django-oidc deletes it from the session at the
callback) and, here, expires: a state older than STATE_LIFETIME is refused and the refusal
audited, so that a sign-in started and left in a browser cannot be completed hours later.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.validators import forbidden_in_line

STATE_LIFETIME = 600  # seconds from leaving for the provider to coming back


def _text(claims: dict[str, Any], name: str, limit: int) -> str:
    """A claim as one line of text: runs of whitespace (line breaks too) become one space; a
    value with other control or direction characters is not taken."""
    value = claims.get(name)
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())[:limit]
    return "" if forbidden_in_line(text) else text


class HygieOIDCBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims: dict[str, Any]) -> bool:
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            return False
        return claims.get("email_verified", True) is not False

    def create_user(self, claims: dict[str, Any]) -> Any:
        user = super().create_user(claims)
        self._copy_names(user, claims)
        return user

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        self._copy_names(user, claims)
        return user

    @staticmethod
    def _copy_names(user: Any, claims: dict[str, Any]) -> None:
        """Names and organisation follow the provider when it sends them."""
        fields = {"first_name": _text(claims, "given_name", 150),
                  "last_name": _text(claims, "family_name", 150),
                  "organisation": _text(claims, "organization", 200)
                  or _text(claims, "organisation", 200)}
        changed = [name for name, value in fields.items() if value and getattr(user, name) != value]
        for name in changed:
            setattr(user, name, fields[name])
        if changed:
            user.save(update_fields=changed)


class HygieOIDCCallbackView(OIDCAuthenticationCallbackView):
    """The provider's callback, refusing a state that is unknown to this session or too old."""

    def get(self, request: HttpRequest) -> HttpResponse:
        state = request.GET.get("state")
        states = request.session.get("oidc_states")
        if state is not None and not request.GET.get("error"):
            held = states.get(state) if isinstance(states, dict) else None
            if held is None:
                record(Action.OIDC_REFUSED, request=request, reason="unknown state")
            elif time.time() - float(held.get("added_on", 0)) > STATE_LIFETIME:
                del states[state]  # used up all the same
                request.session.modified = True
                record(Action.OIDC_REFUSED, request=request, reason="expired")
                return self.login_failure()
        return super().get(request)
