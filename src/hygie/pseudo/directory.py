"""Finding the person a citizen's identity details designate, to record their objection.

A citizen knows their NIR (the social security number: sex, year and month of birth, place of
birth, an order number, and a two-digit key), birth date and sex; the register needs the source's
person key (`BEN_NIR_ANO` in the SNDS). In the real SNDS the NIR reaches the data only through the
CNAM's one-way FOIN step, which turns it into the pseudo-NIR `BEN_NIR_PSA`: that step belongs to
the CNAM and its key cannot exist here. A `PersonDirectory` stands for it: `find(identity)` gives
the persons who match and, for each, which details matched, so that a person decides.

`LakeDirectory` is the stand-in for a lake dataset of the synthetic SNDS: each `IR_BEN_R` row gets
a synthetic NIR derived from the row alone (`synthetic_nir`), which tests and demonstrations can
hand to the objection form as a real person would their own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hygie.engine.lake import Dataset

# Sex digit (1, 3, 7 men; 2, 4, 8 women: 1-2 for people born in France or registered, the others
# for temporary numbers), two digits of the birth year, the birth month (01-12; 20-42 and 50-99
# when it was not known), the department (2A/2B for Corsica), six digits, the key.
NIR_PATTERN = re.compile(r"([123478])(\d\d)(\d\d)(\d\d|2A|2B)(\d{6})(\d\d)")
UNKNOWN_MONTHS = frozenset(range(20, 43)) | frozenset(range(50, 100))
NIR_SEPARATORS = re.compile(r"[\s.\-]")
MAX_NAME = 100


class IdentityError(ValueError):
    """Identity details that cannot be a person's; `code` says which check failed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def normalise_nir(text: str) -> str:
    """The NIR without the spaces, dots or dashes people type in it, in capitals."""
    return NIR_SEPARATORS.sub("", text).upper()


def nir_key(body: str) -> int:
    """The key of a 13-character NIR: 97 - (number mod 97), Corsica's 2A and 2B counted as 19
    and 18."""
    digits = body[:5] + {"2A": "19", "2B": "18"}.get(body[5:7], body[5:7]) + body[7:]
    return 97 - int(digits) % 97


def with_key(body: str) -> str:
    return f"{body}{nir_key(body):02d}"


@dataclass(frozen=True)
class Identity:
    """What a citizen gives to be found: checked on creation (format, key, and agreement of the
    NIR with the birth date and sex)."""

    nir: str
    birth_date: dt.date
    sex: int  # 1 male, 2 female (the SNDS's BEN_SEX_COD)
    family_name: str = ""
    given_names: str = ""

    def __post_init__(self) -> None:
        found = NIR_PATTERN.fullmatch(self.nir)
        if found is None:
            raise IdentityError("nir_format", "a NIR is 13 characters and a 2-digit key")
        sex_digit, year, month, _dpt, _order, key = found.groups()
        if int(key) != nir_key(self.nir[:13]):
            raise IdentityError("nir_key", "the NIR's key does not match its first 13 characters")
        if self.sex not in (1, 2):
            raise IdentityError("sex", "sex is 1 (male) or 2 (female)")
        if (int(sex_digit) % 2 == 1) != (self.sex == 1):
            raise IdentityError("nir_sex", "the NIR's first digit does not match the sex")
        if int(year) != self.birth_date.year % 100:
            raise IdentityError("nir_year", "the NIR's year does not match the birth date")
        if int(month) not in UNKNOWN_MONTHS and int(month) != self.birth_date.month:
            raise IdentityError("nir_month", "the NIR's month does not match the birth date")
        for name in (self.family_name, self.given_names):
            if len(name) > MAX_NAME:
                raise IdentityError("name", f"a name holds at most {MAX_NAME} characters")

    @classmethod
    def parse(cls, nir: str, birth_date: dt.date, sex: int, family_name: str = "",
              given_names: str = "") -> Identity:
        """An identity from what a person typed (a NIR with spaces, names with outer spaces)."""
        return cls(normalise_nir(nir), birth_date, sex, family_name.strip(), given_names.strip())

    @property
    def department(self) -> str:
        return self.nir[5:7]

    @property
    def order(self) -> str:
        return self.nir[7:13]


@dataclass(frozen=True)
class Match:
    """A person the directory found, and which details of the identity their record bears."""

    person_key: str
    matched: tuple[str, ...] = field(default=())

    @property
    def exact(self) -> bool:
        return "nir" in self.matched


class PersonDirectory(Protocol):
    def find(self, identity: Identity) -> list[Match]:
        """The persons whose record matches `identity`, the closest first."""
        ...


# --- the synthetic stand-in -----------------------------------------------------------------------

def _department(code: Any) -> str:
    """The NIR's two characters for a department of residence: 059 -> 59, 02A -> 2A, 971 -> 97
    (overseas NIRs carry 97 and the commune's three digits); unknown -> 99 (born abroad)."""
    text = str(code or "")
    if len(text) == 3 and text[0] == "0":
        return text[1:]
    if len(text) == 3 and text[:2] == "97":
        return "97"
    return "99"


def _order(nir_psa: str, rank: int) -> str:
    digest = hashlib.sha256(f"{nir_psa}\x1f{rank}".encode()).hexdigest()
    return f"{int(digest[:15], 16) % 1_000_000:06d}"


def synthetic_nir(row: Mapping[str, Any]) -> str:
    """The synthetic NIR of an `IR_BEN_R` row: sex, birth year (2 digits) and month, department
    of residence, six digits from a sha256 of (BEN_NIR_PSA, BEN_RNG_GEM), and a valid key."""
    sex, year, month = row["BEN_SEX_COD"], row["BEN_NAI_ANN"], row["BEN_NAI_MOI"]
    if sex not in (1, 2) or year is None or month is None:
        raise ValueError("a row without sex, birth year or month has no synthetic NIR")
    body = (f"{sex}{int(year) % 100:02d}{int(month):02d}{_department(row['BEN_RES_DPT'])}"
            f"{_order(row['BEN_NIR_PSA'], int(row['BEN_RNG_GEM']))}")
    return with_key(body)


# The same derivation in DuckDB, over the rows of one sex, birth year and month (all bound).
_FIND_SQL = """
WITH block AS (
    SELECT BEN_NIR_ANO,
           CASE WHEN length(BEN_RES_DPT) = 3 AND left(BEN_RES_DPT, 1) = '0'
                THEN substr(BEN_RES_DPT, 2, 2)
                WHEN length(BEN_RES_DPT) = 3 AND left(BEN_RES_DPT, 2) = '97' THEN '97'
                ELSE '99' END AS DPT,
           lpad(CAST(('0x' || substr(sha256(BEN_NIR_PSA || chr(31)
                                            || CAST(BEN_RNG_GEM AS VARCHAR)), 1, 15))::UBIGINT
                     % 1000000 AS VARCHAR), 6, '0') AS ORDER_DIGITS
    FROM IR_BEN_R
    WHERE BEN_SEX_COD = $sex AND BEN_NAI_ANN = $year AND BEN_NAI_MOI = $month
)
SELECT BEN_NIR_ANO, bool_or(DPT = $department) AS SAME_DEPARTMENT
FROM block
WHERE ORDER_DIGITS = $order
GROUP BY BEN_NIR_ANO
ORDER BY SAME_DEPARTMENT DESC, BEN_NIR_ANO
"""
BLOCK = ("sex", "birth_year", "birth_month")  # what every candidate shares with the identity


@dataclass(frozen=True)
class LakeDirectory:
    """Persons of a synthetic SNDS lake dataset, found by their synthetic NIR.

    Candidates are the rows of the identity's sex, birth year and month whose six order digits
    are the identity's: with the department too, the NIR matched; without it, the person is a
    near match that someone must judge. Names are not compared: the SNDS holds none."""

    dataset: Dataset

    def find(self, identity: Identity) -> list[Match]:
        import duckdb

        con = duckdb.connect()
        try:
            self.dataset.relation("IR_BEN_R", con).create_view("IR_BEN_R")
            rows = con.execute(_FIND_SQL, {
                "sex": identity.sex, "year": identity.birth_date.year,
                "month": f"{identity.birth_date.month:02d}", "department": identity.department,
                "order": identity.order}).fetchall()
        finally:
            con.close()
        # The whole NIR matched when its sex digit and month are the plain ones the synthetic
        # NIR carries (not a temporary number, not an unknown month) and the department is too.
        plain = identity.nir[:5] == (f"{identity.sex}{identity.birth_date.year % 100:02d}"
                                     f"{identity.birth_date.month:02d}")
        return [Match(key, (*BLOCK, "order", *(("department",) if same else ()),
                            *(("nir",) if same and plain else ())))
                for key, same in rows]
