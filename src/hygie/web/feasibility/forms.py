"""Forms of feasibility: the cohort builder, the YAML editor, enquiries and replies.

The builder is progressive: one entry event and no criterion at first, rows added as needed
(by the page's script, or by the form's own buttons without it); each row shows the fields of
its kind. Only the datasets holding the data of at least one event are offered, and an event
whose tables the chosen dataset lacks is refused on its row.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from hygie.cohorts.events import tables_read
from hygie.cohorts.model import EVENT_KINDS, Cohort, DefinitionError, EventCriterion
from hygie.web.catalogue.models import Table
from hygie.web.feasibility import builder, definitions, lookup
from hygie.web.feasibility.access import countable_datasets
from hygie.web.problems import lines as problem_lines
from hygie.web.problems import message as problem_message

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


class DatasetSelect(forms.Select):
    """A dataset list whose options say which event kinds each dataset holds (`data-kinds`), so
    that the builder's script offers only those."""

    kinds: dict[str, list[str]] = {}

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        slug = str(getattr(value, "value", value) or "")
        if slug in self.kinds:
            option["attrs"]["data-kinds"] = " ".join(self.kinds[slug])
        return option


def _dataset_field() -> DatasetField:
    return DatasetField(label=_("Dataset"), queryset=countable_datasets(None), to_field_name="slug",
                        empty_label=None)


def _dsfr(form: forms.Form) -> None:
    """The State design system's classes on every visible widget."""
    for field in form.fields.values():
        widget = field.widget
        if widget.is_hidden:
            continue
        css = "fr-select" if isinstance(widget, forms.Select) else "fr-input"
        widget.attrs["class"] = " ".join(filter(None, (widget.attrs.get("class"), css)))


def held_tables(datasets: Any) -> dict[str, set[str]]:
    """The tables described by each dataset's latest published version (what counts read), by
    slug."""
    versions = [v for d in datasets if (v := d.published_version()) is not None]
    held: dict[str, set[str]] = {d.slug: set() for d in datasets}
    for slug, table in Table.objects.filter(version__in=versions).values_list(
            "version__dataset__slug", "name"):
        held[slug].add(table)
    return held


def dataset_kinds(user: Any) -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    """The event kinds each countable dataset holds the data of, and its tables, by slug."""
    held = held_tables(list(countable_datasets(user)))
    return {slug: builder.served_kinds(tables) for slug, tables in held.items()}, held


def lacking_message(what: str, tables: list[str], dataset: Any) -> str:
    return _("%(event)s reads %(tables)s, which %(dataset)s does not hold: choose another "
             "dataset or another event.") % {"event": what, "tables": ", ".join(tables),
                                              "dataset": dataset.title}


def definition_problems(cohort: Cohort, dataset: Any) -> list[tuple[str, str]]:
    """(place, message) of each event of a definition whose tables the dataset lacks."""
    held = held_tables([dataset])[dataset.slug]
    events: list[tuple[str, Any]] = [(f"entry.any_of[{i}]", c)
                                     for i, c in enumerate(cohort.entry.any_of)]
    events += cohort.placed
    out = []
    for place, c in events:
        if isinstance(c, EventCriterion):
            missing = builder.lacking(held, tables_read(c.sources))
            if missing:
                what = f"{place} ({LABELS.get(c.kind, c.kind)})"
                out.append((place, lacking_message(what, missing, dataset)))
    return out


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
        _dsfr(self)

    def clean_definition(self) -> str:
        text = str(self.cleaned_data["definition"]).replace("\r\n", "\n")
        try:
            self.cohort = definitions.load(text)
        except DefinitionError as exc:
            raise forms.ValidationError(problem_lines(exc.problems), code="definition") from None
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.cohort is not None and data.get("dataset") is not None:
            problems = definition_problems(self.cohort, data["dataset"])
            if problems:
                self.add_error("definition", [m for _p, m in problems])
        return data


class _Quiet:
    """A form shown again after an add, remove or find button: with what was typed, no errors."""

    quiet = False

    def full_clean(self) -> None:
        if self.quiet:
            self._errors = ErrorDict()
            self.cleaned_data: dict[str, Any] = {}
            return
        super().full_clean()  # type: ignore[misc]


class BuilderForm(_Quiet, forms.Form):
    """The builder's head: the cohort's name, dataset and study period, and what the form keeps
    of a definition without showing it (its own name, title and description)."""

    name = forms.CharField(label=_("Name"), max_length=200,
                           help_text=_("For you, e.g. Type 2 diabetes, adults."))
    dataset = _dataset_field()
    period_start = forms.DateField(label=_("Study period: first day"),
                                   widget=forms.DateInput(attrs={"type": "date"},
                                                          format="%Y-%m-%d"))
    period_end = forms.DateField(label=_("Study period: last day"),
                                 widget=forms.DateInput(attrs={"type": "date"},
                                                        format="%Y-%m-%d"))
    definition_name = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    title = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)
    own_title = forms.BooleanField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(max_length=5000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds, self.tables = dataset_kinds(user)
        offered = [slug for slug, kinds in self.kinds.items() if kinds]
        field = self.fields["dataset"]
        field.widget = DatasetSelect()
        field.widget.kinds = self.kinds
        field.queryset = countable_datasets(user).filter(slug__in=offered)  # sets the options
        if "snds" in offered and not self.is_bound and not self.initial.get("dataset"):
            self.initial["dataset"] = "snds"  # the national base: the common case
        _dsfr(self)

    def not_offered(self) -> list[Any]:
        """The countable datasets the builder does not offer: none of its events is in them."""
        return [d for d in countable_datasets(None).filter(slug__in=[
            s for s, kinds in self.kinds.items() if not kinds])]

    def definition_title(self) -> str:
        data = self.cleaned_data
        return str(data["title"] if data.get("own_title") else data["name"])


EVENTS = " ".join(builder.EVENT_SYSTEMS)
# The kinds of a row each field is for (the others hide it); fields not listed are always shown.
SHOWN_FOR = {"codes": EVENTS, "lookup": EVENTS, "diagnosis_in": "diagnosed", "at_least": EVENTS,
             "within_days": EVENTS, "window_start": EVENTS, "window_end": EVENTS,
             "age_min": "age", "age_max": "age", "sex": "sex"}


class _EventRowForm(_Quiet, forms.Form):
    codes = forms.CharField(label=_("Codes"), max_length=2000, required=False,
                            help_text=CODES_HELP,
                            widget=forms.TextInput(attrs={"autocomplete": "off",
                                                          "spellcheck": "false"}))
    lookup = forms.CharField(label=_("Find a code by its name"), max_length=lookup.MAX_QUERY,
                             required=False, help_text=_("e.g. metformine, diabète de type 2"),
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))
    diagnosis_in = forms.ChoiceField(label=_("Diagnoses recorded in"),
                                     choices=DIAGNOSIS_IN_CHOICES, initial="all", required=False)
    at_least = forms.IntegerField(label=_("At least (times, on distinct days)"), min_value=1,
                                  max_value=1000, initial=1, required=False)
    codelist = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.found: list[lookup.Hit] | None = None  # the no-script lookup's results
        _dsfr(self)

    def kind(self) -> str:
        return str(self["kind"].value() or "")

    def layout(self) -> list[tuple[Any, str, bool]]:
        """(field, the kinds it is for, hidden now) of the visible fields, in order. A row
        without a kind shows every field: without a script, the form stays usable."""
        kind = self.kind()
        out = []
        for bf in self.visible_fields():
            kinds = SHOWN_FOR.get(bf.name, "")
            hidden = bool(kind and kinds and kind not in kinds.split()) and not bf.errors
            out.append((bf, kinds, hidden))
        return out

    def event(self) -> builder.Event:
        data = self.cleaned_data
        return builder.Event(kind=data["kind"], codes=builder.split_codes(data["codes"] or ""),
                             diagnosis_in=data.get("diagnosis_in") or "all",
                             at_least=data.get("at_least") or 1,
                             codelist=data.get("codelist") or "")

    def _need_codes(self, data: dict[str, Any]) -> None:
        if data.get("kind") in builder.EVENT_SYSTEMS and not builder.split_codes(
                data.get("codes") or ""):
            self.add_error("codes", _("Give at least one code."))


class EntryForm(_EventRowForm):
    """An entry event: the index date is the first date one of them is met in the period."""

    field_order = ["kind", "codes", "lookup", "diagnosis_in", "at_least", "within_days"]
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

    field_order = ["mode", "kind", "codes", "lookup", "diagnosis_in", "at_least", "window_start",
                   "window_end", "age_min", "age_max", "sex"]
    mode = forms.ChoiceField(label=_("People"), required=False, initial="require",
                             choices=[("require", _("must have")),
                                      ("exclude", _("must not have"))])
    kind = forms.ChoiceField(label=_("Criterion"), required=False, choices=[
        ("", _("(none)")), *EVENT_CHOICES, ("age", LABELS["age_at_index"]),
        ("sex", LABELS["sex"])])
    window_start = forms.IntegerField(
        label=_("From (days from the index date)"), min_value=-36500, max_value=36500,
        required=False, help_text=_("Negative before the index date: -365. Empty: any time "
                                    "before."))
    window_end = forms.IntegerField(
        label=_("To (days from the index date)"), min_value=-36500, max_value=36500,
        required=False, help_text=_("Empty: up to the index date (0)."))
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
        rule = builder.Rule(mode=data.get("mode") or "require")
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
    quiet = False

    def full_clean(self) -> None:
        if self.quiet:
            self._errors: list[Any] = []
            self._non_form_errors = self.error_class(error_class="nonform",
                                                     renderer=self.renderer)
            for form in self.forms:
                form.quiet = True
            return
        super().full_clean()

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


EntryFormSet = forms.formset_factory(EntryForm, formset=_EntryFormSet, extra=0,
                                     max_num=builder.MAX_ENTRIES, validate_max=True,
                                     absolute_max=builder.MAX_ENTRIES)
RuleFormSet = forms.formset_factory(RuleForm, formset=_RowFormSet, extra=0,
                                    max_num=builder.MAX_RULES, validate_max=True,
                                    absolute_max=builder.MAX_RULES)


def row_label(group: str, index: int) -> str:
    """How the page names a row: Entry event 2, Criterion 3."""
    if group == "entry":
        return _("Entry event %(n)s") % {"n": index + 1}
    return _("Criterion %(n)s") % {"n": index + 1}


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
            head.add_error(field, problem_lines([(place, message)])[0] if field is None
                           else problem_message(message))
            continue
        group, index, rest = where
        form = (entries if group == "entry" else rules).forms[index]
        word = rest.split(".")[0].split("[")[0]
        field = _ROW_FIELDS.get(word)
        if word == "age_at_index" and rest.endswith("max"):
            field = "age_max"
        if field is None or field not in form.fields:
            field = "kind"
        form.add_error(field, problem_message(message))


def check_sources(head: BuilderForm, entries: Any, rules: Any) -> bool:
    """Refuse, on its row, each event whose data the chosen dataset does not hold."""
    dataset = head.cleaned_data["dataset"]
    held = head.tables.get(dataset.slug, set())
    ok = True
    for group, formset in (("entry", entries), ("rule", rules)):
        for i, form in formset.used():
            if form.cleaned_data["kind"] not in builder.EVENT_SYSTEMS:
                continue
            missing = builder.lacking(held, builder.event_tables(form.event()))
            if missing:
                what = f"{row_label(group, i)} ({LABELS[form.cleaned_data['kind']]})"
                form.add_error("kind", lacking_message(what, missing, dataset))
                ok = False
    return ok


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
    built = builder.build(head.definition_title(), data["period_start"], data["period_end"],
                          events, rule_list, name=data.get("definition_name") or "",
                          description=data.get("description") or "")
    try:
        return built, Cohort.from_dict(built.definition)
    except DefinitionError as exc:
        show_problems(exc.problems, built, head, entries, rules)
        return built, None


def initial_of(rows: builder.Rows, name: str, dataset: str) -> tuple[dict[str, Any],
                                                                      list[dict[str, Any]],
                                                                      list[dict[str, Any]]]:
    """The forms' initial data for a definition the form expresses: head, entries, rules."""
    own = rows.title != name
    head = {"name": name, "dataset": dataset, "period_start": rows.start,
            "period_end": rows.end, "definition_name": rows.name,
            "title": rows.title if own else "", "own_title": own,
            "description": rows.description}

    def event(e: builder.Event) -> dict[str, Any]:
        return {"kind": e.kind, "codes": ", ".join(e.codes), "diagnosis_in": e.diagnosis_in,
                "at_least": e.at_least, "codelist": e.codelist}

    entries = [{**event(e), "within_days": e.within_days} for e in rows.entries]
    rules = []
    for r in rows.rules:
        row: dict[str, Any] = {"mode": r.mode}
        if r.event is not None:
            start, end = r.event.window or (None, None)
            row.update(event(r.event), window_start=start, window_end=end)
        elif r.sex:
            row.update(kind="sex", sex=r.sex)
        else:
            row.update(kind="age", age_min=r.age_min, age_max=r.age_max)
        rules.append(row)
    return head, entries, rules


class EnquiryForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Your question"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 8}))


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 6}))
    close = forms.BooleanField(label=_("Close the enquiry with this reply"), required=False)
