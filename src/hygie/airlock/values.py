"""What one table cell holds: a number, a suppression mark, a blank, or text.

Cells come from CSV text or JSON values. Numbers are read strictly (no `nan`, `inf` or `1_000`,
which Python's float() takes); a leading zero ("01", "007") makes a code, not a number. French
exports write decimal commas, which are read when the separator is not a comma.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

BLANK, MARK, NUMBER, TEXT = "blank", "mark", "number", "text"

# What tables put in place of a hidden figure (compared case-insensitively, stripped).
SUPPRESSION_MARKS = frozenset({
    "na", "n/a", "nan", "null", "none", "c", "s", "x", "secret", "secret stat", "-", "--", "*", "**",
    ".", "..", "...", "…", "nd", "n.d.", "ns", "suppressed", "masked", "confidential", "conf",
})
BOUND = re.compile(r"(<|<=|≤)\s*(\d+)")  # "<11", "<= 10", "≤10"
INTEGER = re.compile(r"[+-]?(?:0|[1-9]\d*)")
GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+")  # 1 234 567
DECIMAL = re.compile(r"[+-]?(?:(?:0|[1-9]\d*)\.\d*|\.\d+|(?:0|[1-9]\d*))(?:[eE][+-]?\d{1,3})?")
DECIMAL_COMMA = re.compile(r"[+-]?(?:0|[1-9]\d*),\d+")
INTEGRAL_FLOAT = re.compile(r"[+-]?\d+\.0*")


class Bound(Enum):
    BELOW = "<"
    AT_MOST = "<="


@dataclass(frozen=True, slots=True)
class Cell:
    """`kind` is BLANK, MARK, NUMBER or TEXT; `number` is set for NUMBER, and for a bound mark
    ("<11": number 11, bound BELOW)."""

    kind: str
    text: str
    number: int | float | None = None
    bound: Bound | None = None

    @property
    def integral(self) -> bool:
        return self.kind == NUMBER and float(self.number or 0).is_integer()


@lru_cache(maxsize=1 << 16)  # tables repeat their labels and small numbers; cells are immutable
def read_cell(text: str, *, decimal_comma: bool = False) -> Cell:
    raw = text.strip()
    if not raw:
        return Cell(BLANK, text)
    folded = raw.casefold()
    if folded in SUPPRESSION_MARKS:
        return Cell(MARK, text)
    bound = BOUND.fullmatch(raw)
    if bound:
        op = Bound.BELOW if bound.group(1) == "<" else Bound.AT_MOST
        return Cell(MARK, text, int(bound.group(2)), op)
    number = read_number(raw, decimal_comma=decimal_comma)
    if number is not None:
        return Cell(NUMBER, text, number)
    return Cell(TEXT, text)


def read_number(raw: str, *, decimal_comma: bool = False) -> int | float | None:
    if len(raw) > 40:  # no count or amount is written with more digits than this
        return None
    if INTEGER.fullmatch(raw):
        return int(raw)
    if GROUPED.fullmatch(raw):
        return int(re.sub(r"[ \u00a0\u202f]", "", raw))
    if DECIMAL.fullmatch(raw) and any(ch.isdigit() for ch in raw):
        value = float(raw)
        return value if value == value and abs(value) != float("inf") else None
    if decimal_comma and DECIMAL_COMMA.fullmatch(raw):
        return float(raw.replace(",", "."))
    return None


def cell_of(value: object, *, decimal_comma: bool = False) -> Cell:
    """A cell from a JSON value (numbers stay numbers, bools are text)."""
    if value is None:
        return Cell(BLANK, "")
    if isinstance(value, bool):
        return Cell(TEXT, "true" if value else "false")
    if isinstance(value, int):
        return Cell(NUMBER, str(value), value)
    if isinstance(value, float):
        if value != value or abs(value) == float("inf"):
            return Cell(MARK, str(value))
        return Cell(NUMBER, repr(value), value)
    if isinstance(value, str):
        return read_cell(value, decimal_comma=decimal_comma)
    return Cell(TEXT, str(value))


def label(value: object) -> str:
    """A cell's text as a label to match tables and sidecars on: stripped, and an integral float
    ("2021.0", as pandas writes an integer column with blanks) as its integer."""
    text = value if isinstance(value, str) else "" if value is None else (
        repr(value) if isinstance(value, float) else str(value))
    text = unicodedata.normalize("NFC", text.strip())
    if INTEGRAL_FLOAT.fullmatch(text):
        return str(int(float(text)))
    return text


def tokens(name: str) -> list[str]:
    """A column name's words, lower case without accents: "Nb_Patients" -> ["nb", "patients"],
    "nbPatients" -> ["nb", "patients"]."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    plain = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode().lower()
    return [t for t in re.split(r"[^a-z0-9]+", plain) if t]
