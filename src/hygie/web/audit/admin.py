"""The audit trail in the admin (read only), and `AuditedAdmin`: admin changes land in the trail.

The admin writes its own log (LogEntry) too; the audit trail is the one the DPO reads, so every
add, change and delete made through the admin is recorded there as well, in the admin's
transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from hygie.web.audit.actions import Action
from hygie.web.audit.models import AuditCheckpoint, AuditEvent
from hygie.web.audit.record import record


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record(Action.ADMIN_CHANGE if change else Action.ADMIN_ADD, obj, request=request,
               fields=sorted(form.changed_data))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record(Action.ADMIN_DELETE, obj, request=request)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        for obj in queryset:
            record(Action.ADMIN_DELETE, obj, request=request)
        super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through their own workflow (or never): the admin only shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor", "action", "target_type", "target_repr", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("action", "target_repr", "target_id", "actor__username")
    list_select_related = ("actor",)
    date_hierarchy = "at"


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    """Where the chain starts again after each pruning (`hygie audit prune`)."""

    list_display = ("upto_seq", "removed", "before", "at", "by", "hash")
