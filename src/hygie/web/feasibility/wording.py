"""The steps of a count as a person reads them, in the reader's language.

The engine labels each step in English for logs and the command line ("entry: diagnosed
entry_1, first in 2019-01-01..2023-12-31"). Pages and the API write them again from the
definition, with the codes and, where the packaged nomenclatures know them, their names:
"Entrée : diagnostic CIM-10 E11* (Diabète sucré de type 2), la première fois en 2019–2023".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from functools import cache
from importlib import resources
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hygie.cohorts.compile import DEFAULT_WINDOW
from hygie.cohorts.model import (
    ACT_SOURCES,
    DIAGNOSIS_SOURCES,
    Act,
    AgeAtIndex,
    AgeOn,
    AldActive,
    Alive,
    Cohort,
    ContinuousCoverage,
    Department,
    Diagnosed,
    Died,
    Dispensed,
    EventCriterion,
    HospitalisedFor,
    InCohort,
    Lab,
    Region,
    Sex,
)

SHOWN_CODES = 5  # a long code list is shown by its first codes and how many more
CIM10, CCAM, NABM = "IR_CIM_V", "IR_CCAM_V63", "IR_BIO_R"


# --- code names from the packaged nomenclatures -------------------------------------------------


@cache
def _nomenclature_labels(name: str) -> dict[str, str]:
    from hygie.snds.nomenclatures import nomenclature

    try:
        return {k.strip(): v.strip() for k, v in nomenclature(name).labels().items() if v}
    except (KeyError, OSError):  # a deployment without the code lists: codes alone
        return {}


@cache
def _drug_labels() -> dict[str, dict[str, str]]:
    """ATC and CIP13 codes of the packaged drug list -> the substance (and presentation)."""
    out: dict[str, dict[str, str]] = {"ATC": {}, "CIP13": {}}
    try:
        text = (resources.files("hygie") / "data" / "drugs.csv").read_text(encoding="utf-8")
        for row in csv.DictReader(io.StringIO(text), delimiter=";"):
            out["ATC"].setdefault(row["ATC"], row["SUBSTANCE"])
            out["CIP13"][row["CIP13"]] = f"{row['SUBSTANCE']} {row['PRESENTATION']}"
    except (OSError, KeyError):
        pass
    return out


def code_label(system: str, code: str) -> str:
    """The name of a code (or of a prefix, `E11*`) in its system, or ""."""
    code = code.rstrip("*")
    if system == "CIM10":
        return _nomenclature_labels(CIM10).get(code, "")
    if system == "CCAM":
        return _nomenclature_labels(CCAM).get(code, "")
    if system == "NABM":
        return _nomenclature_labels(NABM).get(code.lstrip("0") or "0", "")
    return _drug_labels().get(system, {}).get(code, "")


def system_name(system: str) -> str:
    return {"CIM10": _("ICD-10"), "ATC": "ATC", "CIP13": "CIP13", "CCAM": "CCAM",
            "NABM": "NABM"}.get(system, system)


def _codes(cohort: Cohort, name: str) -> str:
    """A code list as "CIM-10 E11* (Diabète sucré de type 2), E10* (...)"."""
    codelist = cohort.codelists.get(name)
    if codelist is None:
        return name
    shown = []
    for code in codelist.codes[:SHOWN_CODES]:
        label = code_label(codelist.system, str(code))
        shown.append(f"{code} ({label})" if label else str(code))
    text = f"{system_name(codelist.system)} {', '.join(shown)}"
    more = len(codelist.codes) - SHOWN_CODES
    if more > 0:
        text += " " + ngettext("and %(n)s more code", "and %(n)s more codes", more) % {"n": more}
    return text


# --- days, windows and periods ------------------------------------------------------------------


def day(value: dt.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _relative(n: int) -> str:
    if n == 0:
        return _("the index date")
    if n < 0:
        return ngettext("%(n)s day before the index date", "%(n)s days before the index date",
                        -n) % {"n": -n}
    return ngettext("%(n)s day after the index date", "%(n)s days after the index date",
                    n) % {"n": n}


def window(value: tuple[int | None, int | None]) -> str:
    start, end = value
    if start is None and end is None:
        return _("at any time")
    if start is None:
        return _("up to %(end)s") % {"end": _relative(end or 0)}
    if end is None:
        return _("from %(start)s on") % {"start": _relative(start)}
    if start == end:
        return _("on %(day)s") % {"day": _relative(start)}
    return _("between %(start)s and %(end)s") % {"start": _relative(start), "end": _relative(end)}


def span(first: dt.date, last: dt.date) -> str:
    """A span of days; whole calendar years read as years ("in 2019–2023")."""
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31):
        years = str(first.year) if first.year == last.year else f"{first.year}–{last.year}"
        return _("in %(years)s") % {"years": years}
    return _("from %(first)s to %(last)s") % {"first": day(first), "last": day(last)}


# --- criteria -----------------------------------------------------------------------------------


def _sources(c: EventCriterion) -> str:
    """Where the events are read, when not in all the sources of their kind."""
    given = set(getattr(c, "in_", None) or ())
    if isinstance(c, Diagnosed) and given and given != set(DIAGNOSIS_SOURCES):
        names = {"pmsi_main": _("main diagnosis of a hospital stay"),
                 "pmsi_related": _("related diagnosis of a hospital stay"),
                 "pmsi_associated": _("associated diagnosis of a hospital stay"),
                 "ald": _("long-term illness (ALD)")}
        return " " + _("as %(sources)s") % {
            "sources": _(" or ").join(names.get(s, s) for s in c.sources)}
    if isinstance(c, Act) and given and given != set(ACT_SOURCES):
        names = {"dcir_act": _("in town (DCIR)"), "pmsi_act": _("in hospital (PMSI)")}
        return " " + _(" or ").join(names.get(s, s) for s in c.sources)
    return ""


def event(cohort: Cohort, c: EventCriterion) -> str:
    what = {Diagnosed: _("diagnosis %(codes)s"),
            HospitalisedFor: _("hospital stay for %(codes)s"),
            Dispensed: _("drug dispensed %(codes)s"),
            Act: _("medical act %(codes)s"),
            Lab: _("laboratory test %(codes)s")}.get(type(c), "%(codes)s")
    text = what % {"codes": _codes(cohort, c.codelist)} + _sources(c)
    if c.at_least > 1 and c.within:
        text += " " + ngettext("at least %(n)s times within %(days)s day",
                               "at least %(n)s times within %(days)s days",
                               c.within) % {"n": c.at_least, "days": c.within}
    elif c.at_least > 1:
        text += " " + _("at least %(n)s times") % {"n": c.at_least}
    return text


def _ages(low: int | None, high: int | None) -> str:
    if high is None:
        return _("aged %(min)s or over") % {"min": low or 0}
    if low is None or low == 0:
        return _("aged %(max)s or under") % {"max": high}
    return _("aged %(min)s to %(max)s") % {"min": low, "max": high}


def criterion(cohort: Cohort, c: Any) -> str:
    """One require or exclude criterion, without its "Required:"."""
    if isinstance(c, EventCriterion):
        when = span(*c.calendar) if c.calendar else window(c.window or DEFAULT_WINDOW)
        return f"{event(cohort, c)} {when}"
    if isinstance(c, AgeAtIndex):
        ages = c.age_at_index
        return _("%(ages)s at the index date") % {"ages": _ages(ages.min, ages.max)}
    if isinstance(c, AgeOn):
        return _("%(ages)s on %(day)s") % {"ages": _ages(c.age_on.min, c.age_on.max),
                                            "day": day(c.age_on.date)}
    if isinstance(c, Sex):
        return _("men") if c.sex == "male" else _("women")
    if isinstance(c, Region):
        from hygie.cohorts.codes import region_names

        names = region_names()
        regions = ", ".join(f"{r} ({names[r]})" if r in names else r for r in c.region)
        return _("living in region %(regions)s") % {"regions": regions}
    if isinstance(c, Department):
        return _("living in department %(departments)s") % {
            "departments": ", ".join(c.department)}
    if isinstance(c, Died):
        if c.codelist:
            return _("died of %(codes)s %(when)s") % {"codes": _codes(cohort, c.codelist),
                                                     "when": window(c.window)}
        return _("died %(when)s") % {"when": window(c.window)}
    if isinstance(c, Alive):
        return _("alive on %(day)s") % {"day": day(c.alive)}
    if isinstance(c, AldActive):
        return _ald(cohort, c)
    if isinstance(c, ContinuousCoverage):
        return _("continuously covered %(when)s") % {"when": window(c.window)}
    if isinstance(c, InCohort):
        return _("in the cohort %(name)s %(when)s") % {"name": c.in_cohort,
                                                       "when": window(c.window)}
    return str(c.describe())


def _ald(cohort: Cohort, c: AldActive) -> str:
    codes = _codes(cohort, c.ald_active)
    if c.on is not None:
        return _("long-term illness (ALD) for %(codes)s active on %(day)s") % {
            "codes": codes, "day": day(c.on)}
    if c.throughout is not None:
        return _("long-term illness (ALD) for %(codes)s active throughout %(span)s") % {
            "codes": codes, "span": span(*c.throughout)}
    return _("long-term illness (ALD) for %(codes)s active on the index date") % {"codes": codes}


def entry(cohort: Cohort) -> str:
    e, period = cohort.entry, cohort.period
    if e.registered_on is not None:
        what = _("registered and alive on %(day)s") % {"day": day(e.registered_on)}
    elif e.reimbursed_care:
        what = _("reimbursed care, the first time %(span)s") % {
            "span": span(period.start, period.end)}
    else:
        events = _(" or ").join(event(cohort, c) for c in e.any_of)
        what = _("%(events)s, the first time %(span)s") % {
            "events": events, "span": span(period.start, period.end)}
    return _("Entry: %(what)s") % {"what": what}


def steps(cohort: Cohort) -> list[str]:
    """The label of each step of the attrition table: the entry, then each criterion."""
    out = [entry(cohort)]
    for how, c in cohort.criteria:
        text = criterion(cohort, c)
        out.append((_("Required: %(what)s") if how == "require" else _("Excluded: %(what)s"))
                   % {"what": text})
    return out


def count_rows(saved: Any) -> list[tuple[str, str]]:
    """(label, mark) of a saved cohort's counts, labelled from its definition in the reader's
    language; the stored English labels when the definition no longer loads or no longer has
    as many steps (counts are dropped when it changes, so this should not happen)."""
    from hygie.cohorts.model import DefinitionError
    from hygie.web.feasibility import definitions

    stored = [(str(label), str(mark)) for label, mark in saved.counts]
    try:
        labels = steps(definitions.load(saved.definition))
    except DefinitionError:
        return stored
    if len(labels) != len(stored):
        return stored
    return [(label, mark) for label, (_old, mark) in zip(labels, stored, strict=True)]
