"""The forms of the objection pages: the citizen's (objecting, following, withdrawing) and the
data protection officer's decision. Every field is bounded; the NIR is checked against the birth
date and sex (`hygie.pseudo.directory.Identity`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hygie.pseudo.directory import Identity, IdentityError, normalise_nir
from hygie.web.objections.models import NAME_MAX, Reason
from hygie.web.objections.tokens import normalise_receipt
from hygie.web.validators import single_line

NIR_MESSAGES = {
    "nir_format": _("A social security number has 13 characters (digits, or 2A or 2B for "
                    "Corsica) followed by a 2-digit key."),
    "nir_key": _("The key (the last two digits) does not fit the number: check for a typing "
                 "mistake."),
    "nir_sex": _("The first digit of the number does not match the sex given."),
    "nir_year": _("The number's year of birth (its 2nd and 3rd digits) does not match the birth "
                  "date."),
    "nir_month": _("The number's month of birth (its 4th and 5th digits) does not match the "
                   "birth date."),
    "sex": _("Choose one of the answers."),
    "name": _("This name is too long."),
}
EARLIEST_BIRTH = dt.date(1890, 1, 1)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _birth_date_field() -> forms.DateField:
    return forms.DateField(label=_("Birth date"), widget=DateInput(), input_formats=["%Y-%m-%d"],
                           help_text=_("As on your identity papers."))


def _nir_field() -> forms.CharField:
    return forms.CharField(
        label=_("Social security number"), max_length=24, validators=[single_line],
        help_text=_("15 characters, as on your carte Vitale, for example 2 55 08 14 168 025 38."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))


def _email_field() -> forms.EmailField:
    return forms.EmailField(
        label=_("E-mail address (optional)"), required=False, max_length=254,
        help_text=_("To be told when your request has been examined. It is erased once that "
                    "message is sent."))


class _BirthDateMixin:
    cleaned_data: dict[str, Any]

    def clean_birth_date(self) -> dt.date:
        day = self.cleaned_data["birth_date"]
        if not EARLIEST_BIRTH <= day <= timezone.localdate():
            raise forms.ValidationError(_("Give a birth date between 1890 and today."))
        return day


class ObjectionForm(_BirthDateMixin, forms.Form):
    family_name = forms.CharField(label=_("Family name (birth name)"), max_length=NAME_MAX,
                                  validators=[single_line])
    given_names = forms.CharField(label=_("Given names"), max_length=NAME_MAX,
                                  validators=[single_line])
    birth_date = _birth_date_field()
    sex = forms.TypedChoiceField(label=_("Sex, as recorded by the health insurance"),
                                 choices=[(2, _("Female")), (1, _("Male"))], coerce=int,
                                 widget=forms.RadioSelect)
    nir = _nir_field()
    email = _email_field()
    confirm = forms.BooleanField(label=_(
        "I object to the use of my health data for research, studies and evaluations. I know I "
        "can withdraw this objection at any time."))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if all(data.get(f) not in (None, "") for f in ("nir", "birth_date", "sex")):
            try:
                data["identity"] = Identity.parse(
                    data["nir"], data["birth_date"], data["sex"], data.get("family_name", ""),
                    data.get("given_names", ""))
            except IdentityError as exc:
                field = "sex" if exc.code == "sex" else "nir"
                self.add_error(field, NIR_MESSAGES.get(exc.code, str(exc)))
        return data


class FollowForm(_BirthDateMixin, forms.Form):
    receipt = forms.CharField(label=_("Receipt number"), max_length=24, validators=[single_line],
                              help_text=_("Given when you sent your request, for example "
                                          "OPP-7KQ2M9XBRT4H."),
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "spellcheck": "false"}))
    birth_date = _birth_date_field()

    def clean_receipt(self) -> str:
        # A receipt that cannot exist is not told apart from one that does not: the view answers
        # "not found" for both.
        return normalise_receipt(self.cleaned_data["receipt"])


class WithdrawForm(FollowForm):
    nir = _nir_field()
    email = _email_field()
    confirm = forms.BooleanField(label=_(
        "I withdraw my objection: my data may be used again for research authorised from now "
        "on."))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        nir, birth = data.get("nir"), data.get("birth_date")
        if nir and birth:
            text = normalise_nir(nir)
            sex = 1 if text[:1] in ("1", "3", "7") else 2
            try:
                data["nir"] = Identity(text, birth, sex).nir
            except IdentityError as exc:
                self.add_error("nir", NIR_MESSAGES.get(exc.code, str(exc)))
        return data


# --- the data protection officer's decision -------------------------------------------------------

class AcceptForm(forms.Form):
    person = forms.ChoiceField(label=_("The person the request is about"),
                               widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = choices


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    text = forms.CharField(label=_("Explanation for the person (optional)"), max_length=1000,
                           required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Shown to the person when they follow their request. "
                                       "Write no identity details."))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reason") == Reason.OTHER and not data.get("text", "").strip():
            self.add_error("text", _("Explain the reason."))
        return data
