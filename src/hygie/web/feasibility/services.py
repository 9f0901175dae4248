"""What the pages and the API do to saved cohorts and enquiries: each change in one transaction,
with its audit record.

Callers check access first (`feasibility.access`); these functions trust the objects they get.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from hygie.cohorts.model import Cohort
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.catalogue.models import Dataset
from hygie.web.feasibility import budget, definitions
from hygie.web.feasibility.access import is_holder_side
from hygie.web.feasibility.models import CountState, Enquiry, Message, SavedCohort
from hygie.web.notify import catalogue_team, display_name, holder_editors, notify

# A count queued or running for longer than this is taken as lost (a worker stopped mid-way):
# asking again starts a new one.
STALE_COUNT = timedelta(minutes=30)


def create_cohort(owner: Any, dataset: Dataset, name: str, definition: str, *,
                  request: Any = None, via: str = "") -> SavedCohort:
    """A new saved cohort; `DefinitionError` when the definition is not valid."""
    definitions.load(definition)
    with transaction.atomic():
        cohort = SavedCohort.objects.create(owner=owner, dataset=dataset, name=name,
                                            definition=definition)
        record(Action.COHORT_CREATED, cohort, actor=owner, request=request,
               dataset=dataset.slug, via=via)
    return cohort


def _forget_counts(cohort: SavedCohort) -> None:
    cohort.counts, cohort.counted, cohort.counted_version = [], None, None
    cohort.count_state, cohort.count_error, cohort.count_task = CountState.NONE, {}, ""


def update_cohort(cohort: SavedCohort, *, name: str, dataset: Dataset, definition: str,
                  request: Any = None) -> SavedCohort:
    """Change a cohort. A new definition or dataset drops the counts (they described the old
    one), and a count under way for the old one will not be stored."""
    definitions.load(definition)
    changed = [f for f, new in (("name", name), ("dataset", dataset), ("definition", definition))
               if getattr(cohort, f) != new]
    if not changed:
        return cohort
    with transaction.atomic():
        cohort.name, cohort.dataset, cohort.definition = name, dataset, definition
        if "definition" in changed or "dataset" in changed:
            _forget_counts(cohort)
        cohort.save()
        record(Action.COHORT_UPDATED, cohort, actor=cohort.owner, request=request,
               changed=changed, dataset=dataset.slug)
    return cohort


def delete_cohort(cohort: SavedCohort, *, request: Any = None) -> None:
    with transaction.atomic():
        record(Action.COHORT_DELETED, cohort, actor=cohort.owner, request=request,
               dataset=cohort.dataset.slug)
        cohort.delete()


def _refusal(cohort: SavedCohort) -> tuple[dict[str, Any], Cohort | None, Any]:
    """Why a count of `cohort` cannot run ({"code": ..., "detail": ...}, or {}), its definition
    loaded and the version it would count."""
    from hygie.cohorts.model import DefinitionError
    from hygie.pseudo.keys import SecretError, load_secret

    version = cohort.dataset.published_version()
    try:
        loaded = definitions.load(cohort.definition)
    except DefinitionError as exc:  # saved under other limits, say
        return {"code": "definition", "detail": "; ".join(
            f"{place}: {message}" for place, message in exc.problems),
            "problems": [list(p) for p in exc.problems]}, None, version
    if version is None:
        return {"code": "no_published_version"}, loaded, version
    if not version.lake_path:
        return {"code": "no_lake"}, loaded, version
    try:
        load_secret()
    except SecretError:
        return {"code": "no_secret"}, loaded, version
    return {}, loaded, version


def request_count(cohort: SavedCohort, *, request: Any = None) -> SavedCohort:
    """Queue the feasibility count of a cohort (a background job on the "feasibility" queue).

    What can be known now is checked now (the definition under today's limits, a published
    version with data, the secret, the applicant's budget of counts), so that the applicant reads
    the reason at once; the state and any error are stored on the cohort. A count that starts is
    charged to the budget.
    """
    from hygie.web.feasibility.tasks import count_cohort

    with transaction.atomic():
        # The owner's row first: two requests at once must not both take the last count left.
        owner = type(cohort.owner).objects.select_for_update().get(pk=cohort.owner_id)
        cohort = SavedCohort.objects.select_for_update().select_related("dataset").get(
            pk=cohort.pk)
        if cohort.counting and cohort.updated > timezone.now() - STALE_COUNT:
            return cohort  # already under way: one job is enough
        error, loaded, version = _refusal(cohort)
        if not error and loaded is not None:
            refused = budget.take(owner, loaded, cohort)
            error = {"code": refused} if refused else {}
        if error:
            cohort.count_state, cohort.count_error, cohort.count_task = (
                CountState.FAILED, error, "")
            cohort.save(update_fields=["count_state", "count_error", "count_task", "updated"])
            record(Action.COUNT_REFUSED, cohort, actor=owner, request=request,
                   reason=error["code"])
            return cohort
        job = count_cohort.enqueue(cohort.pk)
        cohort.count_state, cohort.count_error, cohort.count_task = (
            CountState.QUEUED, {}, str(job.id))
        cohort.save(update_fields=["count_state", "count_error", "count_task", "updated"])
        record(Action.COUNT_REQUESTED, cohort, actor=owner, request=request,
               job=str(job.id), version=version.number)
    return cohort


# --- enquiries ------------------------------------------------------------------------------------


def open_enquiry(author: Any, dataset: Dataset, subject: str, body: str, *,
                 request: Any = None) -> Enquiry:
    with transaction.atomic():
        enquiry = Enquiry.objects.create(dataset=dataset, author=author, subject=subject)
        Message.objects.create(enquiry=enquiry, author=author, body=body)
        record(Action.ENQUIRY_OPENED, enquiry, actor=author, request=request,
               dataset=dataset.slug)
        notify(_holder_side(enquiry), "enquiry_opened",
               {"enquiry": enquiry, "writer": display_name(author)}, actor=author)
    return enquiry


def _holder_side(enquiry: Enquiry) -> Any:
    """Who is told of the applicant's messages: the holder's editors, or the catalogue team when
    the holder has none yet."""
    editors = holder_editors(enquiry.dataset.holder_id)
    return editors if editors.exists() else catalogue_team()


def reply(enquiry: Enquiry, author: Any, body: str, *, close: bool = False,
          request: Any = None) -> Message:
    """Add a reply. The state follows who wrote last: answered after the holder's side, open
    again after the applicant; closed when the writer closes it."""
    if close:
        state = Enquiry.State.CLOSED
    elif is_holder_side(author, enquiry):
        state = Enquiry.State.ANSWERED
    else:
        state = Enquiry.State.OPEN
    with transaction.atomic():
        message = Message.objects.create(enquiry=enquiry, author=author, body=body)
        before = enquiry.state
        enquiry.state = state
        enquiry.save(update_fields=["state"])
        record(Action.ENQUIRY_REPLIED, enquiry, actor=author, request=request,
               message=message.pk, state_before=before, state=state)
        # Each side hears of the other's messages.
        people = ([enquiry.author] if is_holder_side(author, enquiry) else _holder_side(enquiry))
        notify(people, "enquiry_replied", {"enquiry": enquiry, "writer": display_name(author),
                                           "closed": close}, actor=author)
    return message
