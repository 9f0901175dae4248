"""Code systems of the targeting language and the small grammar of durations and windows.

A code is written as in the nomenclature (`E119`, `A10BA02`, `3400930000014`, `DZQM006`, `1577`),
or as a prefix with a trailing star (`E11*`: every code that starts with E11). Codes are checked
against the format of their system before anything else happens, so only well-formed codes ever
reach a query (and they reach it as SQL literals, never as text pasted into SQL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class CodeSystem:
    """One coding system: the shape of its codes, position by position."""

    name: str
    label: str
    positions: tuple[str, ...]  # character class of each position of the longest code
    min_length: int  # a full code has min_length..len(positions) characters
    example: str
    numeric_width: int | None = None  # numeric codes: stored as integers, compared zero-padded
    pad: bool = False  # short numeric codes are zero-padded (NABM 552 is 0552)
    hint: str = ""

    @property
    def max_length(self) -> int:
        return len(self.positions)

    def _fits(self, text: str) -> bool:
        return len(text) <= self.max_length and all(
            re.fullmatch(cls, ch) for cls, ch in zip(self.positions, text, strict=False))

    def normalise(self, raw: object) -> str:
        """The canonical form of a code or prefix (`E11*`), or ValueError saying what is wrong."""
        text = str(raw).strip()
        if self.name == "CIM10":
            text = text.replace(".", "")  # I50.0 is written I500 in the SNDS
        prefix = text.endswith("*")
        body = text[:-1] if prefix else text
        if self.pad and self.numeric_width and not prefix and body.isdigit():
            body = body.zfill(self.numeric_width)
        if prefix:
            ok = 1 <= len(body) <= self.max_length and self._fits(body)
        else:
            ok = self.min_length <= len(body) <= self.max_length and self._fits(body)
        if not ok:
            hint = f"; {self.hint}" if self.hint and not prefix and self._fits(body) else ""
            shown = text if len(text) <= 24 else text[:20] + "..."  # echo little of odd input
            raise ValueError(f"{shown!r} is not a {self.name} code (e.g. {self.example}){hint}")
        return body + ("*" if prefix else "")


_L, _D, _A = "[A-Z]", "[0-9]", "[0-9A-Z]"
SYSTEMS: dict[str, CodeSystem] = {s.name: s for s in (
    CodeSystem("CIM10", "CIM-10 (ICD-10) diagnosis", (_L, _D, _D, _A, _A), 3, "E119, or E11*"),
    CodeSystem("ATC", "ATC substance (or class, with a star)", (_L, _D, _D, _L, _L, _D, _D), 7,
               "A10BA02, or A10B*",
               hint="ATC codes name a substance (7 characters); for a class, add a star"),
    CodeSystem("CIP13", "CIP13 drug presentation", (_D,) * 13, 13, "3400930000014",
               numeric_width=13),
    CodeSystem("CCAM", "CCAM medical act", (_L, _L, _L, _L, _D, _D, _D), 7, "DZQM006, or DZQM*"),
    CodeSystem("NABM", "NABM laboratory test", (_D,) * 4, 4, "1577 (or 0552 for 552)",
               numeric_width=4, pad=True),
)}


def code_system(name: object) -> CodeSystem:
    key = str(name).strip().upper().replace("-", "")
    if key in SYSTEMS:
        return SYSTEMS[key]
    raise ValueError(f"unknown code system {name!r}; valid systems: {', '.join(SYSTEMS)}")


# --- durations and windows --------------------------------------------------------------------

_DURATION = re.compile(r"^([+-]?\s*\d+)\s*(d|days?|w|weeks?)?$", re.IGNORECASE)
_FUZZY = re.compile(r"^[+-]?\s*\d+\s*(months?|years?|y|m)$", re.IGNORECASE)


def parse_days(value: object) -> int:
    """`365 days`, `-1 day`, `2 weeks`, `0` -> a number of days."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration (e.g. 365 days)")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    m = _DURATION.match(text)
    if not m:
        if _FUZZY.match(text):
            raise ValueError(f"{text!r}: months and years have no fixed length; write days "
                             "(e.g. 365 days)")
        raise ValueError(f"{text!r} is not a duration (e.g. 365 days, -1 day, 2 weeks)")
    n = int(m.group(1).replace(" ", ""))
    unit = (m.group(2) or "d").lower()
    return n * 7 if unit.startswith("w") else n


def show_days(n: int | None) -> str:
    if n is None:
        return "any"
    return f"{n} day" if abs(n) == 1 else f"{n} days"


def show_window(window: tuple[int | None, int | None]) -> str:
    start, end = window
    if start is None and end is None:
        return "at any time"
    if start is None:
        return "up to the index date" if end == 0 else f"up to {show_days(end)} from index"
    if end is None:
        return "from the index date on" if start == 0 else f"from {show_days(start)} from index on"
    return f"in [{show_days(start)}, {show_days(end)}]"


# --- French geography ---------------------------------------------------------------------------


@cache
def departments_by_region() -> dict[str, tuple[str, ...]]:
    """Region code (GEO_REG_COD) -> its department codes (IR_DPT_V, three characters)."""
    from hygie.snds.nomenclatures import nomenclature

    out: dict[str, list[str]] = {}
    for r in nomenclature("IR_DPT_V").rows():
        if r["GEO_REG_COD"] != "99" and r["GEO_DPT_COD"] != "000":
            out.setdefault(r["GEO_REG_COD"], []).append(r["GEO_DPT_COD"])
    return {k: tuple(sorted(v)) for k, v in sorted(out.items(), key=lambda kv: int(kv[0]))}


@cache
def region_names() -> dict[str, str]:
    from hygie.snds.nomenclatures import nomenclature

    return {r["GEO_REG_COD"]: r["GEO_REG_LIB"] for r in nomenclature("IR_REG_V").rows()}


def department_code(raw: object) -> str:
    """`75`, `075`, `2A`, `971` -> the three-character code of IR_DPT_V and IR_BEN_R."""
    text = str(raw).strip().upper()
    code = text.zfill(3) if len(text) < 3 else text
    known = {d for ds in departments_by_region().values() for d in ds}
    if code not in known:
        raise ValueError(f"{text!r} is not a French department code (e.g. 75, 2A, 971)")
    return code


def region_code(raw: object) -> str:
    text = str(raw).strip()
    if text not in departments_by_region():
        names = region_names()
        valid = ", ".join(f"{c} ({names.get(c, '?')})" for c in departments_by_region())
        raise ValueError(f"{text!r} is not a region code; valid regions: {valid}")
    return text
