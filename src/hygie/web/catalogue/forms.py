"""Forms of the catalogue's editing pages.

Single-line fields (titles, names, labels, keywords) refuse line breaks, control characters and
direction overrides (`hygie.web.validators.single_line`): model forms take the check from the
model's fields; the fields declared here carry it themselves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hygie.web.catalogue.models import (
    DataHolder,
    Dataset,
    GdprBasis,
    HealthCategory,
    Table,
    Variable,
)
from hygie.web.validators import single_line

# Page addresses under /catalogue/ that a dataset identifier must not take.
RESERVED_SLUGS = frozenset({"new", "editing", "search"})
METADATA = ["title_fr", "title_en", "description_fr", "description_en", "health_categories",
            "keywords", "population_coverage_fr", "population_coverage_en", "legal_basis",
            "gdpr_bases", "retention", "access_body", "licence", "landing_page", "contact_email"]


def _https_urls(field: Any, **kwargs: Any) -> Any:
    """Model fields as form fields; an address typed without scheme is taken as https."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class DatasetForm(forms.ModelForm):
    """A dataset's descriptive metadata (the same for all its versions)."""

    health_categories = forms.MultipleChoiceField(
        label=_("Health categories"), choices=HealthCategory.choices, required=False,
        widget=forms.CheckboxSelectMultiple)
    gdpr_bases = forms.MultipleChoiceField(
        label=_("GDPR legal bases"), choices=GdprBasis.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The lawfulness of the processing (Art. 6) and the condition for health data "
                    "(Art. 9); the national law goes in the legal basis above."))
    keywords = forms.CharField(label=_("Keywords"), required=False, max_length=2000,
                               help_text=_("Separated by commas."), validators=[single_line])

    class Meta:
        model = Dataset
        fields = METADATA
        formfield_callback = _https_urls
        widgets = {"description_fr": forms.Textarea(attrs={"rows": 5}),
                   "description_en": forms.Textarea(attrs={"rows": 5}),
                   "population_coverage_fr": forms.Textarea(attrs={"rows": 2}),
                   "population_coverage_en": forms.Textarea(attrs={"rows": 2}),
                   "legal_basis": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["keywords"] = ", ".join(self.instance.keywords)

    def clean_keywords(self) -> list[str]:
        words = [w.strip() for w in self.cleaned_data["keywords"].split(",") if w.strip()]
        if any(len(w) > 100 for w in words):
            raise forms.ValidationError(_("A keyword is at most 100 characters long."))
        return list(dict.fromkeys(words))


class NewDatasetForm(DatasetForm):
    """A new dataset: its identifier and holder too, the holders being those the user edits."""

    class Meta(DatasetForm.Meta):
        fields = ["slug", "holder", *METADATA]
        help_texts = {"slug": _("Lower-case letters, digits and dashes; part of the page "
                                "address, it cannot change later.")}

    def __init__(self, *args: Any, holders: QuerySet[DataHolder], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = holders

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].lower()
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This identifier is reserved."))
        return str(slug)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Table Schema or Data Package (JSON file)"))
    language = forms.ChoiceField(label=_("Language of its titles and descriptions"),
                                 choices=[("fr", _("In French")), ("en", _("In English"))])
    label = forms.CharField(label=_("Version label"), max_length=100, required=False,
                            help_text=_("For example the source's release, 2024-03."),
                            validators=[single_line])
    change_note = forms.CharField(label=_("What changed"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class SendBackForm(forms.Form):
    comment = forms.CharField(label=_("What should change"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class TableTextsForm(forms.ModelForm):
    class Meta:
        model = Table
        fields = ["title_fr", "title_en", "description_fr", "description_en"]
        widgets = {"description_fr": forms.Textarea(attrs={"rows": 3}),
                   "description_en": forms.Textarea(attrs={"rows": 3})}


class _VariableTexts(forms.BaseModelFormSet):
    def clean(self) -> None:
        super().clean()
        # A row whose id is not one of the table's variables (edited by hand): Django would skip
        # it quietly; refuse the whole form instead.
        if any(form.instance.pk is None for form in self.forms):
            raise forms.ValidationError(_("The form does not match the table's variables; "
                                          "reload the page."))


# Only the descriptions of a table's own variables: no new rows, no others.
VariableTextsFormSet = forms.modelformset_factory(
    Variable, formset=_VariableTexts, fields=["description_fr", "description_en"], extra=0,
    edit_only=True,
    widgets={"description_fr": forms.Textarea(attrs={"rows": 2}),
             "description_en": forms.Textarea(attrs={"rows": 2})})
