"""The publication workflow of a dataset version: draft -> review -> published (or back to draft).

Editors (`access.can_edit`) submit their drafts; the catalogue team publishes or sends back with a
comment. Publishing archives the version published before. Each step locks the version's row,
checks its status again (two clicks, two tabs), writes the audit record in the same transaction
and, once committed, asks the search index to refresh the version.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.catalogue.access import can_edit
from hygie.web.catalogue.models import Dataset, DatasetVersion, Status
from hygie.web.notify import catalogue_team, display_name, holder_editors, notify

log = logging.getLogger(__name__)


class WorkflowError(Exception):
    """A step that the version's current status does not allow."""


def _locked(version: DatasetVersion, expected: str) -> DatasetVersion:
    # The dataset row first, as imports do: one writer per dataset at a time.
    Dataset.objects.select_for_update().filter(pk=version.dataset_id).first()
    locked = DatasetVersion.objects.select_for_update().select_related("dataset").get(
        pk=version.pk)
    if locked.status != expected:
        raise WorkflowError(_("Version %(number)s is %(status)s, not %(expected)s.") % {
            "number": locked.number, "status": locked.get_status_display(),
            "expected": Status(expected).label})
    return locked


def submit(version: DatasetVersion, user: Any, *, request: HttpRequest | None = None
           ) -> DatasetVersion:
    """An editor sends their draft to the catalogue team."""
    if not can_edit(user, version.dataset):
        raise PermissionDenied(_("Only the dataset's editors can submit it."))
    with transaction.atomic():
        locked = _locked(version, str(Status.DRAFT))
        locked.status = Status.REVIEW
        locked.save(update_fields=["status"])
        record(Action.VERSION_SUBMITTED, locked, actor=user, request=request)
        notify(catalogue_team(), "version_submitted",
               {"version": locked, "writer": display_name(user)}, actor=user)
        _reindex_on_commit(locked)
    return locked


def publish(version: DatasetVersion, user: Any, *, request: HttpRequest | None = None
            ) -> DatasetVersion:
    """The catalogue team publishes a version in review."""
    if not getattr(user, "is_catalogue_team", False):
        raise PermissionDenied(_("Only the catalogue team can publish."))
    with transaction.atomic():
        locked = _locked(version, str(Status.REVIEW))
        published = mark_published(locked, user, request=request)
        notify(holder_editors(locked.dataset.holder_id), "version_published",
               {"version": published}, actor=user)
        return published


def mark_published(version: DatasetVersion, actor: Any, *, request: HttpRequest | None = None
                   ) -> DatasetVersion:
    """Publish `version` and archive the one published before (the caller holds the locks and
    has checked who may do it). A version older than the published one cannot replace it."""
    with transaction.atomic():
        current = version.dataset.versions.filter(status=Status.PUBLISHED).exclude(pk=version.pk)
        newer = current.filter(number__gt=version.number).order_by("-number").first()
        if newer is not None:
            raise WorkflowError(_("Version %(newer)s is already published: version %(number)s "
                                  "is older.") % {"newer": newer.number,
                                                  "number": version.number})
        archived = list(current.order_by("number"))
        current.update(status=Status.ARCHIVED)
        version.status = Status.PUBLISHED
        version.published = timezone.now()
        version.save(update_fields=["status", "published"])
        record(Action.VERSION_PUBLISHED, version, actor=actor, request=request,
               archived=[v.number for v in archived])
        for old in archived:
            old.status = Status.ARCHIVED
            record(Action.VERSION_ARCHIVED, old, actor=actor, request=request,
                   replaced_by=version.number)
            _reindex_on_commit(old)
        _reindex_on_commit(version)
    return version


def send_back(version: DatasetVersion, user: Any, comment: str, *,
              request: HttpRequest | None = None) -> DatasetVersion:
    """The catalogue team returns a version in review to its editors, saying why."""
    if not getattr(user, "is_catalogue_team", False):
        raise PermissionDenied(_("Only the catalogue team can send a version back."))
    if not comment.strip():
        raise WorkflowError(_("Say what should change."))
    with transaction.atomic():
        locked = _locked(version, str(Status.REVIEW))
        locked.status = Status.DRAFT
        locked.save(update_fields=["status"])
        record(Action.VERSION_SENT_BACK, locked, actor=user, request=request,
               comment=comment.strip())
        notify(holder_editors(locked.dataset.holder_id), "version_sent_back",
               {"version": locked}, actor=user)
        _reindex_on_commit(locked)
    return locked


def _reindex_on_commit(version: DatasetVersion) -> None:
    transaction.on_commit(lambda: reindex(version.pk))


def reindex(version_id: int) -> None:
    """Refresh the search index for a version when the search feature is installed. A failure
    there must not undo a committed step: it is logged, the index catches up at its next run."""
    try:
        from hygie.web.search.index import reindex_version
    except ImportError:
        return
    try:
        reindex_version(DatasetVersion.objects.get(pk=version_id))
    except Exception:
        log.exception("search reindex failed for dataset version %s", version_id)
