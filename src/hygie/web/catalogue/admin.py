"""The catalogue in the admin.

Data holders, their members and datasets' descriptive fields are managed here (every change goes
to the audit trail). A version's content and status change only through the editing workflow and
the importers, so the admin shows versions, tables, variables and code lists read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hygie.web.audit.admin import AuditedAdmin, ReadOnlyAdmin
from hygie.web.catalogue.models import (
    Code,
    DataHolder,
    Dataset,
    DatasetVersion,
    Membership,
    Nomenclature,
    Table,
    Variable,
)

# Addresses typed without a scheme are web sites on HTTPS (Django 6's default, already).
URLS_ON_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(DataHolder)
class DataHolderAdmin(AuditedAdmin):
    list_display = ("name", "slug", "email", "n_datasets")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (MembershipInline,)
    formfield_overrides = URLS_ON_HTTPS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(n_datasets=Count("datasets"))

    @admin.display(description=_("datasets"), ordering="n_datasets")
    def n_datasets(self, holder: Any) -> int:
        return int(holder.n_datasets)


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ("user", "holder", "role")
    list_filter = ("role", "holder")
    search_fields = ("user__username", "user__email", "holder__name")
    autocomplete_fields = ("user", "holder")
    list_select_related = ("user", "holder")


class VersionInline(admin.TabularInline):
    model = DatasetVersion
    fields = ("number", "label", "status", "published", "lake_path")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Dataset)
class DatasetAdmin(AuditedAdmin):
    list_display = ("title_fr", "slug", "holder", "created")
    list_filter = ("holder",)
    search_fields = ("title_fr", "title_en", "slug")
    autocomplete_fields = ("holder",)
    list_select_related = ("holder",)
    inlines = (VersionInline,)
    formfield_overrides = URLS_ON_HTTPS

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a dataset's history stays; archive its versions instead


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ReadOnlyAdmin):
    list_display = ("dataset", "number", "label", "status", "published", "n_tables")
    list_filter = ("status", "dataset__holder")
    search_fields = ("dataset__title_fr", "dataset__slug", "label")
    list_select_related = ("dataset",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(n_tables=Count("tables"))

    @admin.display(description=_("tables"), ordering="n_tables")
    def n_tables(self, version: Any) -> int:
        return int(version.n_tables)


@admin.register(Table)
class TableAdmin(ReadOnlyAdmin):
    list_display = ("name", "title_fr", "product", "version")
    list_filter = ("product",)
    search_fields = ("name", "title_fr", "title_en")
    list_select_related = ("version", "version__dataset")


@admin.register(Variable)
class VariableAdmin(ReadOnlyAdmin):
    list_display = ("name", "table", "type", "length", "nomenclature")
    list_filter = ("type",)
    search_fields = ("name", "description_fr", "table__name")
    list_select_related = ("table", "nomenclature")


@admin.register(Nomenclature)
class NomenclatureAdmin(ReadOnlyAdmin):
    list_display = ("name", "title", "source", "dataset")
    list_filter = ("source",)
    search_fields = ("name", "title")
    list_select_related = ("dataset",)


@admin.register(Code)
class CodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "label", "nomenclature")
    search_fields = ("code", "label", "nomenclature__name")
    list_select_related = ("nomenclature",)
    show_full_result_count = False  # 400,000 rows: no second COUNT(*) on searches
