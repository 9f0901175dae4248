"""The form-based cohort builder's output: a definition in the targeting language (docs/cohorts.md).

The builder covers the common case: a study period, entry events (any of), then require/exclude
criteria (an event in a window, at least N times; age at index; sex). `build(...)` turns the rows
of the form into the definition as a dict, with a map from each place of the definition back to
the form row that made it, so that `Cohort` errors can be shown next to the right field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml

from hygie.cohorts.codes import SYSTEMS
from hygie.cohorts.model import CRITERIA, EVENT_KINDS, EventCriterion

# Event kinds of the builder -> the code systems their code list may have (from the registry).
EVENT_SYSTEMS: dict[str, tuple[str, ...]] = {
    kind: cls.systems for kind in EVENT_KINDS
    if issubclass(cls := CRITERIA[kind], EventCriterion)}
DIAGNOSIS_SOURCES = {"all": None, "pmsi": ["pmsi_main", "pmsi_related", "pmsi_associated"],
                     "ald": ["ald"]}


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


def build(title: str, start: dt.date, end: dt.date, entries: list[Event],
          rules: list[Rule]) -> Built:
    """The definition of the builder's rows, unchecked (`Cohort.from_dict` checks it)."""
    codelists: dict[str, Any] = {}
    built = Built({})

    def codelist(name: str, event: Event) -> str:
        codelists[name] = {"system": _system(event), "codes": event.codes}
        return name

    # Code lists are named after the form rows (entry_1, criterion_4), as the form shows them.
    any_of: list[dict[str, Any]] = []
    for i, event in enumerate(entries):
        row = event.row or i + 1
        name = codelist(f"entry_{row}", event)
        built.rows[f"codelists.{name}"] = ("entry", row - 1)
        built.rows[f"entry.any_of[{len(any_of)}]"] = ("entry", row - 1)
        any_of.append(_event(event, name))
    lists: dict[str, list[dict[str, Any]]] = {"require": [], "exclude": []}
    for i, rule in enumerate(rules):
        row = rule.row or i + 1
        target = lists[rule.mode]
        if rule.event is not None:
            name = codelist(f"criterion_{row}", rule.event)
            built.rows[f"codelists.{name}"] = ("rule", row - 1)
            item = _event(rule.event, name)
        elif rule.sex:
            item = {"sex": rule.sex}
        else:
            bounds = {k: v for k, v in (("min", rule.age_min), ("max", rule.age_max))
                      if v is not None}
            item = {"age_at_index": bounds}
        built.rows[f"{rule.mode}[{len(target)}]"] = ("rule", row - 1)
        target.append(item)
    definition: dict[str, Any] = {
        "name": identifier(title), "title": title,
        "period": {"start": start, "end": end},
        "codelists": codelists, "entry": {"any_of": any_of}}
    definition.update({k: v for k, v in lists.items() if v})
    built.definition = definition
    return built


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
