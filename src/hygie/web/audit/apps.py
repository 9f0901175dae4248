from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "hygie.web.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from hygie.web.audit.retention import retention_days

        retention_days()  # a retention under a year stops start-up (ImproperlyConfigured)
