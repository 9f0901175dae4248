"""People and their roles.

Roles are Django groups (see `Role`); object-level rights over a data holder's entries come from
`catalogue.Membership`. Anyone with a staff role must sign in with a TOTP second factor.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CATALOGUE_TEAM = "catalogue-team", _("Catalogue team")
    SECRETARIAT = "secretariat", _("Secretariat")
    CESREES = "cesrees", _("CESREES rapporteur")
    DPO = "dpo", _("Data protection officer")


STAFF_ROLES = frozenset(Role.values)


class User(AbstractUser):
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    # The language last chosen with the site's switch: e-mails are written in it (both, if none).
    language = models.CharField(_("language"), max_length=8, blank=True,
                                choices=settings.LANGUAGES)

    def has_role(self, role: str) -> bool:
        return self.is_active and self.groups.filter(name=str(role)).exists()

    @property
    def is_catalogue_team(self) -> bool:
        return self.is_superuser or self.has_role(str(Role.CATALOGUE_TEAM))

    @property
    def can_read_audit(self) -> bool:
        """The audit trail is for the catalogue team and the data protection officer."""
        return self.is_catalogue_team or self.has_role(str(Role.DPO))

    @property
    def needs_two_factor(self) -> bool:
        """Staff roles, administrators and data holders' editors must use a second factor."""
        return (self.is_staff or self.is_superuser
                or self.groups.filter(name__in=STAFF_ROLES).exists()
                or self.memberships.exists())
