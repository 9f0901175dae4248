"""The words of the procedures, for people: steps, stages, choices, fields, and the engine's
refusals.

A procedure's description (`hygie/data/procedures/*.yaml`) is English data: a step's `what`
("forward the file to the CESREES") is its own msgid here, listed with `gettext_noop` so that
makemessages finds it; a Choice value ("favourable-with-recommendations") and a need's key
("until") have a label. A packaged step, stage or choice with no French wording fails
`test_guichet_desk`, so a new YAML step cannot ship untranslated; a deployment's own procedure
reads in English until worded.

The engine (`hygie.access`) refuses in English, with a message built from the description. Each
refusal it can give is an English pattern here, matched in its message: it gives a reason code
(for the audit trail: never the person's own text) and the message people read, translated, with
the parts that vary (the step, the stage, the field) in their words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from hygie.access import ProcedureError, Role

# --- what the steps do (a step's `what`, as the descriptions write it) ----------------------------

STEP_WHAT = [
    gettext_noop("submit the application"),
    gettext_noop("submit the request"),
    gettext_noop("ask for complements"),
    gettext_noop("ask the applicant to complete the application"),
    gettext_noop("ask the applicant to complete the request"),
    gettext_noop("forward the file to the CESREES"),
    gettext_noop("consult a data holder"),
    gettext_noop("answer on the feasibility and the cost of the extraction"),
    gettext_noop("answer on the feasibility and the cost of making the data available"),
    gettext_noop("give the CESREES opinion"),
    gettext_noop("deem the CESREES opinion given"),
    gettext_noop("extend the CNIL's period"),
    gettext_noop("extend the period for the decision"),
    gettext_noop("extend the period for the answer"),
    gettext_noop("authorise the processing"),
    gettext_noop("refuse the processing"),
    gettext_noop("ask for an amendment"),
    gettext_noop("forward the amendment to the CESREES"),
    gettext_noop("forward the amendment to the CNIL"),
    gettext_noop("give the CESREES opinion on the amendment"),
    gettext_noop("deem the CESREES opinion on the amendment given"),
    gettext_noop("authorise the amendment"),
    gettext_noop("refuse the amendment"),
    gettext_noop("withdraw the amendment"),
    gettext_noop("suspend the authorisation"),
    gettext_noop("lift the suspension"),
    gettext_noop("revoke the authorisation"),
    gettext_noop("end the authorisation on its end date"),
    gettext_noop("grant the data permit"),
    gettext_noop("refuse the data permit"),
    gettext_noop("revoke the data permit"),
    gettext_noop("end the data permit on its end date"),
    gettext_noop("approve the anonymised statistical result"),
    gettext_noop("refuse the request"),
    gettext_noop("record the declaration of conformity"),
    gettext_noop("withdraw the application"),
    gettext_noop("withdraw the request"),
]

# What a lapse or an end date means (`says`), and what a Choice asks for (its `label`).
SAYS = [
    gettext_noop("its opinion is deemed given"),
    gettext_noop("its opinion on the amendment is deemed given"),
    gettext_noop("the authorisation has expired"),
    gettext_noop("the data permit has expired"),
]
CHOICE_LABELS = [
    gettext_noop("an answer on feasibility"),
    gettext_noop("an opinion of the CESREES"),
    gettext_noop("a reference methodology"),
    gettext_noop("what a health data request is answered with"),
]


PROCEDURE_TITLES = [
    gettext_noop("Authorisation (CESREES opinion, CNIL decision)"),
    gettext_noop("Declaration of conformity to a reference methodology (MR-003 to MR-006)"),
    gettext_noop("EHDS data permit"),
    gettext_noop("EHDS health data request (anonymised statistical result)"),
]


def what(text: str) -> str:
    """A step's `what` in the reader's language, as a button or a title says it."""
    return capfirst(gettext(text))


# --- stages ---------------------------------------------------------------------------------------

STAGES: Mapping[str, Promise] = {
    "draft": _("Draft"),
    "submitted": _("Submitted, under review"),
    "incomplete": _("Returned to the applicant for completion"),
    "cesrees": _("Before the CESREES"),
    "cnil": _("Before the CNIL"),
    "authorised": _("Authorised"),
    "amendment": _("Amendment under review"),
    "amendment_cesrees": _("Amendment before the CESREES"),
    "amendment_cnil": _("Amendment before the CNIL"),
    "suspended": _("Authorisation suspended"),
    "refused": _("Refused"),
    "withdrawn": _("Withdrawn"),
    "revoked": _("Revoked"),
    "expired": _("Ended (end date passed)"),
    "granted": _("Data permit granted"),
    "answered": _("Answered (statistical result approved)"),
    "declared": _("Conformity declared"),
}


def stage(name: str) -> str:
    label = STAGES.get(name)
    return str(label) if label is not None else name


# --- the values a step records, and its fields ----------------------------------------------------

CHOICES: Mapping[str, Promise] = {
    "favourable": _("Favourable"),
    "favourable-with-recommendations": _("Favourable, with recommendations"),
    "unfavourable": _("Unfavourable"),
    "deemed": _("Deemed given (no opinion within the period)"),
    "feasible": _("Feasible"),
    "feasible-with-conditions": _("Feasible, with conditions"),
    "not-feasible": _("Not feasible"),
    "anonymised-statistics": _("Anonymised statistics"),
    "MR-003": _("MR-003: research involving human persons, without their consent being "
                "collected"),
    "MR-004": _("MR-004: research not involving human persons, studies and evaluations in "
                "health"),
    "MR-005": _("MR-005: studies of PMSI or emergency (RPU) data by health establishments"),
    "MR-006": _("MR-006: studies of PMSI data by health industry companies"),
}


def choice(value: str) -> str:
    label = CHOICES.get(value)
    return str(label) if label is not None else value


FIELDS: Mapping[str, Promise] = {
    "reason": _("Reason"),
    "reasons": _("Reasons"),
    "scope": _("Scope authorised"),
    "conditions": _("Conditions"),
    "until": _("End date"),
    "change": _("Change asked for"),
    "holder": _("Data holder"),
    "feasibility": _("Feasibility"),
    "cost": _("Cost"),
    "result": _("Reference of the statistical result"),
    "opinion": _("Opinion"),
    "methodology": _("Reference methodology"),
    "output": _("Output"),
}


def field(key: str) -> str:
    label = FIELDS.get(key)
    return str(label) if label is not None else key


# What a field is for in one step, when its label alone would not say it.
HINTS: Mapping[tuple[str, str], Promise] = {
    ("request_complements", "reason"): _("List the complements asked for: the applicant reads "
                                         "this text."),
    ("request_completion", "reason"): _("List what the application lacks: the applicant reads "
                                        "this text."),
    ("extend_decision", "reason"): _("Why the period is extended: the applicant reads this "
                                     "text."),
    ("cesrees_opinion", "reasons"): _("The committee's reasons, given with its opinion."),
    ("amendment_opinion", "reasons"): _("The committee's reasons, given with its opinion."),
    ("consult_holder", "holder"): _("The holders of the datasets in the file's scope."),
    ("holder_answer", "cost"): _("The cost of the extraction, or \"none\"."),
    ("request_amendment", "change"): _("Only the change is reviewed: describe it fully."),
    ("approve_result", "result"): _("The reference of the result released to the applicant."),
}


def hint(kind: str, key: str) -> str:
    text = HINTS.get((kind, key))
    return str(text) if text is not None else ""


# --- roles ----------------------------------------------------------------------------------------

AS_ROLE: Mapping[str, Promise] = {  # the headings of the steps a person may take, by role
    Role.APPLICANT: _("As the applicant"),
    Role.SECRETARIAT: _("As the secretariat"),
    Role.CESREES: _("As a member of the CESREES"),
    Role.CNIL: _("As the CNIL"),
    Role.DATA_HOLDER: _("As a data holder"),
}

# "only the CESREES may give the CESREES opinion", one sentence per role (French articles vary).
ONLY: Mapping[str, Promise] = {
    "the applicant": _("Only the applicant may take the step “%(what)s”."),
    "the secretariat": _("Only the secretariat may take the step “%(what)s”."),
    "the CESREES": _("Only the CESREES may take the step “%(what)s”."),
    "the CNIL": _("Only the CNIL may take the step “%(what)s”."),
    "a data holder": _("Only a data holder may take the step “%(what)s”."),
    "the calendar": _("The step “%(what)s” is taken by the calendar, when a deadline passes."),
}

# --- the engine's refusals ------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """An engine refusal as people read it: `code` for the audit trail, `message` translated."""

    code: str
    message: str


def _quoted(text: str) -> str:
    """A value the engine wrote with repr(): 'reason' -> reason."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def _day(iso: str) -> str:
    try:
        return date_format(date.fromisoformat(iso), "DATE_FORMAT")
    except ValueError:
        return iso


def _either(choices: str) -> str:
    """The engine's "a, b or c", each value in its label."""
    values = re.split(r", | or ", choices)
    return ", ".join(choice(_quoted(v)) for v in values)


# Each refusal: (reason code, the engine's English message with %(name)s for the parts that vary,
# what people read). More specific patterns come first.
ENGINE: list[tuple[str, str, Promise]] = [
    ("role", "only %(who)s may %(what)s", _("Only %(who)s may take the step “%(what)s”.")),
    ("stage", "cannot %(what)s: the application is %(stage)s",
     _("“%(what)s” is not possible now: the file is at the stage “%(stage)s”.")),
    ("late", "%(label)s had until %(day)s: %(says)s",
     _("The deadline was %(day)s: %(says)s.")),
    ("extension", "%(label)s's period can be extended once only",
     _("This period can be extended once only.")),
    ("extension", "%(label)s's period can be extended %(times)s times only",
     _("This period can be extended %(times)s times only.")),
    ("missing", "%(kind)s needs 'path', the procedure to follow: %(choices)s",
     _("The file names no procedure.")),
    ("missing", "%(kind)s needs %(key)s", _("“%(field)s” is required.")),
    ("choice", "%(value)s is not %(label)s: choose %(choices)s",
     _("Choose %(label)s: %(choices)s.")),
    ("procedure", "path must be one of %(choices)s, not %(value)s",
     _("The file names an unknown procedure.")),
    ("procedure", "the application follows the %(name)s procedure, not %(path)s",
     _("The file follows another procedure.")),
    ("text", "%(key)s must be text, not %(value)s", _("“%(field)s” must be text.")),
    ("date", "%(key)s must be a date after %(day)s, not %(value)s",
     _("“%(field)s” must be a date after %(day)s.")),
    ("date", "%(key)s must be a date (YYYY-MM-DD), not %(value)s",
     _("“%(field)s” must be a date (YYYY-MM-DD).")),
    ("choice", "%(key)s must be %(choices)s, not %(value)s",  # after the other "must be"s
     _("“%(field)s”: choose %(choices)s.")),
    ("unknown", "unknown event %(kind)s: the %(name)s procedure has no such step",
     _("The procedure of this file has no such step.")),
    ("order", "events are applied in the order they happened",
     _("A later step is already recorded on this file: reload it.")),
    ("calendar", "no deadline runs out in the %(stage)s stage",
     _("No deadline has run out on this file.")),
    ("calendar", "%(label)s has until %(day)s", _("The deadline is %(day)s.")),
    ("result", "the request has no released result: its saved cohort must be counted first",
     _("The request has no released result yet: the counts of its saved cohort must be run "
       "first.")),
]


def _parts(found: dict[str, str]) -> dict[str, str]:
    """The varying parts of a refusal, in the reader's words."""
    out: dict[str, str] = {}
    for name, value in found.items():
        if name == "what":
            out[name] = what(value)
        elif name == "stage":
            out[name] = stage(value)
        elif name in ("says", "label"):  # texts of the description
            out[name] = gettext(value)
        elif name == "day":
            out[name] = _day(value)
        elif name == "choices":
            out[name] = _either(value)
        elif name in ("key", "kind"):
            out["field"] = field(_quoted(value))
            out[name] = value
        else:
            out[name] = value
    return out


@cache
def _pattern(english: str) -> re.Pattern[str]:
    parts, last = [], 0
    for m in re.finditer(r"%\((\w+)\)s", english):
        parts.append(re.escape(english[last:m.start()]))
        parts.append(f"(?P<{m.group(1)}>.*?)")
        last = m.end()
    parts.append(re.escape(english[last:]))
    return re.compile("".join(parts), re.DOTALL)


def refusal(error: ProcedureError) -> Refusal:
    """The engine's refusal for people; one it cannot read is shown as it is (English)."""
    text = str(error)
    for code, english, message in ENGINE:
        m = _pattern(english).fullmatch(text)
        if m is None:
            continue
        found = m.groupdict()
        if code == "role":
            sentence = ONLY.get(found["who"])
            if sentence is not None:
                return Refusal(code, str(sentence) % {"what": what(found["what"])})
        return Refusal(code, str(message) % _parts(found))
    return Refusal("other", text)


# --- for the tests and the docs: everything a packaged procedure names ----------------------------


def words_of(procedures: Iterable[Any]) -> dict[str, set[str]]:
    """What the procedures name that people read: step `what`s, stages, choices, fields, lapses."""
    from hygie.access.description import Choice

    found: dict[str, set[str]] = {"what": set(), "stage": set(), "choice": set(),
                                  "field": set(), "says": set(), "choice_label": set(),
                                  "title": set()}
    for proc in procedures:
        found["title"].add(proc.title)
        for name, spec in proc.stages.items():
            found["stage"].add(name)
            if spec.ends is not None:
                found["says"].add(spec.ends.says)
        for clock in proc.clocks.values():
            if clock.lapse is not None:
                found["says"].add(clock.lapse.says)
        for step in proc.steps.values():
            found["what"].add(step.what)
            for key, need in step.needs.items():
                found["field"].add(key)
                if isinstance(need, Choice):
                    found["choice"].update(need.choice)
                    if need.label:
                        found["choice_label"].add(need.label)
            for key, value in step.records.items():
                found["field"].add(key)
                found["choice"].add(value)
    return found
