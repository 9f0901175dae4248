"""OpenID Connect sign-in (mozilla-django-oidc): accounts are matched on the e-mail address the
identity provider vouches for, or created on first sign-in.

Matching on e-mail gives an existing account (staff included) to whoever the provider says owns
that address, so the provider must be one the hub trusts; an address the provider itself marks as
unverified is refused. An OIDC session is an ordinary Django session: staff still need their TOTP
second factor (`StaffTwoFactorMiddleware`).
"""

from __future__ import annotations

from typing import Any

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


def _text(claims: dict[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


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
