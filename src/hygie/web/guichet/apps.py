from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuichetConfig(AppConfig):
    name = "hygie.web.guichet"
    label = "guichet"
    verbose_name = _("Access applications")
