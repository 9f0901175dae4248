"""The airlock in the admin: read only. Requests change through their steps (`flow`), each
checked and audited; the files' contents are served by the pages, never by the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from hygie.web.airlock.models import ReleaseFile, ReleaseRequest, Review
from hygie.web.audit.admin import ReadOnlyAdmin


class FileInline(admin.TabularInline):
    model = ReleaseFile
    fields = ("round", "name", "size", "sha256", "blocking", "result")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ReviewInline(admin.TabularInline):
    model = Review
    fields = ("round", "reviewer", "decision", "comment", "at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ReleaseRequest)
class ReleaseRequestAdmin(ReadOnlyAdmin):
    list_display = ("pk", "title", "workspace", "author", "status", "round", "created",
                    "decided")
    list_filter = ("status",)
    search_fields = ("title", "workspace__application__title")
    list_select_related = ("workspace__application", "author")
    fields = ("workspace", "author", "title", "purpose", "status", "round", "created",
              "submitted", "decided")
    inlines = [FileInline, ReviewInline]
