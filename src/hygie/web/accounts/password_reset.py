"""Password reset by e-mail: Django's views, with the site's pages and messages.

The link goes out as the platform's other messages do (`accounts.signup.mail`: after the commit,
from the mail queue, in the person's language, a few per hour and address at most), and starts
with HYGIE_SITE_URL rather than the Host header of the request. Django's form answers the same
whether the address has an account or not; it writes only to active accounts with a password.
Requests and resets are audited (neither the address typed nor any token is kept).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse, reverse_lazy

from hygie.web.accounts.forms import password_help
from hygie.web.accounts.signup import hours_valid, languages_of, mail
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record


class PasswordResetForm(auth_forms.PasswordResetForm):
    def send_mail(self, subject_template_name: str, email_template_name: str,
                  context: dict[str, Any], from_email: str | None, to_email: str,
                  html_email_template_name: str | None = None) -> None:
        user = context["user"]
        path = reverse("accounts:password_reset_confirm",
                       kwargs={"uidb64": context["uid"], "token": context["token"]})
        mail(to_email, "password_reset_link",
             {"username": user.get_username(), "path": path, "hours": hours_valid()},
             languages_of(user))


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = password_help()


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        people = list(form.get_users(form.cleaned_data["email"]))
        for user in people:
            record(Action.PASSWORD_RESET_REQUESTED, user, request=self.request)
        if not people:  # no account to write to: the request is kept, the address is not
            record(Action.PASSWORD_RESET_REQUESTED, None, request=self.request, matched=False)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        record(Action.PASSWORD_RESET_DONE, user, actor=user, request=self.request)
        mail(user.email, "password_reset_done", {"username": user.get_username(),
                                                 "reset_path": reverse("accounts:password_reset")},
             languages_of(user))
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
