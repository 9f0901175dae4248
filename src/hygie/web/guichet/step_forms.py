"""The form of a step, built from what the procedure's description says it `needs`: no code per
step.

- `text`: a text area;
- a Choice: radio buttons, each value in its label (`wording.CHOICES`);
- `future_date`: a date input (the engine checks that it is after the day of the step);
- `holder` (a data holder's identifier): a list to choose from, never free text: the holders of
  the datasets in the file's scope when the secretariat consults one, the person's own consulted
  holders when a holder answers.

Every form carries the version of the file it was rendered with (`seen`, `Application.seq`): a
step posted on a file that changed since is refused (`workflow.Conflict`). A step that cannot be
undone (it closes the file, or drops an amendment, or suspends an authorisation) asks for a
confirmation box to be ticked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hygie.access import Role
from hygie.access.description import Choice, Procedure, Step
from hygie.web.catalogue.models import DataHolder
from hygie.web.guichet import wording
from hygie.web.guichet.models import Application
from hygie.web.guichet.workflow import FROM_THE_FILE  # what a step takes from the file itself

MAX_TEXT = 20_000  # characters of a reason or a scope: pages of text, not a document

# Steps that do not close the file but cannot be taken back from the step's form either.
GRAVE = frozenset({"withdraw_amendment", "suspend", "amendment_refused"})



def grave(proc: Procedure, kind: str) -> bool:
    """Whether the step asks for confirmation: it closes the file for good, or is in GRAVE."""
    step = proc.steps[kind]
    return kind in GRAVE or (step.to is not None and step.to in proc.final)


# --- the buttons of the file page -----------------------------------------------------------------


@dataclass(frozen=True)
class StepLink:
    kind: str
    label: str
    url: str
    grave: bool


@dataclass(frozen=True)
class StepGroup:
    role: str
    title: str
    steps: list[StepLink]


ROLE_ORDER = [Role.APPLICANT, Role.SECRETARIAT, Role.CESREES, Role.CNIL, Role.DATA_HOLDER]


def groups(proc: Procedure, application: Application, kinds: Sequence[str]) -> list[StepGroup]:
    """The steps `kinds` as buttons, grouped by the role they are taken as."""
    by_role: dict[Role, list[StepLink]] = {}
    for kind in kinds:
        step = proc.steps.get(kind)
        if step is None or step.role == Role.CALENDAR:
            continue
        url = reverse("guichet:step", args=[application.pk, kind])
        by_role.setdefault(step.role, []).append(
            StepLink(kind, wording.what(step.what), url, grave(proc, kind)))
    return [StepGroup(role.value, str(wording.AS_ROLE[role]), by_role[role])
            for role in ROLE_ORDER if role in by_role]


# --- the form -------------------------------------------------------------------------------------


def holder_choices(application: Application, step: Step, user: Any) -> list[tuple[str, str]]:
    """The data holders one may name in the step: the scope's, or one's own consulted ones."""
    if step.role == Role.DATA_HOLDER:
        consulted = application.events.filter(kind="consult_holder").values_list(
            "data__holder", flat=True)
        holders = DataHolder.objects.filter(memberships__user=user, slug__in=list(consulted))
    else:
        holders = DataHolder.objects.filter(datasets__applications=application)
    return [(h.slug, h.name) for h in holders.distinct().order_by("name")]


class StepForm(forms.Form):
    seen = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, proc: Procedure, kind: str, application: Application,
                 user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        step = proc.steps[kind]
        skip = FROM_THE_FILE.get(kind, frozenset())
        for key, need in step.needs.items():
            if key not in skip:
                self.fields[key] = self._field(kind, key, need, application, step, user)
        if grave(proc, kind):
            self.fields["confirm"] = forms.BooleanField(
                label=_("I confirm this step: it cannot be undone."), required=True)

    @staticmethod
    def _field(kind: str, key: str, need: Any, application: Application, step: Step,
               user: Any) -> forms.Field:
        label, hint = wording.field(key), wording.hint(kind, key)
        if key == "holder":
            return forms.ChoiceField(label=label, help_text=hint,
                                     choices=holder_choices(application, step, user))
        if isinstance(need, Choice):
            return forms.ChoiceField(label=label, help_text=hint, widget=forms.RadioSelect,
                                     choices=[(v, wording.choice(v)) for v in need.choice])
        if need == "future_date":
            return forms.DateField(label=label, help_text=hint or _("A date after today."),
                                   widget=forms.DateInput(attrs={"type": "date"},
                                                          format="%Y-%m-%d"))
        return forms.CharField(label=label, help_text=hint, max_length=MAX_TEXT,
                               widget=forms.Textarea(attrs={"rows": 4}))

    def step_data(self) -> dict[str, Any]:
        """What the step records, as `workflow.act` takes it."""
        return {k: v for k, v in self.cleaned_data.items() if k not in ("seen", "confirm")}
