"""Who sees what in feasibility, object by object (404 for everyone else, so that nothing reveals
whether a cohort or an enquiry exists).

- A saved cohort: its owner only.
- An enquiry: its author, the editors of the dataset's holder (`catalogue.Membership`) and the
  catalogue team.
- Cohorts and enquiries are made on datasets the user may see in the catalogue.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from hygie.web.catalogue.access import visible_versions
from hygie.web.catalogue.models import Dataset, Status
from hygie.web.feasibility.models import Enquiry, SavedCohort


def get_cohort(user: Any, pk: int) -> SavedCohort:
    cohort = (SavedCohort.objects.select_related("dataset", "counted_version")
              .filter(pk=pk, owner_id=user.pk).first())
    if cohort is None:
        raise Http404("no such cohort")
    return cohort


def countable_datasets(user: Any) -> QuerySet[Dataset]:
    """Datasets with a published version the user may see: counts run on the published data."""
    ids = visible_versions(user).filter(status=Status.PUBLISHED).values("dataset_id")
    return Dataset.objects.filter(pk__in=ids).order_by("title_fr")


def visible_datasets(user: Any) -> QuerySet[Dataset]:
    return Dataset.objects.filter(pk__in=visible_versions(user).values("dataset_id"))


def is_holder_side(user: Any, enquiry: Enquiry) -> bool:
    """True for those who answer for the dataset: its holder's editors and the catalogue team."""
    return bool(user.is_catalogue_team or user.memberships.filter(
        holder_id=enquiry.dataset.holder_id).exists())


def visible_enquiries(user: Any) -> QuerySet[Enquiry]:
    enquiries = Enquiry.objects.select_related("dataset", "dataset__holder", "author")
    if not getattr(user, "is_authenticated", False):
        return enquiries.none()
    if user.is_catalogue_team:
        return enquiries
    holders = user.memberships.values("holder_id")
    return enquiries.filter(Q(author_id=user.pk) | Q(dataset__holder_id__in=holders))


def get_enquiry(user: Any, pk: int) -> Enquiry:
    enquiry = visible_enquiries(user).filter(pk=pk).first()
    if enquiry is None:
        raise Http404("no such enquiry")
    return enquiry
