"""The feasibility count as a background job (django-tasks, queue "feasibility").

The job owns the cohort's count state while it runs: queued -> running -> done or failed. A job
stores its result only if it is still the cohort's current job (`SavedCohort.count_task`): an edit
of the definition, or a newer request, makes an older job's result void.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, task

from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.feasibility.models import CountState, SavedCohort

if TYPE_CHECKING:
    from hygie.cohorts.model import Cohort

logger = logging.getLogger(__name__)


def _claim(cohort_id: int, job: str) -> SavedCohort | None:
    with transaction.atomic():
        cohort = (SavedCohort.objects.select_for_update().select_related("dataset", "owner")
                  .filter(pk=cohort_id, count_task=job).first())
        if cohort is None or cohort.count_state != CountState.QUEUED:
            return None
        cohort.count_state = CountState.RUNNING
        cohort.save(update_fields=["count_state", "updated"])
    return cohort


def _finish(cohort_id: int, job: str, *, marks: list[list[str]] | None = None,
            version: Any = None, error: dict[str, str] | None = None) -> bool:
    with transaction.atomic():
        cohort = (SavedCohort.objects.select_for_update().select_related("owner")
                  .filter(pk=cohort_id, count_task=job, count_state=CountState.RUNNING).first())
        if cohort is None:
            return False  # edited or asked again meanwhile: this result describes nothing now
        if error is None:
            cohort.counts, cohort.counted, cohort.counted_version = marks, timezone.now(), version
            cohort.count_state, cohort.count_error = CountState.DONE, {}
            record(Action.COHORT_COUNTED, cohort, actor=cohort.owner, job=job,
                   version=version.number, steps=len(marks or []))
        else:
            cohort.count_state, cohort.count_error = CountState.FAILED, error
            record(Action.COUNT_FAILED, cohort, actor=cohort.owner, job=job,
                   reason=error.get("code", ""))
        cohort.save()
    return True


def _library(cohort: SavedCohort) -> dict[str, Cohort]:
    """The owner's other saved cohorts, by the name of their definition: what `in_cohort` may
    name (never another user's cohorts)."""
    from hygie.cohorts.model import DefinitionError
    from hygie.web.feasibility import definitions

    out: dict[str, Cohort] = {}
    for other in SavedCohort.objects.filter(owner=cohort.owner).exclude(pk=cohort.pk):
        try:
            loaded = definitions.load(other.definition)
        except DefinitionError:
            continue  # a draft that does not hold: not a cohort to build on
        out.setdefault(loaded.name, loaded)
    return out


@task(queue_name="feasibility", takes_context=True)
def count_cohort(context: TaskContext, cohort_id: int) -> str:
    """Count a saved cohort on the data of its dataset's latest published version."""
    from hygie.cohorts.model import DefinitionError
    from hygie.pseudo.keys import SecretError, load_secret
    from hygie.web.feasibility import counting, definitions

    job = str(context.task_result.id)
    cohort = _claim(cohort_id, job)
    if cohort is None:
        return "void"
    version = cohort.dataset.published_version()
    try:
        if version is None:
            raise counting.CountError("no_published_version")
        try:
            secret = load_secret()
        except SecretError:
            raise counting.CountError("no_secret") from None
        try:
            definition = definitions.load(cohort.definition)
        except DefinitionError as exc:
            raise counting.CountError("definition", "; ".join(
                f"{place}: {message}" for place, message in exc.problems)) from None
        register = counting.ensure_register(settings.HYGIE_OPPOSITION_REGISTER)
        marks = counting.count_limited(definition, version.lake_path, secret, register,
                                       _library(cohort), counting.JobLimits(
                                           seconds=settings.HYGIE_COUNT_SECONDS,
                                           memory_mb=settings.HYGIE_COUNT_MEMORY_MB))
    except counting.CountError as exc:
        _finish(cohort_id, job, error={"code": exc.code, "detail": exc.detail})
        return exc.code
    except Exception:
        logger.exception("feasibility count of cohort %s failed", cohort_id)
        _finish(cohort_id, job, error={"code": "failed"})
        raise
    _finish(cohort_id, job, marks=marks, version=version)
    return "done"
