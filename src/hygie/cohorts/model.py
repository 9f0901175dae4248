"""A cohort definition: what an epidemiologist writes, as pydantic models.

```yaml
name: t2d_metformin
title: Type 2 diabetes treated with metformin, adults
period: {start: 2020-01-01, end: 2022-12-31}
codelists:
  metformin: {system: ATC, codes: [A10BA02]}
entry:                       # index date = first date in the period the entry is met
  any_of:
    - dispensed: metformin
      at_least: 2
      within: 365 days
require:
  - age_at_index: {min: 18}
```

`Cohort.from_yaml(path_or_text)` and `Cohort.from_json(...)` load and check a definition. A bad
definition raises `DefinitionError`, whose lines name each offending place
(`exclude[0].window: start after end (-1 day > -365 days)`). See docs/cohorts.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from sqlglot import exp

from hygie.cohorts.codes import (
    SYSTEMS,
    CodeSystem,
    code_system,
    department_code,
    parse_days,
    region_code,
    show_days,
    show_window,
)
from hygie.cohorts.limits import MAX_AT_LEAST, check_data, check_day, check_days, check_yaml
from hygie.cohorts.sql import (
    AGE_IN_MONTHS,
    BIRTH_MONTHS,
    col,
    date_literal,
    days_from_index,
    in_window,
    months_between,
)
from hygie.engine.engines import parse

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pyarrow as pa

    from hygie.cohorts.compile import Compiled
    from hygie.cohorts.run import Source
    from hygie.pseudo.keys import Secret
    from hygie.pseudo.oppositions import OppositionRegister
    from hygie.sdc.released import Released

    Library = Mapping[str, "Cohort"]  # the cohorts `in_cohort` may name, by name


class DefinitionError(ValueError):
    """A cohort definition cannot be used; each problem names its place in the definition."""

    def __init__(self, problems: Sequence[tuple[str, str]], origin: str = "") -> None:
        self.problems = list(problems)
        self.origin = origin
        head = f"invalid cohort definition{f' {origin}' if origin else ''}"
        super().__init__(head + "\n" + "\n".join(f"  {p}: {m}" for p, m in self.problems))


def _fail(problems: Iterable[tuple[tuple[str | int, ...], str]], title: str) -> None:
    """Raise the problems as one pydantic error, each with its own location."""
    details = [InitErrorDetails(type=PydanticCustomError("cohort", "{msg}", {"msg": msg}),
                                loc=loc, input=None) for loc, msg in problems]
    if details:
        raise ValidationError.from_exception_data(title, details)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- small types --------------------------------------------------------------------------------


def _days(value: object) -> int:
    return check_days(parse_days(value))


def _window(value: object) -> tuple[int | None, int | None]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError("a window is [start, end] relative to the index date, "
                         "e.g. [-365 days, -1 day]; null leaves a side open")
    start, end = (None if v is None else check_days(parse_days(v)) for v in value)
    if start is not None and end is not None and start > end:
        raise ValueError(f"start after end ({show_days(start)} > {show_days(end)})")
    return start, end


def _span(value: object) -> object:
    if not isinstance(value, list | tuple) or len(value) != 2 or None in value:
        raise ValueError("a calendar span is [first day, last day], e.g. [2021-01-01, 2021-12-31]")
    return tuple(value)


def _ordered_span(value: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    if value[0] > value[1]:
        raise ValueError(f"the span ends ({value[1]}) before it starts ({value[0]})")
    check_day(value[0]), check_day(value[1])
    return value


Days = Annotated[int, BeforeValidator(_days)]
# A day that the SNDS can hold: 1900-2100 (year 1 or 9999 would overflow the engine's dates).
Day = Annotated[dt.date, AfterValidator(check_day)]
# A span of calendar days, both included: [2021-01-01, 2021-12-31].
Span = Annotated[tuple[dt.date, dt.date], BeforeValidator(_span), AfterValidator(_ordered_span)]
Year = Annotated[int, Field(ge=1900, le=2100)]
Window = Annotated[tuple[int | None, int | None], BeforeValidator(_window)]
NAME = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"


class Period(_Strict):
    start: Day
    end: Day

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            _fail([(("end",), f"the period ends ({self.end}) before it starts ({self.start})")],
                  "Period")
        return self


class Codelist(_Strict):
    """Codes of one system, listed and/or read from a CSV file (one column of codes)."""

    system: str
    codes: list[str | int] = Field(default_factory=list)
    from_csv: str | None = None
    column: str = "code"
    description: str = ""

    @field_validator("system", mode="before")
    @classmethod
    def _system(cls, v: object) -> str:
        return code_system(v).name

    @model_validator(mode="after")
    def _codes(self, info: ValidationInfo) -> Codelist:
        system = SYSTEMS[self.system]
        problems: list[tuple[tuple[str | int, ...], str]] = []
        out: list[str | int] = []
        for i, raw in enumerate(self.codes):
            try:
                out.append(system.normalise(raw))
            except ValueError as exc:
                problems.append((("codes", i), str(exc)))
        if self.from_csv is not None:
            base = Path((info.context or {}).get("base_dir") or ".")
            try:
                out += _read_csv(base, self.from_csv, self.column, system)
            except ValueError as exc:
                problems.append((("from_csv",), str(exc)))
        if not problems and not out:
            problems.append((("codes",), "empty code list: give codes, or from_csv with codes"))
        _fail(problems, "Codelist")
        self.codes = list(dict.fromkeys(out))  # normalised, without duplicates, in order
        return self

    @property
    def exact(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.codes if not str(c).endswith("*"))

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(str(c)[:-1] for c in self.codes if str(c).endswith("*"))


def _read_csv(base: Path, shown: str, column: str, system: CodeSystem) -> list[str]:
    """Codes of one column of a CSV file in the definition's folder (or below it: a definition
    cannot make the platform read files elsewhere)."""
    path = (base / shown).resolve()
    if not path.is_relative_to(base.resolve()):
        raise ValueError(f"{shown}: a code list file must be in the definition's folder")
    if not path.is_file():
        raise ValueError(f"no such file: {shown} (looked in {path.parent})")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.DictReader(fh, delimiter=delimiter)
        if column not in (reader.fieldnames or []):
            raise ValueError(f"{shown} has no column {column!r} (columns: "
                             f"{', '.join(reader.fieldnames or [])}); set `column:`")
        codes = []
        for row_number, row in enumerate(reader, start=2):
            value = (row.get(column) or "").strip()
            if not value:
                continue
            try:
                codes.append(system.normalise(value))
            except ValueError as exc:
                raise ValueError(f"{shown}, row {row_number}, column {column!r}: {exc}") from None
    return codes


class AgeRange(_Strict):
    min: int | None = Field(None, ge=0, le=130)
    max: int | None = Field(None, ge=0, le=130)

    @model_validator(mode="after")
    def _bounds(self) -> AgeRange:
        if self.min is None and self.max is None:
            _fail([((), "give min, max or both (ages in completed years, bounds included)")],
                  "AgeRange")
        if self.min is not None and self.max is not None and self.min > self.max:
            _fail([(("max",), f"max ({self.max}) is below min ({self.min})")], "AgeRange")
        return self


# --- criteria -----------------------------------------------------------------------------------

DiagnosisSource = Literal["pmsi_main", "pmsi_related", "pmsi_associated", "ald"]
ActSource = Literal["dcir_act", "pmsi_act"]
DIAGNOSIS_SOURCES: tuple[DiagnosisSource, ...] = ("pmsi_main", "pmsi_related", "pmsi_associated",
                                                   "ald")
ACT_SOURCES: tuple[ActSource, ...] = ("dcir_act", "pmsi_act")


class EventCriterion(_Strict):
    """Something that happens on a date: a diagnosis, a dispensation, an act, a lab test."""

    kind: ClassVar[str]
    systems: ClassVar[tuple[str, ...]]
    label: ClassVar[str]  # what the web builder offers (translated there)
    doc: ClassVar[str]  # its sources, for the docs' table
    at_least: int = Field(1, ge=1, le=MAX_AT_LEAST)
    within: Days | None = None
    window: Window | None = None
    in_year: Year | None = None  # a calendar window: the events of one year ...
    between: Span | None = None  # ... or of a span of days, whatever the index date

    @model_validator(mode="after")
    def _count(self) -> EventCriterion:
        given = [k for k in ("window", "in_year", "between") if getattr(self, k) is not None]
        if len(given) > 1:
            _fail([((given[1],), f"give one of window, in_year or between, not {' and '.join(given)}")],
                  self.kind)
        if self.within is not None and self.within < 1:
            _fail([(("within",), "within must be at least 1 day")], self.kind)
        if self.within is not None and self.at_least < 2:
            _fail([(("within",), "within needs at_least of 2 or more")], self.kind)
        return self

    @property
    def codelist(self) -> str:
        return str(getattr(self, self.kind))

    @property
    def calendar(self) -> tuple[dt.date, dt.date] | None:
        """The calendar days counted, both included, when the criterion has a calendar window."""
        if self.in_year is not None:
            return dt.date(self.in_year, 1, 1), dt.date(self.in_year, 12, 31)
        return self.between

    @property
    def sources(self) -> tuple[str, ...]:
        raise NotImplementedError

    def describe(self) -> str:
        text = f"{self.kind.replace('_', ' ')} {self.codelist}"
        if self.at_least > 1:
            text += f" (at least {self.at_least}"
            text += f" within {show_days(self.within)})" if self.within else " times)"
        return text


def _unique_sources(value: object) -> object:
    if isinstance(value, str):
        return [value]
    return value


class Diagnosed(EventCriterion):
    kind = "diagnosed"
    label = 'Diagnosis (CIM-10), in hospital (PMSI) or long-term illness (ALD)'
    doc = '`pmsi_main`, `pmsi_related`, `pmsi_associated`, `ald`'
    systems = ("CIM10",)
    diagnosed: str
    in_: Annotated[list[DiagnosisSource], BeforeValidator(_unique_sources)] = Field(
        default_factory=lambda: list(DIAGNOSIS_SOURCES), alias="in", min_length=1)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.in_))

    def describe(self) -> str:
        where = "" if set(self.in_) == set(DIAGNOSIS_SOURCES) else f" in {', '.join(self.sources)}"
        return super().describe() + where


class HospitalisedFor(EventCriterion):
    """A hospital stay (PMSI MCO) with the condition as main diagnosis (DGN_PAL)."""

    kind = "hospitalised_for"
    label = 'Hospital stay with this main diagnosis (CIM-10)'
    doc = '`pmsi_main` (the main diagnosis of an MCO stay)'
    systems = ("CIM10",)
    hospitalised_for: str

    @property
    def sources(self) -> tuple[str, ...]:
        return ("pmsi_main",)


class Dispensed(EventCriterion):
    kind = "dispensed"
    label = 'Drug dispensed (ATC or CIP13)'
    doc = 'DCIR pharmacy (`dcir_pharmacy`)'
    systems = ("ATC", "CIP13")
    dispensed: str

    @property
    def sources(self) -> tuple[str, ...]:
        return ("dcir_pharmacy",)


class Act(EventCriterion):
    kind = "act"
    label = 'Medical act (CCAM)'
    doc = '`dcir_act` (in town), `pmsi_act` (in hospital)'
    systems = ("CCAM",)
    act: str
    in_: Annotated[list[ActSource], BeforeValidator(_unique_sources)] = \
        Field(default_factory=lambda: list(ACT_SOURCES), alias="in", min_length=1)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.in_))

    def describe(self) -> str:
        where = "" if set(self.in_) == set(ACT_SOURCES) else f" in {', '.join(self.sources)}"
        return super().describe() + where


class Lab(EventCriterion):
    kind = "lab"
    label = 'Laboratory test (NABM)'
    doc = 'DCIR laboratory (`dcir_lab`)'
    systems = ("NABM",)
    lab: str

    @property
    def sources(self) -> tuple[str, ...]:
        return ("dcir_lab",)


class AgeAtIndex(_Strict):
    kind: ClassVar[str] = "age_at_index"
    label: ClassVar[str] = 'Age at the index date'
    doc: ClassVar[tuple[tuple[str, str], ...]] = (  # (syntax, meaning) rows
        ('`age_at_index: {min: 18, max: 65}`',
         ('age in completed years at the index date, bounds included; birth is taken on the first '
          'day of the birth month (`BEN_NAI_ANN`, `BEN_NAI_MOI`; January when the month is '
          'unknown)')),
    )
    age_at_index: AgeRange

    person_columns: ClassVar[frozenset[str]] = frozenset({"BIRTH_YEAR", "BIRTH_MONTH"})  # of PERSON

    def predicate(self) -> exp.Expr:
        """Over ENTRY (e) and PERSON (p), like every person criterion's predicate."""
        ages = self.age_at_index
        return months_between(ages.min, ages.max, parse(AGE_IN_MONTHS))

    def describe(self) -> str:
        lo, hi = self.age_at_index.min, self.age_at_index.max
        if hi is None:
            return f"age at index {lo}+"
        return f"age at index {lo or 0}-{hi}"


class AgeOnDate(AgeRange):
    date: Day


class AgeOn(_Strict):
    """Age on a fixed date (the screening indicators' "aged 50-74 on 1 January")."""

    kind: ClassVar[str] = "age_on"
    doc: ClassVar[tuple[tuple[str, str], ...]] = (  # (syntax, meaning) rows
        ('`age_on: {date: 2021-01-01, min: 50, max: 74}`',
         ('age in completed years on a fixed date (the screening indicators\' "women aged 50-74 on '
          '1 January"), same rules')),
    )
    age_on: AgeOnDate

    person_columns: ClassVar[frozenset[str]] = frozenset({"BIRTH_YEAR", "BIRTH_MONTH"})  # of PERSON

    def predicate(self) -> exp.Expr:
        day, ages = self.age_on.date, self.age_on
        # the date's months are a number of ours
        return months_between(ages.min, ages.max,
                              parse(f"{day.year * 12 + day.month} - ({BIRTH_MONTHS})"))

    def describe(self) -> str:
        lo, hi = self.age_on.min, self.age_on.max
        ages = f"{lo}+" if hi is None else f"{lo or 0}-{hi}"
        return f"age {ages} on {self.age_on.date}"


class Alive(_Strict):
    """Alive on a date: no death (IR_BEN_R.BEN_DCD_DTE) before it."""

    kind: ClassVar[str] = "alive"
    doc: ClassVar[tuple[tuple[str, str], ...]] = (  # (syntax, meaning) rows
        ('`alive: 2022-12-31`',
         'not dead before that day (`BEN_DCD_DTE` empty, or on or after it)'),
    )
    alive: Day

    person_columns: ClassVar[frozenset[str]] = frozenset({"DEATH_DATE"})  # of PERSON

    def predicate(self) -> exp.Expr:
        death = col("DEATH_DATE", "p")
        return exp.or_(exp.Is(this=death, expression=exp.Null()),
                       exp.GTE(this=death.copy(), expression=date_literal(self.alive)), copy=False)

    def describe(self) -> str:
        return f"alive on {self.alive}"


class AldActive(_Strict):
    """An exoneration for a long-term illness of a CIM-10 list (IR_IMB_R) covering the index date,
    a given day (`on`), or a whole span (`throughout`)."""

    kind: ClassVar[str] = "ald_active"
    doc: ClassVar[tuple[tuple[str, str], ...]] = (  # (syntax, meaning) rows
        ('`ald_active: L`',
         ('an exoneration for a long-term illness (`IR_IMB_R`, natures 41, 43, 45) with a code of '
          'the CIM10 list `L` that covers the index date: started on or before it (`IMB_ALD_DTD`) '
          'and not ended before it (`IMB_ALD_DTF` empty, before 1900, or on or after it)')),
        ('`ald_active: L` with `on: 2022-01-01`',
         'the same, covering that day'),
        ('`ald_active: L` with `throughout: [2022-01-01, 2022-12-31]`',
         ('exonerations cover the whole span; those that overlap or follow each other (a renewal '
          'starting at most the day after the last one ends) count as one')),
    )
    ald_active: str
    on: Day | None = None
    throughout: Span | None = None

    @model_validator(mode="after")
    def _one_date(self) -> AldActive:
        if self.on is not None and self.throughout is not None:
            _fail([(("throughout",), "give on or throughout, not both")], "ald_active")
        return self

    @property
    def codelist(self) -> str:
        return self.ald_active

    @property
    def span(self) -> tuple[dt.date, dt.date] | None:
        """The days the exoneration must cover (None: the index date)."""
        return (self.on, self.on) if self.on is not None else self.throughout

    def describe(self) -> str:
        when = ("on the index date" if self.span is None else f"on {self.on}" if self.on
                else f"throughout {self.span[0]}..{self.span[1]}")
        return f"ALD for {self.ald_active} active {when}"


class InCohort(_Strict):
    """A member of another cohort (a saved or library definition, by name), whose index date
    lies in the window relative to this one's (default: at any time)."""

    kind: ClassVar[str] = "in_cohort"
    doc: ClassVar[tuple[tuple[str, str], ...]] = (  # (syntax, meaning) rows
        ('`in_cohort: NAME`, with an optional `window` (default: at any time)',
         ("a member of another cohort whose index date lies in the window relative to this one's "
          '(`[null, -1 day]`: entered the other before); see below')),
    )
    in_cohort: Annotated[str, Field(pattern=NAME)]
    window: Window = (None, None)

    def describe(self) -> str:
        return f"in cohort {self.in_cohort} {show_window(self.window)}"


SEX_CODES = {"male": 1, "female": 2}  # BEN_SEX_COD


class Sex(_Strict):
    kind: ClassVar[str] = "sex"
    label: ClassVar[str] = 'Sex'
    doc: ClassVar[tuple[tuple[str, str], ...]] = (  # (syntax, meaning) rows
        ('`sex: male` or `female`',
         '`BEN_SEX_COD` 1 or 2'),
    )
    sex: Literal["male", "female"]

    person_columns: ClassVar[frozenset[str]] = frozenset({"SEX"})  # of PERSON

    def predicate(self) -> exp.Expr:
        return exp.EQ(this=col("SEX", "p"), expression=exp.Literal.number(SEX_CODES[self.sex]))

    def describe(self) -> str:
        return f"sex {self.sex}"


def _code_list(fn: Any) -> Any:
    def check(value: object) -> list[str]:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ValueError("empty list")
        return [fn(v) for v in items]
    return BeforeValidator(check)


class Region(_Strict):
    kind: ClassVar[str] = "region"
    doc: ClassVar[tuple[tuple[str, str], ...]] = (  # (syntax, meaning) rows
        ('`region: "11"` or a list',
         ("residence (`BEN_RES_DPT`) in a region's departments (codes of `IR_DPT_V`/`IR_REG_V`, "
          'e.g. 11, 84, 93)')),
    )
    region: Annotated[list[str], _code_list(region_code)]

    person_columns: ClassVar[frozenset[str]] = frozenset({"DEPARTMENT"})  # of PERSON

    def predicate(self) -> exp.Expr:
        from hygie.cohorts.codes import departments_by_region

        departments = [d for r in self.region for d in departments_by_region()[r]]
        return exp.In(this=col("DEPARTMENT", "p"),
                      expressions=[exp.Literal.string(d) for d in departments])

    def describe(self) -> str:
        return f"region {', '.join(self.region)}"


class Department(_Strict):
    kind: ClassVar[str] = "department"
    doc: ClassVar[tuple[tuple[str, str], ...]] = (  # (syntax, meaning) rows
        ('`department: [75, 2A, 971]`',
         'residence department'),
    )
    department: Annotated[list[str], _code_list(department_code)]

    person_columns: ClassVar[frozenset[str]] = frozenset({"DEPARTMENT"})  # of PERSON

    def predicate(self) -> exp.Expr:
        return exp.In(this=col("DEPARTMENT", "p"),
                      expressions=[exp.Literal.string(d) for d in self.department])

    def describe(self) -> str:
        return f"department {', '.join(self.department)}"


class Died(_Strict):
    """Death (IR_BEN_R.BEN_DCD_DTE), or death from causes of a CIM-10 list (KI_CCI_R)."""

    kind: ClassVar[str] = "died"
    doc: ClassVar[tuple[tuple[str, str], ...]] = (  # (syntax, meaning) rows
        ('`died: true`, with an optional `window`',
         'death date (`IR_BEN_R.BEN_DCD_DTE`) in the window (default: at any time)'),
        ('`died: L`, with an optional `window`',
         'death with the underlying cause in the CIM10 list `L` (`KI_CCI_R.DCD_CIM_COD`)'),
    )
    died: Literal[True] | str
    window: Window = (None, None)

    @property
    def codelist(self) -> str | None:
        return None if self.died is True else str(self.died)

    person_columns: ClassVar[frozenset[str]] = frozenset({"DEATH_DATE"})  # of PERSON

    def predicate(self) -> exp.Expr:
        """Death at all (`died: true`; a cause is counted over KI_CCI_R by the compiler)."""
        death = col("DEATH_DATE", "p")
        return exp.and_(exp.Not(this=exp.Is(this=death, expression=exp.Null())),
                        *in_window(death, self.window), copy=False)

    def describe(self) -> str:
        cause = f" of {self.died}" if self.codelist else ""
        return f"died{cause} {show_window(self.window)}"


class ContinuousCoverage(_Strict):
    """Registered with the health insurance (IR_BEN_R) and alive over the whole window."""

    kind: ClassVar[str] = "continuous_coverage"
    doc: ClassVar[tuple[tuple[str, str], ...]] = (  # (syntax, meaning) rows
        ('`continuous_coverage: true`, with an optional `window` (default `[-365 days, 0 days]`)',
         'see below'),
    )
    continuous_coverage: Literal[True]
    window: Window = (-365, 0)

    @field_validator("window")
    @classmethod
    def _bounded(cls, v: tuple[int | None, int | None]) -> tuple[int | None, int | None]:
        if v[0] is None or v[1] is None:
            raise ValueError("a coverage window needs both bounds, e.g. [-365 days, 0 days]")
        return v

    person_columns: ClassVar[frozenset[str]] = frozenset({"REGISTERED", "DEATH_DATE"})  # of PERSON

    def predicate(self) -> exp.Expr:
        start, end = self.window
        assert start is not None and end is not None
        registered = exp.LTE(this=days_from_index(col("REGISTERED", "p")),
                             expression=exp.Literal.number(start))
        alive = exp.or_(exp.Is(this=col("DEATH_DATE", "p"), expression=exp.Null()),
                        exp.GTE(this=days_from_index(col("DEATH_DATE", "p")),
                                expression=exp.Literal.number(end)), copy=False)
        return exp.and_(registered, exp.Paren(this=alive), copy=False)

    def describe(self) -> str:
        return f"continuous coverage {show_window(self.window)}"


# --- the registry: every criterion of the language --------------------------------------------
# In the order the docs' tables and the web builder list them. A criterion is its class above
# (fields, checks, `describe`, and its `label` and `doc` for people), a name here, and its SQL in
# hygie.cohorts.compile; the docs' tables (`hygie.cohorts.reference`) and the builder's choices
# are made from this registry.

AnyCriterion = (Diagnosed | HospitalisedFor | Dispensed | Act | Lab | AgeAtIndex | AgeOn | Sex
                | Region | Department | Died | Alive | AldActive | ContinuousCoverage | InCohort)
CRITERIA: dict[str, type[_Strict]] = {c.kind: c for c in get_args(AnyCriterion)}
# Those that say something of the person alone (over PERSON and the index date): `predicate()`.
PersonCriterion = AgeAtIndex | AgeOn | Sex | Region | Department | Died | Alive | ContinuousCoverage
EVENT_KINDS = tuple(k for k, c in CRITERIA.items() if issubclass(c, EventCriterion))
OTHER_KINDS = tuple(k for k in CRITERIA if k not in EVENT_KINDS)


def _tagger(kinds: tuple[str, ...]) -> Any:
    def tag(value: Any) -> str | None:
        if isinstance(value, dict):
            found = [k for k in kinds if k in value]
            return f"~{found[0]}" if len(found) == 1 else None
        kind = getattr(value, "kind", None)
        return f"~{kind}" if kind in kinds else None
    return tag


def _tagged(kinds: tuple[str, ...], message: str) -> Any:
    """The criteria of `kinds` as one pydantic union, each told apart by its key."""
    members = tuple(Annotated[CRITERIA[k], Tag(f"~{k}")] for k in kinds)
    return Annotated[Union[members],  # noqa: UP007 - a union built from the registry
                     Discriminator(_tagger(kinds), custom_error_type="criterion",
                                   custom_error_message=message + ", ".join(kinds))]


if TYPE_CHECKING:
    EntryCriterion = Diagnosed | HospitalisedFor | Dispensed | Act | Lab
    Criterion = AnyCriterion
else:
    EntryCriterion = _tagged(EVENT_KINDS, "an entry criterion is an event: name exactly one of ")
    Criterion = _tagged(EVENT_KINDS + OTHER_KINDS, "a criterion names exactly one of ")


POPULATION_ENTRIES = ("registered_on", "reimbursed_care")


class Entry(_Strict):
    """The index date: the first date in the study period on which any of the events is met; or
    a population: everyone registered and alive on a day (the index date), or everyone with some
    reimbursed care in the study period (the index date: their first such day)."""

    any_of: list[EntryCriterion] = Field(default_factory=list)
    registered_on: Day | None = None
    reimbursed_care: Literal[True] | None = None

    @model_validator(mode="before")
    @classmethod
    def _single(cls, value: Any) -> Any:
        if isinstance(value, dict) and not {"any_of", *POPULATION_ENTRIES} & set(value):
            return {"any_of": [value]}  # `entry: {dispensed: x}` is a one-item any_of
        return value

    @property
    def population(self) -> bool:
        return self.registered_on is not None or self.reimbursed_care is not None

    @model_validator(mode="after")
    def _one_kind(self) -> Entry:
        given = [k for k in ("any_of", *POPULATION_ENTRIES) if getattr(self, k)]
        if len(given) != 1:
            _fail([((given[-1] if given else "any_of",),
                    "give one of any_of (entry events), registered_on (a day) or "
                    "reimbursed_care: true" + (f", not {' and '.join(given)}" if given else ""))],
                  "Entry")
        return self

    @model_validator(mode="after")
    def _no_window(self) -> Entry:
        _fail([(("any_of", i, key), "entry events are taken in the study period; "
                f"{'a window' if key == 'window' else key} belongs to require and exclude criteria")
               for i, c in enumerate(self.any_of) for key in ("window", "in_year", "between")
               if getattr(c, key) is not None], "Entry")
        return self


# --- per-person values (a study's baseline table) ------------------------------------------------

PERSON_VALUES = ("age_at_index", "sex", "department")  # from IR_BEN_R
EVENT_VALUES = ("first", "last", "count")  # of the events of a criterion, in its window


class EventValue(_Strict):
    """The first or last date, or the number of days, of the events of one criterion, in its
    window (relative to the index date, default: up to it) or calendar window."""

    first: EntryCriterion | None = None
    last: EntryCriterion | None = None
    count: EntryCriterion | None = None

    @model_validator(mode="after")
    def _one(self) -> EventValue:
        given = [k for k in EVENT_VALUES if getattr(self, k) is not None]
        if len(given) != 1:
            _fail([((given[-1] if given else "first",),
                    "give one of first, last or count, with an event criterion")], "value")
        c = self.event
        if c.at_least != 1 or c.within is not None:
            _fail([((given[0], "at_least" if c.at_least != 1 else "within"),
                    "a value takes every event of its window: no at_least or within")], "value")
        return self

    @property
    def how(self) -> str:
        return next(k for k in EVENT_VALUES if getattr(self, k) is not None)

    @property
    def event(self) -> EventCriterion:
        return getattr(self, self.how)


Value = Annotated[
    Annotated[Literal["age_at_index", "sex", "department"], Tag("~person")]
    | Annotated[EventValue, Tag("~event")],
    Discriminator(lambda v: "~event" if isinstance(v, dict | EventValue) else "~person")]
RESERVED_VALUE_NAMES = {"PERSON_KEY", "INDEX_DATE"}


# --- the definition -----------------------------------------------------------------------------


class Cohort(_Strict):
    name: Annotated[str, Field(pattern=NAME)]
    title: str = ""
    description: str = ""
    period: Period
    codelists: dict[Annotated[str, Field(pattern=NAME)], Codelist] = Field(default_factory=dict)
    entry: Entry
    require: list[Criterion] = Field(default_factory=list)
    exclude: list[Criterion] = Field(default_factory=list)
    values: dict[Annotated[str, Field(pattern=NAME)], Value] = Field(default_factory=dict)
    quality_filters: bool = True

    @model_validator(mode="after")
    def _references(self) -> Cohort:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        places: list[tuple[tuple[str | int, ...], AnyCriterion | EventCriterion]] = [
            (("entry", "any_of", i), c) for i, c in enumerate(self.entry.any_of)]
        places += [(("require", i), c) for i, c in enumerate(self.require)]
        places += [(("exclude", i), c) for i, c in enumerate(self.exclude)]
        for name, value in self.values.items():
            if name.upper() in RESERVED_VALUE_NAMES:
                problems.append((("values", name), f"{name!r} is a column of every cohort; "
                                                    "choose another name"))
            if isinstance(value, EventValue):
                places.append((("values", name, value.how), value.event))
        defined = ", ".join(self.codelists) or "none"
        day = self.entry.registered_on
        if day is not None and not self.period.start <= day <= self.period.end:
            problems.append((("entry", "registered_on"), f"{day} is outside the study period "
                             f"({self.period.start}..{self.period.end})"))
        for loc, c in places:
            if isinstance(c, EventCriterion):
                name, systems = c.codelist, c.systems
            elif isinstance(c, Died | AldActive) and c.codelist:
                name, systems = str(c.codelist), ("CIM10",)
            else:
                continue
            here = (*loc, c.kind)
            if name not in self.codelists:
                problems.append((here, f"unknown codelist {name!r} (defined: {defined})"))
            elif self.codelists[name].system not in systems:
                problems.append((here, f"codelist {name!r} is {self.codelists[name].system}; "
                                       f"{c.kind} needs {' or '.join(systems)}"))
            if isinstance(c, EventCriterion) and loc[0] not in ("entry", "values") \
                    and c.within is not None:
                problems.append(((*loc, "within"), "within applies to entry criteria; in "
                                 "require and exclude, the window bounds the count"))
        _fail(problems, "Cohort")
        return self

    # --- loading -------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Any, *, base_dir: str | Path | None = None,
                  origin: str = "") -> Cohort:
        if not isinstance(data, dict):
            raise DefinitionError([("definition", "expected a mapping of keys (name, period, "
                                                  "codelists, entry, require, exclude)")], origin)
        shape = check_data(data)
        if shape:
            raise DefinitionError([("definition", shape)], origin)
        try:
            return cls.model_validate(data, context={"base_dir": str(base_dir or ".")})
        except ValidationError as exc:
            raise DefinitionError(readable_errors(exc), origin) from None

    @classmethod
    def from_yaml(cls, source: str | Path) -> Cohort:
        """Load a definition from a YAML file (a Path, or a string naming a .yaml/.yml file) or
        from YAML text. CSV code lists are read relative to the file's folder."""
        text, base, origin = _read(source, (".yaml", ".yml"))
        shape = check_yaml(text)
        if shape:
            raise DefinitionError([("definition", shape)], origin)
        try:
            data = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
            raise DefinitionError([(where, str(getattr(exc, "problem", exc)))], origin) from None
        return cls.from_dict(data, base_dir=base, origin=origin)

    @classmethod
    def from_json(cls, source: str | Path) -> Cohort:
        text, base, origin = _read(source, (".json",))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DefinitionError([(f"line {exc.lineno}, column {exc.colno}", exc.msg)],
                                  origin) from None
        except RecursionError:  # the decoder recurses; shallower nesting is checked in from_dict
            raise DefinitionError([("definition", "nested too deep")], origin) from None
        return cls.from_dict(data, base_dir=base, origin=origin)

    @classmethod
    def load(cls, path: str | Path) -> Cohort:
        """A definition file, YAML or JSON by its extension."""
        path = Path(path)
        return cls.from_json(path) if path.suffix.lower() == ".json" else cls.from_yaml(path)

    # --- using ---------------------------------------------------------------------------------

    @property
    def criteria(self) -> list[tuple[str, AnyCriterion]]:
        """The require and exclude criteria in the order they apply: ("require", c), ..."""
        return [("require", c) for c in self.require] + [("exclude", c) for c in self.exclude]

    @property
    def placed(self) -> list[tuple[str, AnyCriterion]]:
        """The require and exclude criteria with their place: ("require[0]", c), ..."""
        return ([(f"require[{i}]", c) for i, c in enumerate(self.require)]
                + [(f"exclude[{i}]", c) for i, c in enumerate(self.exclude)])

    @property
    def references(self) -> list[tuple[str, str]]:
        """(place, name) of the other cohorts this one uses (`in_cohort`)."""
        return [(f"{place}.in_cohort", c.in_cohort) for place, c in self.placed
                if isinstance(c, InCohort)]

    def compile(self, library: Library | None = None) -> Compiled:
        """The SQL of the cohort; `library` gives the cohorts that `in_cohort` names."""
        from hygie.cohorts.compile import compile_cohort

        return compile_cohort(self, library)

    def sql(self, engine: str = "duckdb", *, attrition: bool = False, pretty: bool = True,
            library: Library | None = None) -> str:
        """The SQL of the cohort (or of its attrition counts) for an engine: duckdb or spark."""
        from hygie.cohorts.compile import render

        compiled = self.compile(library)
        return render(compiled.attrition if attrition else compiled.people, engine, pretty=pretty)

    def people(self, source: Source, library: Library | None = None) -> pa.Table:
        """The cohort: one row per person, PERSON_KEY and INDEX_DATE, sorted by PERSON_KEY."""
        from hygie.cohorts.run import run_people

        return run_people(self, source, library)

    def baseline(self, source: Source, library: Library | None = None) -> pa.Table:
        """The people with their `values` (a study's baseline table): PERSON_KEY, INDEX_DATE,
        then one column per value, named as in the definition; sorted by PERSON_KEY."""
        from hygie.cohorts.run import run_values

        return run_values(self, source, library)

    def attrition(self, source: Source, library: Library | None = None) -> list[tuple[str, int]]:
        """People remaining after entry and after each criterion in order (raw counts)."""
        from hygie.cohorts.run import run_attrition

        return run_attrition(self, source, library)

    def count(self, source: Source, library: Library | None = None) -> int:
        """Number of people in the cohort (raw; feasibility outputs go through hygie.sdc)."""
        return self.attrition(source, library)[-1][1]

    def feasibility(self, source: Source, secret: Secret,
                    register: OppositionRegister | None = None,
                    library: Library | None = None) -> list[tuple[str, Released]]:
        """The attrition table as it may be shown to an applicant: objectors left out, each count
        perturbed by the cell-key method, rounded to 5, and hidden under 11."""
        from hygie.cohorts.run import run_feasibility

        return run_feasibility(self, source, secret, register, library)


# --- loading helpers ----------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML's safe loader without implicit numbers or timestamps: `0552` stays the text "0552"
    (not octal 362), `2A` and `075` stay department codes; pydantic turns numbers and dates where
    the model expects them. Null keeps its meaning; booleans are true and false only (YAML 1.2):
    YAML 1.1 also reads `on`, `off`, `yes` and `no` as booleans, which made the key `on:` of
    `ald_active` a True."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                           "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                              re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _read(source: str | Path, suffixes: tuple[str, ...]) -> tuple[str, Path | None, str]:
    looks_like_path = isinstance(source, Path) or (
        "\n" not in source and source.strip().lower().endswith((*suffixes, ".yaml", ".yml",
                                                                 ".json")))
    if not looks_like_path:
        return str(source), None, ""
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8"), path.parent, str(path)
    except OSError as exc:
        raise DefinitionError([("file", f"cannot read {path}: {exc.strerror or exc}")],
                              str(path)) from None


_KNOWN_KEYS = sorted({*Cohort.model_fields, *Period.model_fields, *Codelist.model_fields,
                      *AgeOnDate.model_fields, "any_of", "at_least", "within", "window", "in",
                      "in_year", "between", "on", "throughout", *POPULATION_ENTRIES,
                      *EVENT_VALUES,
                      *EVENT_KINDS, *OTHER_KINDS})


def _place(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("~"):
            continue  # the tag of a criterion kind, not a place in the file
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{str(part)!r}]"
    return out or "definition"


def readable_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """Pydantic's errors as (place, message), e.g. ("exclude[0].window", "start after end")."""
    out: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        msg = str(err["msg"])
        kind = err["type"]
        if kind == "missing":
            msg = "required"
        elif kind == "extra_forbidden":
            key = str(loc[-1])
            close = difflib.get_close_matches(key, _KNOWN_KEYS, n=1)
            msg = f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            if key in _KNOWN_KEYS:
                msg = f"{key!r} is not allowed here"
        elif kind == "value_error":
            msg = msg.removeprefix("Value error, ")
        elif kind in ("greater_than_equal", "less_than_equal"):
            bound = (err.get("ctx") or {}).get("ge" if kind == "greater_than_equal" else "le")
            msg = f"must be {'at least' if kind == 'greater_than_equal' else 'at most'} {bound}"
        elif kind == "string_pattern_mismatch":
            msg = "use letters, digits and _ (starting with a letter, at most 64 characters)"
        elif kind == "literal_error":
            msg = f"{err['input']!r} is not allowed; " + msg.replace("Input should be", "expected")
        out.append((_place(loc), msg))
    return out
