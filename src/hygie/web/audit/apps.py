from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hygie.web.audit"
    label = "audit"
    verbose_name = "Audit trail"
