from django.apps import AppConfig


class FeasibilityConfig(AppConfig):
    name = "hygie.web.feasibility"
    label = "feasibility"
    verbose_name = "Feasibility"
