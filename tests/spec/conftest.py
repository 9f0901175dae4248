"""The engine specification tests: tiny hand-made SNDS tables, one definition, the expected people
and index dates, run unchanged on every engine (the `engine` fixture: DuckDB, then Spark)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hygie.cohorts import Cohort
from hygie.snds.views import attach_snds
from tests.spec.builder import Snds

PERIOD = {"start": "2021-01-01", "end": "2021-12-31"}
CODELISTS = {
    "metformin": {"system": "ATC", "codes": ["A10BA02"]},
    "antidiabetics": {"system": "ATC", "codes": ["A10B*"]},
    "insulins": {"system": "ATC", "codes": ["A10A*"]},
    "t2d": {"system": "CIM10", "codes": ["E11*"]},
    "t1d": {"system": "CIM10", "codes": ["E10*"]},
    "hf": {"system": "CIM10", "codes": ["I50*"]},
    "cancer": {"system": "CIM10", "codes": ["C*"]},
    "hba1c": {"system": "NABM", "codes": ["1577"]},
    "lab_05": {"system": "NABM", "codes": ["05*"]},
    "echo": {"system": "CCAM", "codes": ["DZQM006"]},
}


def define(entry: Any, *, require: list[Any] | None = None, exclude: list[Any] | None = None,
           period: dict[str, str] | None = None, codelists: dict[str, Any] | None = None,
           **options: Any) -> Cohort:
    """A definition from its parts, with the usual code lists and a 2021 study period."""
    return Cohort.from_dict({
        "name": "spec", "period": period or PERIOD, "codelists": {**CODELISTS, **(codelists or {})},
        "entry": entry, "require": require or [], "exclude": exclude or [], **options})


Result = dict[str, dt.date]


@pytest.fixture
def run(engine: Any, tmp_path: Path) -> Callable[[Snds, Cohort], Result]:
    """Write the tables, attach them to the engine and give the cohort's {person: index date}."""
    numbers = itertools.count()

    def run(db: Snds, cohort: Cohort) -> Result:
        attach_snds(engine, db.write(tmp_path / f"snds{next(numbers)}"))
        people = cohort.people(engine).to_pylist()
        return {r["PERSON_KEY"]: r["INDEX_DATE"] for r in people}

    return run


@pytest.fixture
def baseline(engine: Any, tmp_path: Path) -> Callable[[Snds, Cohort], dict[str, dict[str, Any]]]:
    """The cohort's values: {person: {value name: value}}."""
    numbers = itertools.count()

    def values(db: Snds, cohort: Cohort) -> dict[str, dict[str, Any]]:
        attach_snds(engine, db.write(tmp_path / f"snds_b{next(numbers)}"))
        rows = cohort.baseline(engine).to_pylist()
        return {r.pop("PERSON_KEY"): r for r in rows}

    return values


@pytest.fixture
def attrition(engine: Any, tmp_path: Path) -> Callable[[Snds, Cohort], list[int]]:
    """The raw attrition counts of a cohort on the tables."""
    numbers = itertools.count()

    def count(db: Snds, cohort: Cohort) -> list[int]:
        attach_snds(engine, db.write(tmp_path / f"snds_a{next(numbers)}"))
        return [n for _, n in cohort.attrition(engine)]

    return count


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
