from django.apps import AppConfig


class DcatConfig(AppConfig):
    name = "hygie.web.dcat"
    label = "dcat"
    verbose_name = "DCAT-AP"
