"""Forms of feasibility: the cohort builder, the YAML editor, enquiries and replies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hygie.cohorts.model import EVENT_KINDS, Cohort, DefinitionError
from hygie.web.feasibility import builder, definitions
from hygie.web.feasibility.access import countable_datasets

# The labels of the registry's criteria (`hygie.cohorts.model.CRITERIA`), written out here so that
# makemessages collects them; a test checks they are the registry's, for every kind it offers.
LABELS = {
    "diagnosed": _("Diagnosis (CIM-10), in hospital (PMSI) or long-term illness (ALD)"),
    "hospitalised_for": _("Hospital stay with this main diagnosis (CIM-10)"),
    "dispensed": _("Drug dispensed (ATC or CIP13)"),
    "act": _("Medical act (CCAM)"),
    "lab": _("Laboratory test (NABM)"),
    "age_at_index": _("Age at the index date"),
    "sex": _("Sex"),
}
EVENT_CHOICES = [(kind, LABELS[kind]) for kind in EVENT_KINDS]
DIAGNOSIS_IN_CHOICES = [("all", _("Hospital (PMSI) and long-term illness (ALD)")),
                        ("pmsi", _("Hospital (PMSI) only")),
                        ("ald", _("Long-term illness (ALD) only"))]
CODES_HELP = _("Separated by commas or spaces; end a code with * for every code that starts with "
               "it (E11*).")


class DatasetField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.title)


def _dataset_field() -> DatasetField:
    return DatasetField(label=_("Dataset"), queryset=countable_datasets(None), to_field_name="slug",
                        empty_label=None)


class CohortYamlForm(forms.Form):
    """A saved cohort written in the targeting language."""

    name = forms.CharField(label=_("Name"), max_length=200)
    dataset = _dataset_field()
    definition = forms.CharField(
        label=_("Definition (YAML)"), max_length=definitions.MAX_CHARS, strip=False,
        help_text=_("The targeting language: see the user guide. Problems are listed with their "
                    "place in the definition, such as exclude[0].window."),
        widget=forms.Textarea(attrs={"rows": 24, "cols": 90, "spellcheck": "false",
                                     "autocapitalize": "off", "class": "code"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = countable_datasets(user)
        self.cohort: Cohort | None = None

    def clean_definition(self) -> str:
        text = str(self.cleaned_data["definition"]).replace("\r\n", "\n")
        try:
            self.cohort = definitions.load(text)
        except DefinitionError as exc:
            raise forms.ValidationError([f"{place}: {message}" for place, message in exc.problems],
                                        code="definition") from None
        return text


class BuilderForm(forms.Form):
    """The builder's head: the cohort's name, dataset and study period."""

    name = forms.CharField(label=_("Name"), max_length=200,
                           help_text=_("For you, e.g. Type 2 diabetes, adults."))
    dataset = _dataset_field()
    period_start = forms.DateField(label=_("Study period: first day"),
                                   widget=forms.DateInput(attrs={"type": "date"},
                                                          format="%Y-%m-%d"))
    period_end = forms.DateField(label=_("Study period: last day"),
                                 widget=forms.DateInput(attrs={"type": "date"},
                                                        format="%Y-%m-%d"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = countable_datasets(user)


class _EventRowForm(forms.Form):
    codes = forms.CharField(label=_("Codes"), max_length=2000, required=False,
                            help_text=CODES_HELP)
    diagnosis_in = forms.ChoiceField(label=_("Diagnoses recorded in"),
                                     choices=DIAGNOSIS_IN_CHOICES, initial="all", required=False)
    at_least = forms.IntegerField(label=_("At least (times, on distinct days)"), min_value=1,
                                  max_value=1000, initial=1, required=False)

    def event(self) -> builder.Event:
        data = self.cleaned_data
        return builder.Event(kind=data["kind"], codes=builder.split_codes(data["codes"] or ""),
                             diagnosis_in=data.get("diagnosis_in") or "all",
                             at_least=data.get("at_least") or 1)

    def _need_codes(self, data: dict[str, Any]) -> None:
        if data.get("kind") in builder.EVENT_SYSTEMS and not builder.split_codes(
                data.get("codes") or ""):
            self.add_error("codes", _("Give at least one code."))


class EntryForm(_EventRowForm):
    """An entry event: the index date is the first date one of them is met in the period."""

    field_order = ["kind", "codes", "diagnosis_in", "at_least", "within_days"]
    kind = forms.ChoiceField(label=_("Event"), required=False,
                             choices=[("", _("(none)")), *EVENT_CHOICES])
    within_days = forms.IntegerField(
        label=_("Within (days)"), min_value=1, max_value=36500, required=False,
        help_text=_("With at least 2: the events lie within this many days."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._need_codes(data)
        return data

    def event(self) -> builder.Event:
        event = super().event()
        event.within_days = self.cleaned_data.get("within_days")
        return event


class RuleForm(_EventRowForm):
    """A require or exclude criterion."""

    field_order = ["mode", "kind", "codes", "diagnosis_in", "at_least", "window_start",
                   "window_end", "age_min", "age_max", "sex"]
    mode = forms.ChoiceField(label=_("People"), choices=[("require", _("must have")),
                                                         ("exclude", _("must not have"))])
    kind = forms.ChoiceField(label=_("Criterion"), required=False, choices=[
        ("", _("(none)")), *EVENT_CHOICES, ("age", LABELS["age_at_index"]),
        ("sex", LABELS["sex"])])
    window_start = forms.IntegerField(
        label=_("From (days from the index date)"), min_value=-36500, max_value=36500,
        required=False, help_text=_("Events only. Negative before the index date: -365. Empty: "
                                    "any time before."))
    window_end = forms.IntegerField(
        label=_("To (days from the index date)"), min_value=-36500, max_value=36500,
        required=False, help_text=_("Events only. Empty: up to the index date (0)."))
    age_min = forms.IntegerField(label=_("Age from (years)"), min_value=0, max_value=130,
                                 required=False)
    age_max = forms.IntegerField(label=_("Age up to (years, included)"), min_value=0,
                                 max_value=130, required=False)
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[
        ("", "-"), ("female", _("Female")), ("male", _("Male"))])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._need_codes(data)
        if data.get("kind") == "age" and data.get("age_min") is None \
                and data.get("age_max") is None:
            self.add_error("age_min", _("Give an age from, up to, or both."))
        if data.get("kind") == "sex" and not data.get("sex"):
            self.add_error("sex", _("Choose a sex."))
        return data

    def rule(self) -> builder.Rule:
        data = self.cleaned_data
        rule = builder.Rule(mode=data["mode"])
        if data["kind"] == "age":
            rule.age_min, rule.age_max = data.get("age_min"), data.get("age_max")
        elif data["kind"] == "sex":
            rule.sex = data["sex"]
        else:
            rule.event = self.event()
            start, end = data.get("window_start"), data.get("window_end")
            if start is not None or end is not None:
                rule.event.window = (start, 0 if end is None else end)
        return rule


class _RowFormSet(forms.BaseFormSet):
    def used(self) -> list[tuple[int, Any]]:
        """(index, form) of the rows in use (a criterion chosen)."""
        return [(i, f) for i, f in enumerate(self.forms)
                if getattr(f, "cleaned_data", None) and f.cleaned_data.get("kind")]


class _EntryFormSet(_RowFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.used():
            raise forms.ValidationError(_("Choose at least one entry event."))


EntryFormSet = forms.formset_factory(EntryForm, formset=_EntryFormSet, extra=3, max_num=3)
RuleFormSet = forms.formset_factory(RuleForm, formset=_RowFormSet, extra=5, max_num=5)

# Where a problem of the definition goes in a builder row: the first word of its place.
_ROW_FIELDS = {"codes": "codes", "system": "codes", "within": "within_days",
               "window": "window_start", "at_least": "at_least", "in": "diagnosis_in",
               "sex": "sex", "age_at_index": "age_min"}


def show_problems(problems: list[tuple[str, str]], built: builder.Built, head: BuilderForm,
                  entries: Any, rules: Any) -> None:
    """Put each problem of the built definition next to the field of the row that made it."""
    for place, message in problems:
        where = built.row_of(place)
        if where is None:
            field = {"period.start": "period_start", "period.end": "period_end",
                     "period": "period_end", "name": "name"}.get(place)
            head.add_error(field, f"{place}: {message}" if field is None else message)
            continue
        group, index, rest = where
        form = (entries if group == "entry" else rules).forms[index]
        word = rest.split(".")[0].split("[")[0]
        field = _ROW_FIELDS.get(word)
        if word == "age_at_index" and rest.endswith("max"):
            field = "age_max"
        if field is None or field not in form.fields:
            field = "kind"
        form.add_error(field, message)


def build_from(head: BuilderForm, entries: Any, rules: Any) -> tuple[builder.Built, Cohort | None]:
    """The definition of valid builder forms, checked; problems are added to the forms."""
    data = head.cleaned_data
    events, rule_list = [], []
    for i, f in entries.used():
        events.append(f.event())
        events[-1].row = i + 1
    for i, f in rules.used():
        rule_list.append(f.rule())
        rule_list[-1].row = i + 1
    built = builder.build(data["name"], data["period_start"], data["period_end"], events,
                          rule_list)
    try:
        return built, Cohort.from_dict(built.definition)
    except DefinitionError as exc:
        show_problems(exc.problems, built, head, entries, rules)
        return built, None


class EnquiryForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Your question"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 8}))


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 6}))
    close = forms.BooleanField(label=_("Close the enquiry with this reply"), required=False)
