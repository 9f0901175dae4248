"""The results of authorised projects: when they are due, and the form that adds one.

A project publishes its results within 18 months of the end of its processing (Regulation (EU)
2025/327, art. 61(4); the register applies the same rule to every procedure): the end is the
authorisation's (or permit's) end date, or the day it stopped earlier (revoked, withdrawn); for a
health data request, the day the answer was given; for a declaration of conformity, the declared
duration from the day it was recorded. A file with no such end owes no result yet.
"""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from hygie.access import procedures
from hygie.access.calendar import add_months
from hygie.access.procedure import day_of
from hygie.web.guichet.models import Application, Result

RESULTS_WITHIN_MONTHS = 18


def processing_end(application: Application) -> date | None:
    """The last day of the project's processing, as far as the file says; None when none."""
    proc = procedures().get(application.procedure)
    final = proc is not None and application.stage in proc.final
    if application.ends is not None:
        end = application.ends
        if final:  # ended early (revoked, withdrawn), or on the end date itself (expired)
            since = _stage_since(application)
            end = min(end, day_of(since)) if since is not None else end
        return end
    if application.decided is None:
        return None
    if application.stage == "answered":
        return day_of(application.decided)
    if application.stage == "declared" and application.duration_months:
        return add_months(day_of(application.decided), application.duration_months)
    return None


def results_due(application: Application) -> date | None:
    """The last day to publish the project's results; None when none is due."""
    end = processing_end(application)
    return None if end is None else add_months(end, RESULTS_WITHIN_MONTHS)


def _stage_since(application: Application) -> datetime | None:
    if hasattr(application, "stage_since"):  # annotated by `entries.public`
        since: datetime | None = application.stage_since
        return since
    event = (application.events.filter(stage_after=application.stage)
             .exclude(stage_before=application.stage).order_by("-seq").first())
    return None if event is None else event.at


class ResultForm(forms.ModelForm):
    link = forms.URLField(
        label=_("Link (DOI or address)"), required=False, max_length=200, assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("An address starting with https:// or http://, e.g. https://doi.org/..."))

    class Meta:
        model = Result
        fields = ["kind", "title", "link", "published"]
        widgets = {"published": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "title": forms.TextInput()}
        help_texts = {"title": _("For a publication, its reference; with no result, the reason.")}

    def __init__(self, *args: object, today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_published(self) -> date:
        published: date = self.cleaned_data["published"]
        if published > self.today:
            raise forms.ValidationError(_("A result is added once published: give a date that "
                                          "is not in the future."))
        return published
