"""The words people read for what the procedures name in English: stages, procedures, who holds a
file, the roles steps are taken as. (What the steps do, the data they record and the engine's
refusals are the desk's: `wording`.)

The YAML descriptions (`hygie/data/procedures/`) are written for the engine and its messages; the
pages translate through this mapping, and fall back to the description's own words for a
procedure a deployment adds (tests check that every packaged stage and procedure has a label).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hygie.access import procedures
from hygie.web.guichet import wording

# One set of words for the stages, the desk's, so that a stage reads alike on every page.
STAGES: Mapping[str, Promise] = wording.STAGES

# The DSFR badge of each stage: what it means for the applicant at a glance.
_BADGES = {"authorised": "success", "declared": "success", "granted": "success",
           "answered": "success", "refused": "error", "revoked": "error",
           "incomplete": "warning", "suspended": "warning", "draft": "new",
           "withdrawn": "", "expired": ""}

PROCEDURES: dict[str, Promise] = {
    "authorisation": _("Authorisation (CESREES opinion, CNIL decision)"),
    "reference-methodology": _("Declaration of conformity to a reference methodology "
                               "(MR-003 to MR-006)"),
    "ehds-permit": _("EHDS data permit"),
    "ehds-request": _("EHDS health data request (anonymised statistical result)"),
}

# What each procedure is for, on the page where an applicant chooses one.
PROCEDURE_HINTS: dict[str, Promise] = {
    "authorisation": _("Research, studies or evaluations that need the opinion of the CESREES "
                       "and the authorisation of the CNIL."),
    "reference-methodology": _("A project that complies with one of the CNIL's reference "
                               "methodologies MR-003 to MR-006: a declaration of conformity, "
                               "checked by the secretariat."),
    "ehds-permit": _("Access to electronic health data under a European Health Data Space data "
                     "permit, decided within three months of a complete application."),
    "ehds-request": _("A European Health Data Space health data request: answered with "
                      "anonymised statistics only, never with individual data."),
}

# Who holds a file in a stage, from the stage's `label` in the description; a label that names
# no party (an authorisation in force, a data permit) means nobody has to act.
HOLDERS: dict[str, Promise] = {
    "the applicant": _("the applicant"),
    "the secretariat": _("the secretariat"),
    "the CESREES": _("the CESREES"),
    "the CNIL": _("the CNIL"),
    "the health data access body": _("the health data access body"),
}
NO_HOLDER = frozenset({"the authorisation", "the data permit"})

# The roles a step is taken as (`hygie.access.Role`), and the team's, as the timeline names them.
ROLES: dict[str, Promise] = {
    "applicant": _("applicant"),
    "team": _("team member"),
    "secretariat": _("secretariat"),
    "cesrees": _("CESREES"),
    "cnil": _("CNIL"),
    "data_holder": _("data holder"),
    "calendar": _("the calendar"),
}


def stage_label(stage: str) -> str:
    return str(STAGES.get(stage, stage))


def stage_badge(stage: str) -> str:
    """The DSFR badge modifier of a stage ("" for the plain badge); "info" while under review."""
    return _BADGES.get(stage, "info")


def procedure_title(name: str) -> str:
    if name in PROCEDURES:
        return str(PROCEDURES[name])
    proc = procedures().get(name)
    return proc.title if proc is not None else name


def holder(procedure: str, stage: str) -> str:
    """Who has to act on a file now, in the reader's language; "" when nobody has."""
    proc = procedures().get(procedure)
    if proc is None or stage in proc.final:
        return ""
    if stage == proc.start:
        return str(HOLDERS["the applicant"])
    label = proc.stages[stage].label if stage in proc.stages else ""
    if not label or label in NO_HOLDER:
        return ""
    return str(HOLDERS.get(label, label))


def applicant_holds(procedure: str, stage: str) -> bool:
    proc = procedures().get(procedure)
    return proc is not None and stage in proc.stages and proc.stages[stage].label == "the applicant"
