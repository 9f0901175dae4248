"""Bounds on cohort definitions, so that no definition can crash or stall the engine.

Two kinds:
- **Bounds of meaning**, checked by the model for every definition (CLI, Python, web): dates lie
  between 1900 and 2100, durations within 100 years, `at_least` up to 10,000. Past them a
  definition means nothing for the SNDS, and the engine would overflow (`date + 10^20 days`).
- **Size limits** (`Limits`), checked by callers that take definitions from people they do not
  trust (the web platform): criteria, codes, values and code lists per definition. Compilation is
  linear in the number of criteria, and these keep a count job small.

The shape of the text is checked before anything is built from it (`check_yaml`, `check_data`):
nesting depth (a YAML parser and pydantic recurse) and the number of nodes once aliases are
expanded (a few kilobytes of `*alias` can stand for millions of nodes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from hygie.nesting import excess

if TYPE_CHECKING:
    from hygie.cohorts.model import Cohort

FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
MAX_DAYS = 36_525  # 100 years, either way
MAX_AT_LEAST = 10_000
MAX_DEPTH = 32  # a definition nests 6 or 7 levels
MAX_NODES = 200_000  # scalars, mappings and sequences, aliases expanded


def check_day(day: dt.date) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day} lies outside {FIRST_DAY.year}-{LAST_DAY.year}")
    return day


def check_days(days: int) -> int:
    if abs(days) > MAX_DAYS:
        raise ValueError(f"{days} days is longer than {MAX_DAYS:,} days (100 years)")
    return days


def check_yaml(text: str) -> str | None:
    """What is wrong with the shape of a YAML text (too deep, too many nodes), or None.

    Reads the parser's events (the parser does not recurse, the composer does): a mapping or
    sequence costs its own events, an alias costs as many as the anchored node it repeats.
    """
    depth, nodes = 0, 0
    sizes: dict[str, int] = {}  # anchor -> nodes of its node, aliases expanded
    open_anchors: list[tuple[str, int, int]] = []  # (anchor, depth it opened at, nodes then)
    try:
        for event in yaml.parse(text):
            if isinstance(event, yaml.AliasEvent):
                nodes += sizes.get(event.anchor or "", 1)
            elif isinstance(event, yaml.NodeEvent):
                nodes += 1
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        return f"nested more than {MAX_DEPTH} levels deep"
                    if event.anchor:
                        open_anchors.append((event.anchor, depth, nodes - 1))
                elif event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionEndEvent):
                if open_anchors and open_anchors[-1][1] == depth:
                    anchor, _, before = open_anchors.pop()
                    sizes[anchor] = nodes - before
                depth -= 1
            if nodes > MAX_NODES:
                return f"more than {MAX_NODES:,} values once aliases are expanded"
    except yaml.YAMLError:
        return None  # the loader reports syntax errors with their line and column
    return None


def check_data(data: Any) -> str | None:
    """The same shape check on data already loaded (JSON, or YAML with its aliases)."""
    return excess(data, depth=MAX_DEPTH, values=MAX_NODES)


@dataclass(frozen=True)
class Limits:
    """How big a definition may be (see docs/operations.md, "Limits")."""

    criteria: int = 100  # entry events, require and exclude, together
    codes: int = 5_000  # codes of every code list, together
    codelists: int = 100
    values: int = 50

    def problems(self, cohort: Cohort) -> list[tuple[str, str]]:
        """(place, message) for each limit the definition passes."""
        criteria = len(cohort.entry.any_of) + len(cohort.require) + len(cohort.exclude)
        codes = sum(len(c.codes) for c in cohort.codelists.values())
        return [(place, f"{n:,} {what}; at most {limit:,}") for place, n, what, limit in (
            ("definition", criteria, "entry events and criteria", self.criteria),
            ("codelists", codes, "codes", self.codes),
            ("codelists", len(cohort.codelists), "code lists", self.codelists),
            ("values", len(cohort.values), "values", self.values),
        ) if n > limit]

