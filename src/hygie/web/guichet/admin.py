"""The guichet in the admin: read only. Files change through their workflow (`workflow.act`),
sessions through the desk, so that every change is a checked step with its audit entry."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from hygie.web.audit.admin import ReadOnlyAdmin
from hygie.web.guichet.models import Application, ApplicationEvent, Session


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    fields = ("seq", "kind", "at", "role", "actor", "stage_before", "stage_after", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "procedure", "stage", "deadline", "received", "applicant")
    list_filter = ("procedure", "stage")
    search_fields = ("title", "controller", "applicant__username")
    list_select_related = ("applicant",)
    inlines = [EventInline]


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ("date", "title")
