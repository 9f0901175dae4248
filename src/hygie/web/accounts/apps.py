from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "hygie.web.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib import admin
        from dsfr.models import DsfrConfig

        from hygie.web.accounts import signals  # noqa: F401  (connects the audit receivers)

        # The look is set in the environment (hygie.web.branding), not in django-dsfr's own
        # database record: its admin page would be a second place that changes nothing.
        if admin.site.is_registered(DsfrConfig):
            admin.site.unregister(DsfrConfig)
