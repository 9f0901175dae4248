"""What identifies a person in released text: pseudonyms, NIRs, identifier columns, exact dates.

- Pseudonyms of an extract (PSEUDO_ID, LINE_ID, STAY_ID) are 64 lowercase hexadecimal characters
  (HMAC-SHA256, hygie.pseudo); any run of 32 or more hexadecimal characters, with letters and
  digits, is taken for one (MD5 and SHA digests of an identifier are just as linkable).
- A NIR (French social security number) is 13 characters, the department possibly 2A or 2B
  (Corsica), then a 2-digit key = 97 - (number mod 97), with 2A read as 19 and 2B as 18 (INSEE's
  rule). Only numbers whose key checks are reported.
- Exact dates have a day: 2021-03-05, 05/03/2021, 2021-03-05T10:00, "5 mars 2021", "March 5,
  2021". Months and years alone are fine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from hygie.extract.scope import IDENTIFIERS, ROW_KEYS

PSEUDONYM_COLUMNS = frozenset({"PSEUDO_ID", "LINE_ID", "STAY_ID"})
IDENTIFIER_COLUMNS = frozenset(IDENTIFIERS | ROW_KEYS)

HEX_RUN = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32,}(?![0-9a-fA-F])")
NIR = re.compile(r"(?<![0-9A-Za-z])([1-478]) ?(\d\d) ?(\d\d) ?(\d\d|2[AaBb]) ?(\d{3}) ?(\d{3}) ?(\d\d)"
                 r"(?![0-9A-Za-z])")
_MONTHS = {
    **dict.fromkeys(("janvier", "january", "jan"), 1),
    **dict.fromkeys(("fevrier", "février", "february", "feb"), 2),
    **dict.fromkeys(("mars", "march", "mar"), 3),
    **dict.fromkeys(("avril", "april", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juin", "june", "jun"), 6),
    **dict.fromkeys(("juillet", "july", "jul"), 7),
    **dict.fromkeys(("août", "aout", "august", "aug"), 8),
    **dict.fromkeys(("septembre", "september", "sep", "sept"), 9),
    **dict.fromkeys(("octobre", "october", "oct"), 10),
    **dict.fromkeys(("novembre", "november", "nov"), 11),
    **dict.fromkeys(("décembre", "decembre", "december", "dec"), 12),
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
ISO_DATE = re.compile(r"(?<![0-9])(\d{4})([-/.])(\d\d)\2(\d\d)(?![0-9])")
DAY_FIRST = re.compile(r"(?<![0-9])(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?![0-9])")
WORDS_DAY_FIRST = re.compile(rf"(?<![0-9])(\d{{1,2}})(?:er|st|nd|rd|th)?\s+({_MONTH})\.?,?\s+(\d{{4}})"
                             r"(?![0-9])", re.IGNORECASE)
WORDS_MONTH_FIRST = re.compile(rf"(?<![A-Za-z])({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
                               r"(\d{4})(?![0-9])", re.IGNORECASE)
COMPACT_DATE = re.compile(r"(\d{4})(\d\d)(\d\d)")  # 20210305, only in a column named as dates


@dataclass(frozen=True, slots=True)
class Hit:
    code: str  # "pseudonym", "identifier" or "exact_date"
    what: str  # for the message, without the full value of an identifier
    start: int  # offset in the text scanned


def scan(text: str, *, dates: bool = True) -> Iterator[Hit]:
    """Pseudonyms, NIRs and (with `dates`) exact dates in `text`, in that order."""
    for m in HEX_RUN.finditer(text):
        token = m.group()
        if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            yield Hit("pseudonym", f"a {len(token)}-character hexadecimal token "
                                   f"({token[:6]}...), shaped like a pseudonym", m.start())
    for m in NIR.finditer(text):
        if nir_key_ok("".join(m.groups())):
            yield Hit("identifier", f"a NIR (social security number, {m.group(1)} "
                                    f"{m.group(2)} ...) with a valid key", m.start())
    if dates:
        for start, day in exact_dates(text):
            yield Hit("exact_date", f"the exact date {day}", start)


def nir_key_ok(digits: str) -> bool:
    """Whether the last two characters of a 15-character NIR are its key."""
    department = digits[5:7].upper()
    body = digits[:5] + {"2A": "19", "2B": "18"}.get(department, department) + digits[7:13]
    if not body.isdigit():
        return False
    return 97 - int(body) % 97 == int(digits[13:])


def exact_dates(text: str) -> Iterator[tuple[int, str]]:
    """(offset, the date as written) for every valid full date in `text`."""
    for m in ISO_DATE.finditer(text):
        if _valid(int(m.group(1)), int(m.group(3)), int(m.group(4))):
            yield m.start(), m.group()
    for m in DAY_FIRST.finditer(text):
        a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if _valid(year, b, a) or _valid(year, a, b):  # 05/03/2021, or 03/05/2021 written US-style
            yield m.start(), m.group()
    for m in WORDS_DAY_FIRST.finditer(text):
        if _valid(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))):
            yield m.start(), m.group()
    for m in WORDS_MONTH_FIRST.finditer(text):
        if _valid(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))):
            yield m.start(), m.group()


def compact_date(text: str) -> bool:
    m = COMPACT_DATE.fullmatch(text.strip())
    return m is not None and _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _valid(year: int, month: int, day: int) -> bool:
    if not 1800 <= year <= 2200:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def column_name_finding(name: str) -> tuple[str, str] | None:
    """(code, message) when a column's name says it holds pseudonyms or SNDS identifiers."""
    upper = name.strip().upper()
    if upper in PSEUDONYM_COLUMNS:
        return "pseudonym_column", f"column {name} holds the extract's pseudonyms or row keys"
    if upper in IDENTIFIER_COLUMNS:
        return "identifier", f"column {name} is an SNDS identifier or row key"
    return None
