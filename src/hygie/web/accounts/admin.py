"""Accounts in the admin; the admin itself requires a verified second factor (OTPAdminSite)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from hygie.web.accounts.enrolment import invite
from hygie.web.accounts.models import User
from hygie.web.audit.admin import AuditedAdmin
from hygie.web.catalogue.models import Membership

# The default site becomes an OTP site: a session without a verified device is not let in, even
# if the middleware were bypassed. The instance keeps its name, so `admin:` URLs are unchanged.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = admin.site.site_title = _("Hygie administration")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("holder",)
    verbose_name = _("data holder membership")


@admin.register(User)
class HygieUserAdmin(AuditedAdmin, UserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "organisation", "orcid",
                    "roles", "two_factor", "is_staff", "is_active", "last_login")
    list_filter = ("groups", "is_staff", "is_superuser", "is_active", "self_signed_up")
    search_fields = ("username", "email", "first_name", "last_name", "organisation", "orcid")
    # Applicants fill in organisation and ORCID iD when they sign up (`accounts.signup`).
    fieldsets = (*UserAdmin.fieldsets,
                 (_("Organisation"), {"fields": ("organisation", "orcid")}),
                 (_("Sign-up"), {"fields": ("self_signed_up", "email_verified_at")}))
    readonly_fields = ("self_signed_up", "email_verified_at")
    inlines = (MembershipInline,)
    actions = ("send_enrolment_invitation",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("groups", "totpdevice_set")

    @admin.display(description=_("roles"))
    def roles(self, user: User) -> str:
        return ", ".join(sorted(g.name for g in user.groups.all()))

    @admin.action(description=_("Send a two-factor enrolment invitation"))
    def send_enrolment_invitation(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        sent = [user for user in queryset if invite(user, request=request)]
        if sent:
            self.message_user(request, ngettext(
                "An invitation was sent to %(count)d person.",
                "Invitations were sent to %(count)d people.", len(sent)) % {"count": len(sent)},
                messages.SUCCESS)
        skipped = queryset.count() - len(sent)
        if skipped:
            self.message_user(request, ngettext(
                "%(count)d person has no e-mail address or is inactive: no invitation.",
                "%(count)d people have no e-mail address or are inactive: no invitation.",
                skipped) % {"count": skipped}, messages.WARNING)

    @admin.display(description=_("two-factor"), boolean=True)
    def two_factor(self, user: User) -> bool:
        return any(d.confirmed for d in user.totpdevice_set.all())


admin.site.unregister(Group)


@admin.register(Group)
class HygieGroupAdmin(AuditedAdmin, GroupAdmin):
    pass


# Removing a lost authenticator (so its owner enrols again) is a change the trail must show.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class HygieTOTPDeviceAdmin(AuditedAdmin, TOTPDeviceAdmin):
    pass
