"""A dataset's history: what changed in a version since the previous release, and its audit
trail (who did what, when)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from hygie.catalogue.diff import diff
from hygie.catalogue.spec import RelationSpec
from hygie.web.audit.models import AuditEvent
from hygie.web.catalogue.access import RELEASED, get_version
from hygie.web.catalogue.editing_views import editable_dataset, refusals
from hygie.web.catalogue.importer import spec_of
from hygie.web.catalogue.models import Dataset, DatasetVersion, type_label

ATTRIBUTES = {
    "type": _("type"), "format": _("format"), "length": _("length"), "scale": _("decimals"),
    "description_fr": _("description (French)"), "description_en": _("description (English)"),
    "nomenclature": _("nomenclature"), "nomenclature_column": _("nomenclature column"),
    "required": _("required"), "date_created": _("created"), "date_deleted": _("deleted"),
    "title_fr": _("title (French)"), "title_en": _("title (English)"), "product": _("product"),
    "primary_key": _("primary key"), "relations": _("foreign keys"),
}
ACTIONS = {
    "catalogue.dataset_created": _("created the dataset"),
    "catalogue.dataset_edited": _("edited the dataset's details"),
    "catalogue.version_imported": _("imported a version"),
    "catalogue.descriptions_edited": _("edited descriptions"),
    "catalogue.version_submitted": _("submitted for review"),
    "catalogue.version_published": _("published the version"),
    "catalogue.version_archived": _("archived the version"),
    "catalogue.version_sent_back": _("sent back to the editors"),
    "catalogue.lake_attached": _("attached lake data"),
    "catalogue.statistics_requested": _("asked for statistics"),
    "dcat.dataset_imported": _("imported from DCAT"),
    "dcat.dataset_updated": _("updated from DCAT"),
    "admin.add": _("added in the administration"),
    "admin.change": _("changed in the administration"),
}
# Released versions: what the public saw. A version is compared with the last one of them.


def previous_release(version: DatasetVersion) -> DatasetVersion | None:
    return (version.dataset.versions.filter(number__lt=version.number, status__in=RELEASED)
            .order_by("-number").first())


def _shown(value: Any) -> str:
    """A spec attribute as text: keys joined, foreign keys spelled out, nothing as a dash."""
    if value is None or value == "" or value == ():
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, tuple):
        return "; ".join(f"{', '.join(v.fields)} → {v.ref_table}({', '.join(v.ref_fields)})"
                         if isinstance(v, RelationSpec) else str(v) for v in value)
    return str(value)


def _label(name: str) -> str:
    """A spec attribute's or a dataset field's name, for people."""
    if name in ATTRIBUTES:
        return str(ATTRIBUTES[name])
    try:
        return str(Dataset._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _rows(attributes: dict[str, tuple[object, object]]) -> list[tuple[str, str, str]]:
    def shown(name: str, value: object) -> str:  # a type as people read it ("texte")
        return _shown(type_label(str(value)) if name == "type" and value else value)

    return [(_label(name), shown(name, before), shown(name, after))
            for name, (before, after) in attributes.items()]


def changes(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """What changed in a version since the previous release (everything, for a first one)."""
    version = get_version(request.user, slug, number)
    previous = previous_release(version)
    new = spec_of(version)
    if previous is None:
        found = None
        tables: list[dict[str, Any]] = []
    else:
        found = diff(spec_of(previous), new)
        tables = [{"name": t.name, "table": _rows(t.table_modified),
                   "added": t.variables_added, "removed": t.variables_removed,
                   "modified": [(name, _rows(attrs)) for name, attrs
                                in t.variables_modified.items()]}
                  for t in found.tables_modified]
    return render(request, "catalogue/changes.html", {
        "dataset": version.dataset, "version": version, "previous": previous,
        "changes": found, "summary": found.summary() if found else None,
        "modified": tables, "all_tables": [t.name for t in new.tables]})


@login_required
@refusals
def audit_trail(request: HttpRequest, slug: str) -> HttpResponse:
    """Every recorded action on the dataset and its versions, newest first (editors and the
    catalogue team only)."""
    dataset = editable_dataset(request.user, slug)
    version_ids = [str(pk) for pk in dataset.versions.values_list("pk", flat=True)]
    events = (AuditEvent.objects.filter(
        Q(target_type=dataset._meta.label, target_id=str(dataset.pk))
        | Q(target_type=DatasetVersion._meta.label, target_id__in=version_ids))
        .select_related("actor"))
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    rows = [(e, ACTIONS.get(e.action, e.action), _details(e.detail)) for e in page]
    return render(request, "catalogue/audit_trail.html", {
        "dataset": dataset, "page": page, "rows": rows})


def _details(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """An event's detail as (key, text) pairs; changes as "before → after"."""
    out = []
    for key, value in detail.items():
        if key == "changed" and isinstance(value, dict):
            for name, change in value.items():
                if isinstance(change, list) and len(change) == 2:
                    out.append((_label(name),
                                f"{_shown(change[0])} → {_shown(change[1])}"))
                elif isinstance(change, dict):  # a variable's (or the table's) texts
                    for field, (before, after) in change.items():
                        where = f"{name}: " if name else ""
                        out.append((f"{where}{_label(field)}",
                                    f"{_shown(before)} → {_shown(after)}"))
        elif value not in (None, "", [], {}):
            out.append((key, _shown(value)))
    return out
