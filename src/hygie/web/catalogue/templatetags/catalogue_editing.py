"""Template helpers of the editing partial: the catalogue team's last word on a draft."""

from __future__ import annotations

from django import template

from hygie.web.audit.models import AuditEvent
from hygie.web.catalogue.models import DatasetVersion

register = template.Library()


@register.simple_tag
def sent_back(version: DatasetVersion) -> AuditEvent | None:
    """The latest "sent back" event of a version (its comment says what should change)."""
    return (AuditEvent.objects.filter(action="catalogue.version_sent_back",
                                      target_type=DatasetVersion._meta.label,
                                      target_id=str(version.pk))
            .select_related("actor").order_by("-at", "-id").first())
