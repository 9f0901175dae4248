"""Searching and filtering the register, the same for the pages, the CSV export and the API.

Words are looked for in the title, acronym, purpose and data controller (the ORM's `icontains`,
so user input never reaches SQL as text); a file's reference (HYG-2026-00012) finds that file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from hygie.access import procedures
from hygie.web.guichet.models import Application
from hygie.web.register import labels
from hygie.web.register.entries import public_datasets

REFERENCE = re.compile(r"^\s*HYG-\d{4}-(\d{1,9})\s*$", re.IGNORECASE)
MAX_WORDS = 200


@dataclass(frozen=True)
class Criteria:
    q: str = ""
    procedure: str = ""
    stage: str = ""
    year: int | None = None
    dataset: str = ""  # a dataset's slug

    @property
    def active(self) -> bool:
        return bool(self.q or self.procedure or self.stage or self.year or self.dataset)


def search(files: QuerySet[Application], criteria: Criteria) -> QuerySet[Application]:
    q = criteria.q.strip()
    if q:
        words = Q()
        for word in q.split()[:10]:  # every word somewhere, in any field
            words &= (Q(title__icontains=word) | Q(acronym__icontains=word)
                      | Q(purpose__icontains=word) | Q(controller__icontains=word))
        reference = REFERENCE.match(q)
        if reference:
            words |= Q(pk=int(reference.group(1)))
        files = files.filter(words)
    if criteria.procedure:
        files = files.filter(procedure=criteria.procedure)
    if criteria.stage:
        files = files.filter(stage=criteria.stage)
    if criteria.year:
        files = files.filter(received__year=criteria.year)  # in France's time (TIME_ZONE)
    if criteria.dataset:
        files = files.filter(datasets__slug=criteria.dataset).distinct()
    return files


def stages() -> list[str]:
    """The stages a public file may be in, in the procedures' order, each once."""
    found: dict[str, None] = {}
    for proc in procedures().values():
        for name in proc.stages:
            if name != proc.start:
                found.setdefault(name)
    return list(found)


class RegisterFilter(forms.Form):
    q = forms.CharField(label=_("Words or reference"), max_length=MAX_WORDS, required=False,
                        help_text=_("In the title, purpose or data controller; or a reference "
                                    "such as HYG-2026-00012."))
    procedure = forms.ChoiceField(label=_("Procedure"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    year = forms.TypedChoiceField(label=_("Year received"), required=False, coerce=int,
                                  empty_value=None)
    dataset = forms.ChoiceField(label=_("Dataset"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        self.fields["procedure"].choices = every + [(name, labels.procedure(name))
                                                    for name in procedures()]
        self.fields["stage"].choices = every + [(s, labels.stage(s)) for s in stages()]
        received = Application.objects.filter(received__isnull=False)
        years = sorted({d.year for d in received.datetimes("received", "year")}, reverse=True)
        self.fields["year"].choices = every + [(str(y), str(y)) for y in years]
        used = public_datasets().filter(applications__received__isnull=False).distinct()
        self.fields["dataset"].choices = every + [(d.slug, d.title) for d in used]

    def criteria(self) -> Criteria | None:
        """The criteria asked for; None when the form is invalid."""
        if not self.is_bound:
            return Criteria()
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return Criteria(q=data["q"], procedure=data["procedure"], stage=data["stage"],
                        year=data["year"], dataset=data["dataset"])
