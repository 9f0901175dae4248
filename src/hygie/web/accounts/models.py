"""People and their roles.

Roles are Django groups (see `Role`); object-level rights over a data holder's entries come from
`catalogue.Membership`. Anyone with a staff role must sign in with a TOTP second factor.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from hygie.web.accounts.orcid import validate_orcid
from hygie.web.validators import single_line


class Role(models.TextChoices):
    CATALOGUE_TEAM = "catalogue-team", _("Catalogue team")
    SECRETARIAT = "secretariat", _("Secretariat")
    CESREES = "cesrees", _("CESREES rapporteur")
    DPO = "dpo", _("Data protection officer")
    CNIL = "cnil", _("CNIL agent")
    OUTPUT_CHECKER = "output-checker", _("Output checker")  # the airlock's reviews


STAFF_ROLES = frozenset(Role.values)


class User(AbstractUser):
    # Names end up in one line of e-mails and pages: no line breaks, controls or direction marks.
    first_name = models.CharField(_("first name"), max_length=150, blank=True,
                                  validators=[single_line])
    last_name = models.CharField(_("last name"), max_length=150, blank=True,
                                 validators=[single_line])
    organisation = models.CharField(_("organisation"), max_length=200, blank=True,
                                    validators=[single_line])
    # The language last chosen with the site's switch: e-mails are written in it (both, if none).
    language = models.CharField(_("language"), max_length=8, blank=True,
                                choices=settings.LANGUAGES)
    # Stored as 0000-0000-0000-000X (`accounts.orcid.normalise`), checksum verified.
    orcid = models.CharField(_("ORCID iD"), max_length=19, blank=True, validators=[validate_orcid])
    # An account made on the sign-up page stays inactive until its address is verified
    # (`accounts.signup`); only such an account can be activated by a verification link, so that
    # one an administrator deactivated cannot be brought back that way.
    self_signed_up = models.BooleanField(_("signed up on the site"), default=False)
    email_verified_at = models.DateTimeField(_("address verified"), null=True, blank=True)

    class Meta(AbstractUser.Meta):
        constraints = [
            # One account per address, whatever the case (sign-up, admin, OpenID Connect).
            models.UniqueConstraint(Lower("email"), condition=~models.Q(email=""),
                                    name="accounts_user_email_ci_unique",
                                    violation_error_message=_(
                                        "Another account already has this e-mail address.")),
        ]

    @property
    def signup_pending(self) -> bool:
        """Signed up on the site and not yet verified (so inactive)."""
        return self.self_signed_up and self.email_verified_at is None and not self.is_active

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


class Invitation(models.Model):
    """One invitation to enrol a second factor (`accounts.enrolment`), good for one enrolment.

    Only the SHA-256 of the link's random token is kept, so the table cannot be read back into
    working links. An invitation is live until it is used (the enrolment it allowed), revoked (a
    newer invitation, a device reset) or past `expires_at`; nothing brings it back.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="invitations", verbose_name=_("person"))
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The address it was sent to: a link that went to an old address dies with the change.
    email = models.EmailField(_("sent to"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("enrolment invitation")
        verbose_name_plural = _("enrolment invitations")

    def __str__(self) -> str:
        return f"{self.user} {self.created:%Y-%m-%d %H:%M}"
