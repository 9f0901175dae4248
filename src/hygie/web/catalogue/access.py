"""Who may see and edit what, object by object.

- Anyone (signed in or not) reads published versions.
- A data holder's editors, and the catalogue team, also read that holder's drafts and versions in
  review, and edit them. Editors of one holder have no rights on another holder's entries.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from hygie.web.catalogue.models import Dataset, DatasetVersion, Status


def can_edit(user: Any, dataset: Dataset) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_catalogue_team or user.memberships.filter(holder_id=dataset.holder_id).exists()


def visible_versions(user: Any) -> QuerySet[DatasetVersion]:
    versions = DatasetVersion.objects.select_related("dataset", "dataset__holder")
    if not getattr(user, "is_authenticated", False):
        return versions.filter(status=Status.PUBLISHED)
    if user.is_catalogue_team:
        return versions
    holders = user.memberships.values("holder_id")
    return versions.filter(Q(status=Status.PUBLISHED) | Q(dataset__holder_id__in=holders))


def get_version(user: Any, slug: str, number: int | None = None) -> DatasetVersion:
    """The version a user asked for (the latest they may see when no number): 404 otherwise,
    so that drafts do not even reveal their existence."""
    versions = visible_versions(user).filter(dataset__slug=slug)
    if number is None:
        version = (versions.filter(status=Status.PUBLISHED).order_by("-number").first()
                   or versions.order_by("-number").first())
    else:
        version = versions.filter(number=number).first()
    if version is None:
        raise Http404("no such dataset version")
    return version
