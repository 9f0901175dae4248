"""The register's words for what the procedures name in English code: procedures, stages, steps,
opinions and the facts a decision records, translated. A name a description adds without a label
here is shown as the description writes it."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hygie.access import procedures
from hygie.access.description import Clock

PROCEDURES: dict[str, Promise] = {
    "authorisation": _("Authorisation (CESREES opinion, CNIL decision)"),
    "reference-methodology": _("Declaration of conformity to a reference methodology"),
    "ehds-permit": _("EHDS data permit"),
    "ehds-request": _("EHDS health data request"),
}

STAGES: dict[str, Promise] = {
    "draft": _("Draft"),
    "submitted": _("Under review by the access body"),
    "incomplete": _("Returned to the applicant for completion"),
    "cesrees": _("Before the CESREES"),
    "cnil": _("Before the CNIL"),
    "authorised": _("Authorised"),
    "declared": _("Declared conformant"),
    "granted": _("Data permit granted"),
    "answered": _("Answered"),
    "refused": _("Refused"),
    "withdrawn": _("Withdrawn"),
    "amendment": _("Amendment under review by the access body"),
    "amendment_cesrees": _("Amendment before the CESREES"),
    "amendment_cnil": _("Amendment before the CNIL"),
    "suspended": _("Suspended"),
    "revoked": _("Revoked"),
    "expired": _("Ended"),
}

STEPS: dict[str, Promise] = {
    "submit": _("Application submitted"),
    "request_complements": _("Complements requested"),
    "request_completion": _("Completion requested"),
    "forward_to_cesrees": _("Forwarded to the CESREES"),
    "cesrees_opinion": _("Opinion of the CESREES"),
    "cesrees_deemed": _("CESREES opinion deemed given (no opinion within one month)"),
    "cnil_extension": _("CNIL period extended"),
    "cnil_authorisation": _("Authorised by the CNIL"),
    "cnil_refusal": _("Refused by the CNIL"),
    "request_amendment": _("Amendment requested"),
    "amendment_to_cesrees": _("Amendment forwarded to the CESREES"),
    "amendment_to_cnil": _("Amendment forwarded to the CNIL"),
    "amendment_opinion": _("Opinion of the CESREES on the amendment"),
    "amendment_deemed": _("CESREES opinion on the amendment deemed given"),
    "amendment_authorised": _("Amendment authorised"),
    "amendment_refused": _("Amendment refused"),
    "withdraw_amendment": _("Amendment withdrawn"),
    "suspend": _("Authorisation suspended"),
    "lift_suspension": _("Suspension lifted"),
    "revoke": _("Revoked"),
    "expire": _("End date reached"),
    "withdraw": _("Withdrawn by the applicant"),
    "record_conformity": _("Declaration of conformity recorded"),
    "extend_decision": _("Period for the decision extended"),
    "grant_permit": _("Data permit granted"),
    "refuse": _("Refused"),
    "approve_result": _("Anonymised statistical result approved"),
}

OPINIONS: dict[str, Promise] = {
    "favourable": _("Favourable"),
    "favourable-with-recommendations": _("Favourable with recommendations"),
    "unfavourable": _("Unfavourable"),
    "deemed": _("Deemed given (no opinion within the period)"),
}

FACTS: dict[str, Promise] = {
    "opinion": _("Opinion"),
    "reasons": _("Reasons"),
    "reason": _("Reasons"),
    "scope": _("Scope authorised"),
    "conditions": _("Conditions"),
    "until": _("Until"),
    "result": _("Result released"),
    "methodology": _("Reference methodology"),
    "reference": _("Decision reference"),
}


def procedure(name: str) -> str:
    label = PROCEDURES.get(name)
    if label is not None:
        return str(label)
    proc = procedures().get(name)
    return proc.title if proc is not None else name


def stage(name: str) -> str:
    return str(STAGES.get(name, name))


def step(kind: str) -> str:
    return str(STEPS.get(kind, kind))


def opinion(value: str) -> str:
    return str(OPINIONS.get(value, value))


def fact(key: str) -> str:
    return str(FACTS.get(key, key))


def said(label: object, value: object) -> str:
    """"Label: value", as the language writes it (French puts a space before the colon)."""
    return str(_("%(label)s: %(value)s")) % {"label": label, "value": value}


def period(clock: Clock) -> str:
    """A legal period as people say it: "7 days", "1 month", "2 months, renewable once"."""
    n = clock.length
    said = {"days": ngettext("%(n)d day", "%(n)d days", n),
            "working_days": ngettext("%(n)d working day", "%(n)d working days", n),
            "months": ngettext("%(n)d month", "%(n)d months", n)}[clock.unit] % {"n": n}
    if clock.extension is not None:
        said = str(_("%(period)s, renewable once")) % {"period": said} \
            if clock.extension.times == 1 else str(_("%(period)s, renewable")) % {"period": said}
    return said
