"""Workspaces in the admin: read only. They change with their file (`lifecycle`), their
extractions and jobs through the workers. A job's output is the members' alone (it may show rows
of the extract): the admin never shows it."""

from __future__ import annotations

from django.contrib import admin

from hygie.web.audit.admin import ReadOnlyAdmin
from hygie.web.workspaces.models import Extraction, Run, Workspace


class ExtractionInline(admin.TabularInline):
    model = Extraction
    fields = ("number", "reason", "state", "attempts", "requested", "started", "finished",
              "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Workspace)
class WorkspaceAdmin(ReadOnlyAdmin):
    list_display = ("application", "state", "current_extract", "opened", "closed",
                    "delete_after")
    list_filter = ("state",)
    search_fields = ("application__title", "folder")
    list_select_related = ("application",)
    inlines = [ExtractionInline]


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "workspace", "script", "state", "requested_by", "requested", "finished")
    list_filter = ("state",)
    list_select_related = ("workspace__application", "requested_by")
    fields = ("workspace", "script", "state", "requested_by", "requested", "started", "finished",
              "returncode", "error")  # never `log`
