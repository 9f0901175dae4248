"""The form-based cohort builder's output: a definition in the targeting language (docs/cohorts.md).

The builder covers the common case: a study period, entry events (any of), then require/exclude
criteria (an event in a window, at least N times; age at index; sex). `build(...)` turns the rows
of the form into the definition as a dict, with a map from each place of the definition back to
the form row that made it, so that `Cohort` errors can be shown next to the right field.

`rows_of(cohort)` goes the other way, for a definition the form can express (otherwise
`NotExpressible` says, place by place, what the form lacks): the form opens any such definition,
and saving it unchanged gives the same definition back. The code lists' names, and the
definition's own name, title and description, are kept for that.

`event_tables` and `lacking` say which tables of a dataset an event reads, so that the builder
offers only the datasets that hold them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.utils.translation import gettext as _

from hygie.cohorts.codes import SYSTEMS
from hygie.cohorts.events import tables_read
from hygie.cohorts.model import (
    ACT_SOURCES,
    CRITERIA,
    EVENT_KINDS,
    AgeAtIndex,
    Cohort,
    Diagnosed,
    EventCriterion,
    Sex,
)
from hygie.cohorts.model import DIAGNOSIS_SOURCES as ALL_DIAGNOSES

# Event kinds of the builder -> the code systems their code list may have (from the registry).
EVENT_SYSTEMS: dict[str, tuple[str, ...]] = {
    kind: cls.systems for kind in EVENT_KINDS
    if issubclass(cls := CRITERIA[kind], EventCriterion)}
DIAGNOSIS_SOURCES = {"all": None, "pmsi": ["pmsi_main", "pmsi_related", "pmsi_associated"],
                     "ald": ["ald"]}
MAX_ENTRIES = 10  # rows of each kind the form holds (a definition may have more: YAML editor)
MAX_RULES = 20


@dataclass
class Event:
    """A row of the builder about events: an entry event, or a require/exclude event criterion."""

    kind: str  # a key of EVENT_SYSTEMS
    codes: list[str]
    diagnosis_in: str = "all"  # a key of DIAGNOSIS_SOURCES (diagnoses only)
    at_least: int = 1
    within_days: int | None = None  # entry only
    window: tuple[int | None, int | None] | None = None  # require/exclude only, in days
    row: int = 0  # the form row it comes from (1, 2, ...); 0: its position in the list
    codelist: str = ""  # the code list's name to keep; "": named after the row (entry_1)


@dataclass
class Rule:
    """A require/exclude row: an event, an age range at the index date, or a sex."""

    mode: str  # "require" or "exclude"
    event: Event | None = None
    age_min: int | None = None
    age_max: int | None = None
    sex: str = ""
    row: int = 0  # as Event.row


@dataclass
class Built:
    definition: dict[str, Any]
    # place prefix in the definition -> ("entry" or "rule", row index in the form, from 0)
    rows: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def yaml(self) -> str:
        return to_yaml(self.definition)

    def row_of(self, place: str) -> tuple[str, int, str] | None:
        """(group, row, rest of the place) of a problem's place, or None for the whole form."""
        for prefix in sorted(self.rows, key=len, reverse=True):
            if place == prefix or place.startswith((prefix + ".", prefix + "[")):
                group, index = self.rows[prefix]
                return group, index, place[len(prefix):].lstrip(".")
        return None


def split_codes(text: str) -> list[str]:
    """Codes typed in a field, separated by commas, semicolons or spaces; upper case, once each."""
    return list(dict.fromkeys(c.upper() for c in re.split(r"[\s,;]+", text) if c))


def identifier(title: str) -> str:
    """A definition `name` (letters, digits, _; a letter first) from a free-text title."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9]+", "_", ascii_text).strip("_").lower()
    if not name or not name[0].isalpha():
        name = f"cohort_{name}".rstrip("_")
    return name[:64].rstrip("_")


def _system(event: Event) -> str:
    """The first system of the kind that reads every code (ATC substances, or CIP13
    presentations); else the first, whose check then names the codes it cannot read."""
    systems = EVENT_SYSTEMS[event.kind]
    for name in systems:
        try:
            for code in event.codes:
                SYSTEMS[name].normalise(code)
        except ValueError:
            continue
        return name
    return systems[0]


def _days(n: int) -> str:
    return f"{n} day" if abs(n) == 1 else f"{n} days"


def _event(event: Event, codelist: str) -> dict[str, Any]:
    out: dict[str, Any] = {event.kind: codelist}
    if event.kind == "diagnosed" and DIAGNOSIS_SOURCES.get(event.diagnosis_in):
        out["in"] = DIAGNOSIS_SOURCES[event.diagnosis_in]
    if event.at_least > 1:
        out["at_least"] = event.at_least
    if event.within_days is not None:
        out["within"] = _days(event.within_days)
    if event.window is not None and event.window != (None, None):
        out["window"] = [None if d is None else _days(d) for d in event.window]
    return out


_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def build(title: str, start: dt.date, end: dt.date, entries: list[Event],
          rules: list[Rule], *, name: str = "", description: str = "") -> Built:
    """The definition of the builder's rows, unchecked (`Cohort.from_dict` checks it). `name`
    is the definition's name (default: made from the title)."""
    codelists: dict[str, Any] = {}
    built = Built({})
    events = [*entries, *(r.event for r in rules if r.event is not None)]
    kept = {e.codelist for e in events if _NAME.match(e.codelist)}

    def codelist(default: str, event: Event) -> str:
        name = event.codelist if event.codelist in kept and event.codelist not in codelists \
            else default
        while name in codelists or (name != event.codelist and name in kept):
            name += "_"  # another row keeps this name
        codelists[name] = {"system": _system(event), "codes": event.codes}
        return name

    # Code lists are named after the form rows (entry_1, criterion_4), as the form shows them.
    any_of: list[dict[str, Any]] = []
    for i, event in enumerate(entries):
        row = event.row or i + 1
        listed = codelist(f"entry_{row}", event)
        built.rows[f"codelists.{listed}"] = ("entry", row - 1)
        built.rows[f"entry.any_of[{len(any_of)}]"] = ("entry", row - 1)
        any_of.append(_event(event, listed))
    lists: dict[str, list[dict[str, Any]]] = {"require": [], "exclude": []}
    for i, rule in enumerate(rules):
        row = rule.row or i + 1
        target = lists[rule.mode]
        if rule.event is not None:
            listed = codelist(f"criterion_{row}", rule.event)
            built.rows[f"codelists.{listed}"] = ("rule", row - 1)
            item = _event(rule.event, listed)
        elif rule.sex:
            item = {"sex": rule.sex}
        else:
            bounds = {k: v for k, v in (("min", rule.age_min), ("max", rule.age_max))
                      if v is not None}
            item = {"age_at_index": bounds}
        built.rows[f"{rule.mode}[{len(target)}]"] = ("rule", row - 1)
        target.append(item)
    definition: dict[str, Any] = {"name": name or identifier(title), "title": title}
    if description:
        definition["description"] = description
    definition.update({"period": {"start": start, "end": end},
                       "codelists": codelists, "entry": {"any_of": any_of}})
    definition.update({k: v for k, v in lists.items() if v})
    built.definition = definition
    return built


# --- from a definition back to the rows --------------------------------------------------------


class NotExpressible(ValueError):
    """The form cannot show a definition; `reasons` are (place, what the form lacks)."""

    def __init__(self, reasons: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in reasons))
        self.reasons = reasons


@dataclass
class Rows:
    """What the form shows of a definition."""

    title: str
    name: str  # the definition's name
    description: str
    start: dt.date
    end: dt.date
    entries: list[Event]
    rules: list[Rule]


def _diagnosis_in(sources: list[str]) -> str | None:
    for key, preset in DIAGNOSIS_SOURCES.items():
        if set(sources) == set(preset or ALL_DIAGNOSES):
            return key
    return None


def _event_row(c: EventCriterion, place: str, cohort: Cohort,
               reasons: list[tuple[str, str]]) -> Event:
    """The row of an event criterion, adding to `reasons` what the form cannot show of it."""
    event = Event(kind=c.kind, codes=[str(code) for code in cohort.codelists[c.codelist].codes],
                  at_least=c.at_least, within_days=c.within, window=c.window,
                  codelist=c.codelist)
    if c.in_year is not None or c.between is not None:
        reasons.append((place, _("a calendar window (in_year, between) is not in the form")))
    if c.window is not None and c.window[1] is None:
        reasons.append((f"{place}.window", _("a window open after the index date is not in the "
                                              "form")))
    if isinstance(c, Diagnosed):
        key = _diagnosis_in(list(c.in_))
        if key is None:
            reasons.append((f"{place}.in", _("these diagnosis sources are not in the form")))
        event.diagnosis_in = key or "all"
    if c.kind == "act" and set(getattr(c, "in_", ACT_SOURCES)) != set(ACT_SOURCES):
        reasons.append((f"{place}.in", _("acts in town or in hospital only are not in the form")))
    codelist = cohort.codelists[c.codelist]
    if codelist.description:
        reasons.append((f"codelists.{c.codelist}.description",
                        _("a code list's description is not in the form")))
    if _system(event) != codelist.system:
        reasons.append((f"codelists.{c.codelist}.system",
                        _("the form would read these codes as %(system)s")
                        % {"system": _system(event)}))
    return event


def rows_of(cohort: Cohort) -> Rows:
    """The form's rows of a checked definition, or `NotExpressible`."""
    reasons: list[tuple[str, str]] = []
    entry = cohort.entry
    if entry.population:
        reasons.append(("entry", _("an entry population (registered_on, reimbursed_care) is not "
                                   "in the form")))
    if cohort.values:
        reasons.append(("values", _("values (a baseline table) are not in the form")))
    if not cohort.quality_filters:
        reasons.append(("quality_filters", _("turning the quality filters off is not in the "
                                             "form")))
    if len(entry.any_of) > MAX_ENTRIES:
        reasons.append(("entry.any_of", _("the form holds at most %(n)d entry events")
                        % {"n": MAX_ENTRIES}))
    if len(cohort.require) + len(cohort.exclude) > MAX_RULES:
        reasons.append(("require", _("the form holds at most %(n)d criteria") % {"n": MAX_RULES}))
    uses: dict[str, list[str]] = {}
    entries = []
    for i, event in enumerate(entry.any_of):
        place = f"entry.any_of[{i}]"
        uses.setdefault(event.codelist, []).append(place)
        entries.append(_event_row(event, place, cohort, reasons))
    rules = []
    for place, c in cohort.placed:
        mode = place.split("[")[0]
        if isinstance(c, EventCriterion):
            uses.setdefault(c.codelist, []).append(place)
            rules.append(Rule(mode=mode, event=_event_row(c, place, cohort, reasons)))
        elif isinstance(c, AgeAtIndex):
            rules.append(Rule(mode=mode, age_min=c.age_at_index.min, age_max=c.age_at_index.max))
        elif isinstance(c, Sex):
            rules.append(Rule(mode=mode, sex=c.sex))
        else:
            reasons.append((place, _("the criterion %(kind)s is not in the form")
                            % {"kind": c.kind}))
    for name in cohort.codelists:
        if len(uses.get(name, [])) > 1:
            reasons.append((f"codelists.{name}", _("the code list is used by %(places)s; in the "
                                                   "form each event has its own codes")
                            % {"places": ", ".join(uses[name])}))
        elif name not in uses:
            reasons.append((f"codelists.{name}", _("a code list no criterion uses is not in the "
                                                   "form")))
    if reasons:
        raise NotExpressible(reasons)
    return Rows(cohort.title, cohort.name, cohort.description, cohort.period.start,
                cohort.period.end, entries, rules)


# --- what an event reads --------------------------------------------------------------------------


def event_sources(event: Event) -> tuple[str, ...]:
    """The event sources of a row (hygie.cohorts.events.SOURCES)."""
    preset = DIAGNOSIS_SOURCES.get(event.diagnosis_in) if event.kind == "diagnosed" else None
    if preset:
        return tuple(preset)
    criterion = CRITERIA[event.kind].model_validate({event.kind: "x"})
    assert isinstance(criterion, EventCriterion)
    return criterion.sources


def event_tables(event: Event) -> set[str]:
    return tables_read(event_sources(event))


def lacking(held: set[str], needed: set[str]) -> list[str]:
    """The tables of `needed` absent from `held` (T_MCOaaX: held in any year, T_MCO21X...)."""
    out = []
    for table in sorted(needed):
        if table.startswith("T_MCOaa"):
            suffix = table.removeprefix("T_MCOaa")
            if not any(t.startswith("T_MCO") and t[7:] == suffix for t in held):
                out.append(table)
        elif table not in held:
            out.append(table)
    return out


def served_kinds(held: set[str]) -> list[str]:
    """The event kinds of the builder whose data `held` has, from one of the sources the form
    offers for it (a diagnosis: in the PMSI, or the ALD, or both)."""
    def served(kind: str) -> bool:
        presets = list(DIAGNOSIS_SOURCES) if kind == "diagnosed" else ["all"]
        return any(not lacking(held, event_tables(Event(kind=kind, codes=[], diagnosis_in=p)))
                   for p in presets)
    return [kind for kind in EVENT_SYSTEMS if served(kind)]


def meaning(cohort: Cohort) -> dict[str, Any]:
    """What a definition says: its model, with the sources of an event as a set (the order they
    are written in means nothing)."""
    dump = cohort.model_dump()
    events = [*dump["entry"]["any_of"], *dump["require"], *dump["exclude"]]
    for item in events:
        if isinstance(item, dict) and isinstance(item.get("in_"), list):
            item["in_"] = sorted(item["in_"])
    return dump


class _Dumper(yaml.SafeDumper):
    pass


def _flow_short(dumper: yaml.SafeDumper, data: dict[str, Any] | list[Any]) -> Any:
    """Short mappings and lists of scalars on one line, as people write them in docs/cohorts.md."""
    def scalar(v: object) -> bool:
        return not isinstance(v, dict | list)

    if isinstance(data, dict):  # a mapping of scalars and lists of scalars
        flow = all(scalar(v) or (isinstance(v, list) and all(map(scalar, v)) and len(v) <= 12)
                   for v in data.values())
    else:
        flow = all(map(scalar, data)) and len(data) <= 12
    if isinstance(data, dict):
        return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _flow_short)
_Dumper.add_representer(list, _flow_short)


def to_yaml(definition: dict[str, Any]) -> str:
    return yaml.dump(definition, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
