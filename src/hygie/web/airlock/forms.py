"""The airlock's forms: a release request (what it is, which files, what is declared of each)
and a review.

Files are chosen among the offered outputs (`outputs.outputs`): a choice outside that list is
refused like any invalid choice. Declared columns are names separated by commas.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from hygie.web.airlock.flow import Chosen
from hygie.web.airlock.models import Decision
from hygie.web.validators import forbidden_in_line, single_line

MAX_FILES = 5  # files in one request
MAX_COLUMNS = 50  # names in one declaration
MAX_COLUMN_NAME = 200


class RequestForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, validators=[single_line],
                            help_text=_("What the files are, in a few words; a published file "
                                        "takes this title in the register."))
    purpose = forms.CharField(label=_("What it is for"), max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("The article, report or presentation the files are "
                                          "for, and why they are needed outside."))


def _columns(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if len(names) > MAX_COLUMNS:
        raise forms.ValidationError(_("At most %(n)s column names."), params={"n": MAX_COLUMNS})
    for name in names:
        if len(name) > MAX_COLUMN_NAME or forbidden_in_line(name) is not None:
            raise forms.ValidationError(_("A column's name is one line of at most 200 "
                                          "characters."))
    return names


class FileForm(forms.Form):
    file = forms.ChoiceField(label=_("File in outputs/"), required=False)
    counts = forms.CharField(label=_("Count columns"), required=False, max_length=4000,
                             help_text=_("Columns of numbers of people or events, separated by "
                                         "commas (e.g. n, patients)."))
    keys = forms.CharField(label=_("Key columns"), required=False, max_length=4000,
                           help_text=_("Columns of labels (e.g. sex, year, region)."))
    sidecar = forms.ChoiceField(label=_("Sidecar of a magnitude table"), required=False,
                                help_text=_("The contributions file made with magnitude_table, "
                                            "for a table of sums or means. It is checked, never "
                                            "released."))

    def __init__(self, *args: Any, offered: list[str], sidecars: list[str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        none = [("", _("(none)"))]
        self.fields["file"].choices = none + [(n, n) for n in offered]
        self.fields["sidecar"].choices = none + [(n, n) for n in sidecars]

    def clean_counts(self) -> list[str]:
        return _columns(self.cleaned_data["counts"])

    def clean_keys(self) -> list[str]:
        return _columns(self.cleaned_data["keys"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and (data.get("counts") or data.get("keys")
                                     or data.get("sidecar")):
            self.add_error("file", _("Choose the file these declarations are about."))
        if data.get("file") and data.get("file") == data.get("sidecar"):
            self.add_error("sidecar", _("A file cannot be its own sidecar."))
        return data


class BaseFileFormSet(BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        names = [f.cleaned_data.get("file") for f in self.forms if f.cleaned_data.get("file")]
        if not names:
            raise forms.ValidationError(_("Choose at least one file."))
        if len(set(names)) != len(names):
            raise forms.ValidationError(_("A file is chosen twice."))
        sidecars = {f.cleaned_data.get("sidecar") for f in self.forms} - {"", None}
        if sidecars & set(names):
            raise forms.ValidationError(_("A sidecar holds each cell's largest contributions: "
                                          "it is checked, never released."))

    def chosen(self) -> list[Chosen]:
        return [Chosen(f.cleaned_data["file"], tuple(f.cleaned_data["counts"]),
                       tuple(f.cleaned_data["keys"]), f.cleaned_data.get("sidecar") or "")
                for f in self.forms if f.cleaned_data.get("file")]


FileFormSet = formset_factory(FileForm, formset=BaseFileFormSet, extra=MAX_FILES,
                              max_num=MAX_FILES, absolute_max=MAX_FILES, validate_max=True)


def file_formset(data: Any = None, *, offered: list[str], sidecars: list[str]) -> Any:
    return FileFormSet(data, prefix="files",
                       form_kwargs={"offered": offered, "sidecars": sidecars})


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Your decision"), widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Required to ask for changes or to reject: the "
                                          "author reads it."))

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "review_%s")
        super().__init__(*args, **kwargs)
        # The page offers the allowed decisions; a posted one is judged by the rules (`review`),
        # so that a forged approval is refused and audited there, not lost as an invalid choice.
        self.fields["decision"].choices = [(value, label) for value, label in Decision.choices
                                           if self.is_bound or value in allowed]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") not in (None, Decision.APPROVE) and not (
                data.get("comment") or "").strip():
            self.add_error("comment", _("Say why: the author needs to know what to change, or "
                                        "why the request is rejected."))
        return data
