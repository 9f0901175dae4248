"""Objection requests in the admin, read only: they change through the DPO's screen alone."""

from __future__ import annotations

from django.contrib import admin

from hygie.web.audit.admin import ReadOnlyAdmin
from hygie.web.objections.models import ObjectionRequest


@admin.register(ObjectionRequest)
class ObjectionRequestAdmin(ReadOnlyAdmin):
    # No identity details, even while a request waits: those are read on the DPO's screen.
    list_display = ("receipt", "kind", "state", "received_at", "decided_at", "decided_by")
    list_filter = ("kind", "state")
    search_fields = ("receipt",)
    fields = ("receipt", "kind", "objection", "state", "received_at", "decided_at", "decided_by",
              "withdrawn_at", "reason", "reason_text", "erased_at")
    readonly_fields = fields
