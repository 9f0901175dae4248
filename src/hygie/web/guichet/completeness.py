"""What a file lacks before it can be submitted: each missing item named, per procedure."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hygie.web.guichet.models import Application, AttachmentKind

# Every procedure asks for these; a health data request (anonymised statistics) asks for less.
_PROJECT: list[tuple[str, Promise]] = [
    ("title", _("the project's title")),
    ("controller", _("the data controller")),
    ("purpose", _("the purpose")),
    ("public_interest", _("the public interest")),
    ("lay_summary", _("the lay summary in French")),
]
_FULL: list[tuple[str, Promise]] = [
    ("methodology", _("the methodology")),
    ("funding", _("the funding")),
    ("conflicts_of_interest", _("the conflicts of interest (write \"none\" if there are none)")),
    ("publication_plan", _("the publication plan")),
    ("outputs", _("the expected outputs")),
    ("processing", _("where the data will be processed")),
]


def missing(application: Application) -> list[str]:
    """The items to add before submitting, in the order of the form; empty when complete."""
    full = application.procedure != "ehds-request"
    wanted = _PROJECT + (_FULL if full else [])
    found = [str(label) for field, label in wanted
             if not str(getattr(application, field) or "").strip()]
    if application.procedure == "reference-methodology" and not application.reference_methodology:
        found.append(str(_("the reference methodology (MR-003 to MR-006)")))
    if not application.datasets.exists():
        found.append(str(_("at least one dataset in the scope")))
    if not (application.variables or application.cohort_id or application.program):
        found.append(str(_("the population: tables and variables, a saved cohort or a library "
                           "program")))
    if application.period_start is None or application.period_end is None:
        found.append(str(_("the period of the data")))
    elif application.period_end < application.period_start:
        found.append(str(_("a period that ends after it starts")))
    if application.linkage and not application.linkage_detail.strip():
        found.append(str(_("what the data are to be linked with, and how")))
    if full:
        if not application.duration_months:
            found.append(str(_("the duration of the processing")))
        if not application.team.filter(role="investigator").exists():
            found.append(str(_("the principal investigator")))
        kinds = set(application.attachments.values_list("kind", flat=True))
        needed = (AttachmentKind.CONFORMITY if application.procedure == "reference-methodology"
                  else AttachmentKind.PROTOCOL)
        if needed not in kinds:
            found.append(str(_("the %(document)s (attached)") % {
                "document": str(dict(AttachmentKind.choices)[str(needed)]).lower()}))
    return found
