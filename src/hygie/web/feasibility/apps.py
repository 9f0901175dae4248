from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeasibilityConfig(AppConfig):
    name = "hygie.web.feasibility"
    label = "feasibility"
    verbose_name = _("Feasibility")
