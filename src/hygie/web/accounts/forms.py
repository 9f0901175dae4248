from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from hygie.web.accounts import orcid
from hygie.web.accounts.models import User
from hygie.web.validators import single_line


class TokenForm(forms.Form):
    token = forms.CharField(label=_("Six-digit code from your authenticator app"), min_length=6,
                            max_length=6, widget=forms.TextInput(attrs={
                                "autocomplete": "one-time-code", "inputmode": "numeric",
                                "pattern": "[0-9]{6}"}))

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError(_("The code has six digits."))
        return token


def password_help() -> str:
    """Django's validators' rules, as one line of text (the hint under a field is a span)."""
    return " ".join(password_validation.password_validators_help_texts())


class SignupForm(forms.Form):
    """An applicant's account. The address is not checked against existing accounts here: that
    would tell anyone which addresses have one (`accounts.signup` deals with it)."""

    # The address is also the username (150 characters at most, Django's username alphabet).
    email = forms.EmailField(label=_("E-mail address"), max_length=150,
                             help_text=_("You will sign in with it, once it is verified."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(label=_("First name"), max_length=150, validators=[single_line],
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=150, validators=[single_line],
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    organisation = forms.CharField(
        label=_("Organisation"), max_length=200, validators=[single_line],
        help_text=_("The laboratory, company or administration you work for."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    orcid = forms.CharField(label=_("ORCID iD (optional)"), max_length=60, required=False,
                            help_text=_("For example 0000-0002-1825-0097."),
                            widget=forms.TextInput(attrs={"spellcheck": "false"}))
    password1 = forms.CharField(label=_("Password"), strip=False,
                                help_text=lazy(password_help, str)(),
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_email(self) -> str:
        email = BaseUserManager.normalize_email(self.cleaned_data["email"].strip())
        try:
            UnicodeUsernameValidator()(email.lower())
        except ValidationError:
            raise ValidationError(_("This address cannot be used to sign up here (only letters, "
                                    "digits and @ . + - _ are accepted). Write to the platform's "
                                    "administrators."), code="email_alphabet") from None
        return email

    def clean_orcid(self) -> str:
        text = self.cleaned_data["orcid"]
        if not text.strip():
            return ""
        value = orcid.normalise(text)
        orcid.validate_orcid(value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", ValidationError(_("The two passwords differ."),
                                                        code="password_mismatch"))
        elif first:
            # Measured against the names and address typed (an account not yet saved).
            someone = User(username=data.get("email", ""), email=data.get("email", ""),
                           first_name=data.get("first_name", ""),
                           last_name=data.get("last_name", ""))
            try:
                password_validation.validate_password(first, someone)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class ResendForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
