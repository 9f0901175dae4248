"""The core's `Authorised` from the scope a decision froze (`guichet.scope.snapshot`).

Everything is checked here, before any job reads a byte, and refused with a sentence the
people of the file can act on: no cohort, no period, variables that are not `TABLE.COLUMN`, a
dataset with no published data in the lake.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hygie.web.catalogue.models import Dataset, DatasetVersion
from hygie.web.guichet.models import Application
from hygie.workspace.provision import Authorised


def authorised_scope(application: Application, seq: int) -> tuple[Authorised, DatasetVersion]:
    from hygie.web.workspaces.tasks import ProvisioningError

    event = application.events.filter(seq=seq).first()
    scope: dict[str, Any] | None = (event.data or {}).get("authorised_scope") if event else None
    if not scope:
        raise ProvisioningError("the decision holds no authorised scope")
    cohort = scope.get("cohort")
    if not cohort:
        raise ProvisioningError("the authorised scope names no cohort: the file must name its "
                                "saved cohort before the decision")
    start, end = scope.get("period") or (None, None)
    if not start or not end:
        raise ProvisioningError("the authorised scope has no study period")
    tables: dict[str, list[str]] = {}
    for variable in scope.get("variables") or []:
        table, dot, column = str(variable).partition(".")
        if not dot or not table or not column:
            raise ProvisioningError(f"{variable!r} is not TABLE.COLUMN")
        tables.setdefault(table, []).append(column)
    if not tables:
        raise ProvisioningError("the authorised scope lists no variables")
    version = None
    for slug in scope.get("datasets") or []:
        dataset = Dataset.objects.filter(slug=slug).first()
        candidate = dataset.published_version() if dataset else None
        if candidate is not None and candidate.lake_path:
            version = candidate
            break
    if version is None:
        raise ProvisioningError("none of the authorised datasets has published data in the lake")
    return Authorised(
        project=application.reference, cohort=cohort["definition"], tables=tables,
        start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end),
        authorised_on=event.at.date(), library=dict(cohort.get("library") or {})), version
