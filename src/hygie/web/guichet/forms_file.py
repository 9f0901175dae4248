"""The applicant's forms: a new file, its content in sections, its team, attachments, messages.

Nothing is required when a draft is saved (completeness is checked at submission, with each
missing item named), but what is given must be right: variables that the chosen datasets'
published descriptions hold, a saved cohort of the applicant's own.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hygie.access import procedures
from hygie.access.description import Choice
from hygie.web.catalogue.models import Dataset, Variable
from hygie.web.documents import ACCEPT
from hygie.web.feasibility.access import countable_datasets
from hygie.web.feasibility.models import SavedCohort
from hygie.web.guichet.labels import PROCEDURE_HINTS, procedure_title
from hygie.web.guichet.models import Application, AttachmentKind, Processing, TeamMember

# The file's form, section by section: the edit page and the read-only page follow this order.
SECTIONS: list[tuple[str, Promise, list[str]]] = [
    ("people", _("People"), ["controller"]),
    ("project", _("The project"), [
        "title", "acronym", "purpose", "public_interest", "lay_summary", "methodology",
        "reference_methodology", "funding", "conflicts_of_interest", "publication_plan"]),
    ("scope", _("Scope"), [
        "datasets", "variables", "cohort", "program", "period_start", "period_end", "linkage",
        "linkage_detail"]),
    ("processing", _("Processing"), ["processing", "processing_detail"]),
    ("outputs", _("Outputs and duration"), ["outputs", "duration_months"]),
]
FIELDS = [name for _id, _title, names in SECTIONS for name in names]
# Where the form's label is not the model's: the same words on the form and on the file page.
LABELS: dict[str, Promise] = {
    "datasets": _("Datasets"),
    "variables": _("Tables and variables"),
    "cohort": _("Saved cohort"),
    "reference_methodology": _("Reference methodology"),
}
MAX_VARIABLES = 1000


class NewFileForm(forms.Form):
    procedure = forms.ChoiceField(label=_("Procedure"), widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title of the project"), max_length=300,
                            validators=Application._meta.get_field("title").validators)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [(name, procedure_title(name))
                                            for name in procedures()]

    @staticmethod
    def hint(name: str) -> str:
        return str(PROCEDURE_HINTS.get(name, ""))


def _split(text: str) -> list[str]:
    return [item for item in re.split(r"[\s,;]+", text) if item]


class VariablesField(forms.Field):
    """Tables and variables as "TABLE.VARIABLE", one a line (commas and spaces also separate):
    a list once cleaned; checked against the catalogue by the form, which knows the datasets."""

    widget = forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocapitalize": "off"})

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return [str(v) for v in value]
        return _split(str(value or ""))

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > MAX_VARIABLES:
            raise forms.ValidationError(_("At most %(n)s variables."), params={"n": MAX_VARIABLES},
                                        code="too_many")
        malformed = [v for v in value if not re.fullmatch(r"[^.\s]+\.[^.\s]+", v)]
        if malformed:
            raise forms.ValidationError(
                _("Write each as TABLE.VARIABLE: %(items)s."),
                params={"items": ", ".join(malformed[:10])}, code="malformed")


class DatasetsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.title)


class CohortField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.dataset.title})"


def catalogue_spelling(datasets: QuerySet[Dataset] | list[Dataset],
                       wanted: list[str]) -> tuple[list[str], list[str]]:
    """`wanted` ("TABLE.VARIABLE") as the latest published versions of `datasets` spell them, and
    those none of them holds. Names are matched without regard to case."""
    versions = [v for v in (d.published_version() for d in datasets) if v is not None]
    tables = {item.split(".", 1)[0].lower() for item in wanted}
    found: dict[str, str] = {}
    if versions and tables:
        rows = (Variable.objects.annotate(t=Lower("table__name"))
                .filter(table__version__in=versions, t__in=tables)
                .values_list("table__name", "name"))
        found = {f"{t}.{v}".lower(): f"{t}.{v}" for t, v in rows}
    known = [found[item.lower()] for item in wanted if item.lower() in found]
    unknown = [item for item in wanted if item.lower() not in found]
    return list(dict.fromkeys(known)), unknown


class ApplicationForm(forms.ModelForm):
    """The file's content. `seq` and `updated` are the version the page was rendered from: a save
    from an older page is refused by the view rather than overwriting (two tabs, two people)."""

    seq = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    updated = forms.CharField(widget=forms.HiddenInput, max_length=64)
    variables = VariablesField(
        label=LABELS["variables"], required=False,
        help_text=_("One TABLE.VARIABLE a line, as the catalogue names them (ER_PRS_F.PRS_NAT_REF); "
                    "each must be in the published description of a chosen dataset."))

    class Meta:
        model = Application
        fields = FIELDS
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "processing": forms.RadioSelect,
        }
        help_texts = {
            "controller": _("The organisation responsible for the processing (responsable de "
                            "traitement); public in the register."),
            "lay_summary": _("In French, for the public: it is published in the register."),
            "conflicts_of_interest": _("Write \"none\" if there are none."),
            "program": _("The name of a program of the library, if the population comes from one."),
            "linkage": _("The data are to be linked with other data."),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        application: Application = self.instance
        self.fields["seq"].initial = application.seq
        self.fields["updated"].initial = application.updated.isoformat()
        chosen = application.datasets.all() if application.pk else Dataset.objects.none()
        self.fields["datasets"] = DatasetsField(
            label=LABELS["datasets"], required=False, widget=forms.CheckboxSelectMultiple,
            queryset=Dataset.objects.filter(
                Q(pk__in=countable_datasets(user).values("pk")) | Q(pk__in=chosen.values("pk"))
            ).order_by("title_fr"))
        # The applicant's own cohorts only: another's id is "not one of the choices".
        self.fields["cohort"] = CohortField(
            label=LABELS["cohort"], required=False,
            queryset=SavedCohort.objects.filter(owner_id=application.applicant_id)
            .select_related("dataset"),
            help_text=_("One of your saved cohorts (Feasibility), defined on a chosen dataset."))
        if application.procedure == "reference-methodology":
            step = procedures()[application.procedure].steps["submit"]
            need = step.needs.get("methodology")
            options = need.choice if isinstance(need, Choice) else ()
            self.fields["reference_methodology"] = forms.ChoiceField(
                label=LABELS["reference_methodology"], required=False,
                choices=[("", "---------"), *((o, o) for o in options)])
        else:
            del self.fields["reference_methodology"]
        self.fields["processing"].choices = list(Processing.choices)
        self.fields["processing"].required = False
        for name in ("title", "controller", "acronym", "program"):
            if name in self.fields:
                self.fields[name].widget.attrs.setdefault("autocomplete", "off")

    def clean_updated(self) -> datetime:
        try:
            return datetime.fromisoformat(self.cleaned_data["updated"])
        except ValueError:
            raise forms.ValidationError(_("The form is damaged: reload the page."),
                                        code="version") from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        datasets = list(data.get("datasets") or [])
        wanted = data.get("variables") or []
        if wanted and "datasets" in data:
            if not datasets:
                self.add_error("variables", _("Choose the datasets that hold these variables."))
            else:
                known, unknown = catalogue_spelling(datasets, wanted)
                if unknown:
                    self.add_error("variables", forms.ValidationError(
                        _("Not in the published description of the chosen datasets: %(items)s."),
                        params={"items": ", ".join(unknown[:20])}, code="unknown"))
                else:
                    data["variables"] = known
        cohort = data.get("cohort")
        if cohort is not None and "datasets" in data and cohort.dataset not in datasets:
            self.add_error("cohort", forms.ValidationError(
                _("This cohort is defined on %(dataset)s: add that dataset to the scope."),
                params={"dataset": cohort.dataset.title}, code="dataset"))
        return data

    def sections(self) -> list[tuple[str, Promise, list[forms.BoundField]]]:
        return [(key, title, [self[name] for name in names if name in self.fields])
                for key, title, names in SECTIONS]


class TeamMemberForm(forms.ModelForm):
    class Meta:
        model = TeamMember
        fields = ["name", "email", "organisation", "role"]

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip()
        if self.application.team.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("This person is already in the team."), code="twice")
        return email


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=_("File to attach"), widget=forms.FileInput(attrs={"accept": ACCEPT}),
        help_text=_("PDF or office document (.docx, .xlsx, .pptx, .odt, .ods, .odp), "
                    "%(limit)s at most."))

    def __init__(self, *args: Any, limit: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = self.fields["file"].help_text % {"limit": limit}


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=10_000,
                           widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, label: Promise | str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["body"].label = label
