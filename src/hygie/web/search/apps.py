from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import pgettext_lazy


class SearchConfig(AppConfig):
    name = "hygie.web.search"
    label = "search"
    verbose_name = pgettext_lazy("administration section", "Search")

    def ready(self) -> None:
        from hygie.web.catalogue.models import Code, Dataset, Nomenclature, Table, Variable
        from hygie.web.search import index

        # A database whose catalogue was filled before this app existed gets its index here.
        post_migrate.connect(index.index_if_missing, sender=self)
        # Objects saved one by one (editing pages, admin) keep their rows in step.
        for model in (Dataset, Table, Variable, Nomenclature, Code):
            post_save.connect(index.object_saved, sender=model, dispatch_uid=f"search-{model}")
        post_delete.connect(index.variable_deleted, sender=Variable, dispatch_uid="search-var")
