"""A file's timeline: every step of its review (who, when, what, the stage before and after, the
step's data) and the edits of its content, from the audit trail, in the order they happened.

Only the file's own changes come from the audit trail: internal notes, downloads and the rest stay
in the trail, out of what the applicant reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from hygie.web.audit.actions import Action
from hygie.web.audit.models import AuditEvent
from hygie.web.guichet import wording
from hygie.web.guichet.labels import ROLES, stage_label
from hygie.web.guichet.models import Application, AttachmentKind
from hygie.web.guichet.workflow import procedure_of
from hygie.web.notify import display_name

HIDDEN_DATA = frozenset({"path", "authorised_scope"})  # in the header; the scope in its section
EDITS = (Action.GUICHET_CREATED, Action.GUICHET_EDITED, Action.GUICHET_ATTACHED,
         Action.GUICHET_DETACHED)


@dataclass
class Entry:
    at: datetime
    who: str
    role: str
    what: str
    before: str = ""  # stage labels, for a step that moved the file
    after: str = ""
    data: list[tuple[str, str]] = field(default_factory=list)
    step: bool = True


def step_description(application: Application, kind: str) -> str:
    """A step's description in the reader's language (the desk's wording of its `what`)."""
    step = procedure_of(application).steps.get(kind)
    return wording.what(step.what) if step is not None else kind


def _value(value: Any) -> str:
    """A recorded value as people read it: a date in the reader's format, a choice's label."""
    if isinstance(value, str):
        try:
            return date_format(date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return wording.choice(value)
    return str(value)


def _field_label(name: str) -> str:
    if name == "team":
        return str(_("team"))
    try:
        return str(Application._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _edit(event: AuditEvent) -> Entry:
    who = display_name(event.actor) if event.actor is not None else str(ROLES["calendar"])
    detail = event.detail or {}
    if event.action == Action.GUICHET_CREATED:
        what = str(_("Created the file"))
    elif event.action == Action.GUICHET_EDITED:
        fields = ", ".join(_field_label(str(name)) for name in detail.get("fields", []))
        what = str(_("Edited: %(fields)s")) % {"fields": fields}
    else:
        kind = str(detail.get("kind", ""))
        label = str(AttachmentKind(kind).label) if kind in AttachmentKind.values else kind
        what = str(_("Attached: %(document)s") if event.action == Action.GUICHET_ATTACHED
                   else _("Removed: %(document)s")) % {"document": label}
        return Entry(event.at, who, str(ROLES["applicant"]), what,
                     data=[(str(_("File name")), str(detail.get("name", "")))], step=False)
    return Entry(event.at, who, str(ROLES["applicant"]), what, step=False)


def timeline(application: Application) -> list[Entry]:
    """The file's history, oldest first."""
    entries = []
    for event in application.events.select_related("actor").order_by("seq"):
        who = (display_name(event.actor) if event.actor is not None
               else str(ROLES["calendar"]))
        data = [(wording.field(key), _value(value)) for key, value in event.data.items()
                if key not in HIDDEN_DATA and value not in (None, "")]
        moved = event.stage_before != event.stage_after
        entries.append(Entry(
            event.at, who, str(ROLES.get(event.role, event.role)),
            step_description(application, event.kind),
            before=stage_label(event.stage_before) if moved else "",
            after=stage_label(event.stage_after) if moved else "", data=data))
    edits = AuditEvent.objects.filter(
        target_type=Application._meta.label, target_id=str(application.pk),
        action__in=[a.value for a in EDITS]).select_related("actor")
    entries += [_edit(e) for e in edits]
    return sorted(entries, key=lambda e: e.at)
