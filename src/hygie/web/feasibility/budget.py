"""Each applicant's budget of feasibility counts, against averaging attacks.

A released count is perturbed by the cell key: the same people always get the same noise, but two
overlapping cohorts get independent noises, so the mean difference of many pairs of cohorts that
differ by one hidden group estimates that group (224 pairs estimated 5 people as 3.7 +- 0.6). What
bounds that mean is the number of counts one person can ask for. Three rules, each configurable
(settings `HYGIE_COUNT_BUDGET_DAY`, `HYGIE_COUNT_BUDGET_TOTAL`, `HYGIE_COUNT_VARIANTS`):

- at most so many counts in any 24 hours, and so many in all (every count asked for is charged,
  whether or not it then succeeds: the applicant chose the question);
- at most so many distinct variants of one *shape*: a definition with its codes, code-list names,
  name and title taken out. The averaging attack is one shape asked with many code lists; a
  researcher refining a list of codes needs a handful.

What this does not do (docs/statistical-secrecy.md, "Budgets"): one person with several accounts
has several budgets, and varying the shape (a window of 365 then 366 days) evades the variant
rule; the total budget bounds what one account can learn.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from hygie.cohorts.model import Cohort
from hygie.web.feasibility.models import CountCharge

DAY = timedelta(hours=24)
REFUSALS = ("budget_day", "budget_total", "variants")  # the codes `take` gives


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def fingerprints(cohort: Cohort) -> tuple[str, str]:
    """(shape, variant) of a definition: hashes of its canonical form without and with codes.

    Names and free text are left out of both, and code lists are renamed by their first use,
    so that renaming `d_17` to `d_18` changes neither.
    """
    data = cohort.model_dump(mode="json", by_alias=True, exclude_none=True,
                             exclude={"name", "title", "description"})
    lists = data.pop("codelists")
    order: dict[str, str] = {}

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: rename(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        if isinstance(value, str) and value in lists:
            return order.setdefault(value, f"#{len(order)}")
        return value

    data = rename(data)
    shape = {**data, "codelists": {order[n]: lists[n]["system"] for n in order}}
    variant = {**shape, "codes": {order[n]: sorted(map(str, lists[n]["codes"])) for n in order}}
    return _digest(shape), _digest(variant)


@dataclass(frozen=True)
class Standing:
    """Where an applicant stands: counts used and allowed, today (24 hours) and in all."""

    used_today: int
    per_day: int
    used_total: int
    total: int

    @property
    def left(self) -> int:
        return max(0, min(self.per_day - self.used_today, self.total - self.used_total))


def standing(user: Any) -> Standing:
    charges = CountCharge.objects.filter(owner_id=user.pk)
    return Standing(used_today=charges.filter(created__gte=timezone.now() - DAY).count(),
                    per_day=settings.HYGIE_COUNT_BUDGET_DAY,
                    used_total=charges.count(), total=settings.HYGIE_COUNT_BUDGET_TOTAL)


def take(user: Any, cohort: Cohort, saved: Any) -> str | None:
    """Charge a count of `cohort` (the definition of `saved`) to the user's budget, or say why
    it would pass the budget ("budget_day", "budget_total", "variants") and charge nothing.
    Callers hold a lock on the user's row, so two requests cannot both take the last count."""
    now = standing(user)
    if now.used_total >= now.total:
        return "budget_total"
    if now.used_today >= now.per_day:
        return "budget_day"
    shape, variant = fingerprints(cohort)
    seen = set(CountCharge.objects.filter(owner_id=user.pk, shape=shape)
               .values_list("variant", flat=True))
    if variant not in seen and len(seen) >= settings.HYGIE_COUNT_VARIANTS:
        return "variants"
    CountCharge.objects.create(owner=user, cohort=saved, dataset_id=saved.dataset_id,
                               shape=shape, variant=variant)
    return None
