"""Pages of the self sign-up (`accounts.signup`): the form, "check your mailbox", resending the
verification e-mail, and the verification link.

The link's token leaves the address bar at once: the first visit keeps it in the session and
redirects to the same address with "confirm" in its place (as Django's password reset does), so
that it travels on neither in a Referer nor in the browser's history. Activating takes a button
(a POST): a mail filter that opens links to scan them does not verify anyone.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from hygie.web.accounts import signup
from hygie.web.accounts.forms import ResendForm, SignupForm
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record

SESSION_TOKEN = "hygie_signup_token"  # session key: the token of the link being opened
CONFIRM = "confirm"  # stands for the token in the address once it is in the session


def signup_form(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        signup.sign_up(form.cleaned_data, request=request)
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


def sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html", {"hours": signup.hours_valid()})


def resend(request: HttpRequest) -> HttpResponse:
    form = ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        signup.resend(form.cleaned_data["email"], request=request)
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup_resend.html", {"form": form})


def verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    if token != CONFIRM:
        request.session[SESSION_TOKEN] = token
        return redirect("accounts:signup_verify", uidb64=uidb64, token=CONFIRM)
    user, refused = signup.check_link(uidb64, request.session.get(SESSION_TOKEN, ""))
    if user is None or refused:
        record(Action.SIGNUP_LINK_REFUSED, user, request=request, reason=refused)
        request.session.pop(SESSION_TOKEN, None)
        return render(request, "accounts/signup_invalid.html", status=400)
    if request.method == "POST":
        request.session.pop(SESSION_TOKEN, None)
        if not signup.activate(user, request=request):
            record(Action.SIGNUP_LINK_REFUSED, user, request=request, reason="used")
            return render(request, "accounts/signup_invalid.html", status=400)
        messages.success(request, _("Your address is verified and your account is active. "
                                    "Sign in with your e-mail address and password."))
        return redirect(reverse("accounts:login"))
    return render(request, "accounts/signup_verify.html", {"email": user.email})
