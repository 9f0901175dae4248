"""Who may see and edit what, object by object.

- Anyone (signed in or not) reads published versions.
- A data holder's editors, and the catalogue team, also read that holder's drafts and versions in
  review, and edit them. Editors of one holder have no rights on another holder's entries.

Everything attached to a version (tables, variables, keys, statistics, code lists) is seen exactly
when the version is: `visible_versions` is the one rule, and every page, API, search and export
reaches a version's objects through it. Code lists are stored per dataset but tied to the versions
that carry them (`visible_nomenclatures`), so a list that came with a draft is not public because
an older version of the dataset is.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from hygie.web.catalogue.models import Dataset, DatasetVersion, Nomenclature, Status


def can_edit(user: Any, dataset: Dataset) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_catalogue_team or user.memberships.filter(holder_id=dataset.holder_id).exists()


# Once published, a version stays readable when a newer one replaces it (archived): the changes
# page and citations link to it.
RELEASED = (Status.PUBLISHED, Status.ARCHIVED)


def visible_versions(user: Any) -> QuerySet[DatasetVersion]:
    versions = DatasetVersion.objects.select_related("dataset", "dataset__holder")
    if not getattr(user, "is_authenticated", False):
        return versions.filter(status__in=RELEASED)
    if user.is_catalogue_team:
        return versions
    holders = user.memberships.values("holder_id")
    return versions.filter(Q(status__in=RELEASED) | Q(dataset__holder_id__in=holders))


def _preferred(versions: QuerySet[DatasetVersion]) -> DatasetVersion | None:
    """The latest published version, else the latest one."""
    return (versions.filter(status=Status.PUBLISHED).order_by("-number").first()
            or versions.order_by("-number").first())


def get_version(user: Any, slug: str, number: int | None = None) -> DatasetVersion:
    """The version a user asked for (the latest they may see when no number): 404 otherwise,
    so that drafts do not even reveal their existence."""
    versions = visible_versions(user).filter(dataset__slug=slug)
    version = _preferred(versions) if number is None else versions.filter(number=number).first()
    if version is None:
        raise Http404("no such dataset version")
    return version


def visible_nomenclatures(user: Any, dataset: Dataset | None = None) -> QuerySet[Nomenclature]:
    """The code lists a user may see: those carried by a version they may see."""
    # A subquery rather than a join: no duplicate rows to count codes over.
    carried = Nomenclature.versions.through.objects.filter(
        datasetversion__in=visible_versions(user).values("pk")).values("nomenclature_id")
    lists = Nomenclature.objects.filter(pk__in=carried)
    return lists if dataset is None else lists.filter(dataset=dataset)


def get_nomenclature(user: Any, slug: str, name: str) -> tuple[Nomenclature, DatasetVersion]:
    """A dataset's code list and the version to show it in (the latest published version carrying
    it, else the latest the user may see): 404 when no version the user may see carries it."""
    version = _preferred(visible_versions(user).filter(dataset__slug=slug,
                                                       nomenclatures__name=name))
    if version is None:
        raise Http404("no such code list")
    return version.nomenclatures.get(name=name), version
