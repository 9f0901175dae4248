"""What a decision authorises, frozen into its event: the file's structured scope at that moment.

The workspace is provisioned from this snapshot, never from the file's fields, which the
applicant may edit later (an amendment): the data follow the decision that allowed them. The
cohort's definition is copied with the definitions it names (`in_cohort`), so the snapshot alone
says who is in the extract.
"""

from __future__ import annotations

from typing import Any

from hygie.cohorts.model import DefinitionError
from hygie.web.guichet.models import Application

# The decisions that allow data, by procedure step.
AUTHORISING = frozenset({"cnil_authorisation", "amendment_authorised", "grant_permit"})


def snapshot(application: Application) -> dict[str, Any]:
    cohort = application.cohort
    return {
        "datasets": sorted(d.slug for d in application.datasets.all()),
        "variables": sorted(application.variables or []),
        "cohort": None if cohort is None else {
            "id": cohort.pk, "name": cohort.name, "definition": cohort.definition,
            "library": _library(cohort)},
        "program": application.program,
        "period": [application.period_start.isoformat() if application.period_start else None,
                   application.period_end.isoformat() if application.period_end else None],
        "linkage": application.linkage,
    }


def _library(cohort: Any) -> dict[str, str]:
    """The definitions the cohort names with `in_cohort`, by name, followed through: the
    owner's saved cohorts only, as counting reads them."""
    from hygie.web.feasibility import definitions
    from hygie.web.feasibility.models import SavedCohort

    by_name: dict[str, str] = {}
    for other in SavedCohort.objects.filter(owner=cohort.owner).exclude(pk=cohort.pk):
        try:
            by_name.setdefault(definitions.load(other.definition).name, other.definition)
        except DefinitionError:
            continue
    out: dict[str, str] = {}
    try:
        todo = [name for _, name in definitions.load(cohort.definition).references]
    except DefinitionError:
        return out
    while todo:
        name = todo.pop()
        if name in out or name not in by_name:
            continue
        out[name] = by_name[name]
        todo += [n for _, n in definitions.load(by_name[name]).references]
    return out
