from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "hygie.web.catalogue"
    label = "catalogue"
    verbose_name = "Catalogue"
