"""Run a compiled cohort on an engine: the people, the attrition counts, the feasibility counts.

A source is an engine on which `hygie.snds.views.attach_snds` was called (its views are used as
they are), or a dataset (a `Dataset` or its folder), which is opened on a fresh DuckDB engine for
the call, after checking that it holds every table the definition reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pyarrow as pa
from sqlglot import exp

from hygie.engine.engines import Engine
from hygie.engine.lake import Dataset

if TYPE_CHECKING:
    from hygie.cohorts.compile import Compiled
    from hygie.cohorts.model import Cohort, Library
    from hygie.pseudo.keys import Secret
    from hygie.pseudo.oppositions import OppositionRegister
    from hygie.sdc.released import Released

Source = Engine | Dataset | str | Path
# Engine.arrow is typed for sqlglot's Expression; a compiled query is a Query (both are Expr).


class CohortError(RuntimeError):
    """A cohort cannot run on this data; the message says why."""


def data_years(dataset: Dataset) -> tuple[int, int] | None:
    """The calendar years a dataset covers, when it says so: the years of its PMSI tables and
    the generator's first and last year (None when neither is known)."""
    from hygie.snds.views import pmsi_years

    years = set(pmsi_years(dataset, "C"))
    parameters = (dataset.manifest.get("source") or {}).get("parameters") or {}
    for key in ("first_year", "last_year"):
        if isinstance(parameters.get(key), int):
            years.add(parameters[key])
    return (min(years), max(years)) if years else None


def dates_outside(cohort: Cohort, years: tuple[int, int]) -> list[str]:
    """The fixed dates of a definition's criteria that lie wholly outside the data's years,
    each named by its place ("require[0].in_year: 2030 is outside the data (2019-2022)")."""
    from hygie.cohorts.model import AgeOn, AldActive, Alive, EventCriterion

    first, last = years
    out = []
    for place, c in cohort.placed:
        spans: list[tuple[str, object, int, int]] = []
        if isinstance(c, EventCriterion) and c.calendar:
            key = "in_year" if c.in_year is not None else "between"
            spans.append((key, getattr(c, key), c.calendar[0].year, c.calendar[1].year))
        elif isinstance(c, AldActive) and c.span:
            key = "on" if c.on else "throughout"
            spans.append((key, getattr(c, key), c.span[0].year, c.span[1].year))
        elif isinstance(c, Alive):
            spans.append(("alive", c.alive, c.alive.year, c.alive.year))
        elif isinstance(c, AgeOn):
            spans.append(("age_on.date", c.age_on.date, c.age_on.date.year, c.age_on.date.year))
        for key, value, start, end in spans:
            if end < first or start > last:
                shown = (f"[{value[0]}, {value[1]}]" if isinstance(value, tuple) else str(value))
                out.append(f"{place}.{key}: {shown} is outside the data ({first}-{last})")
    return out


@contextmanager
def snds_engine(source: Source, needed: set[str] | None = None,
                cohort: Cohort | None = None) -> Iterator[Engine]:
    """An engine with the SNDS views of `source` (which is used as is when it is an engine).
    With a cohort, its fixed dates are checked against the years the dataset covers."""
    if isinstance(source, Engine):
        yield source
        return
    from hygie.snds.views import missing_tables, open_snds

    dataset = source if isinstance(source, Dataset) else Dataset.open(source)
    absent = missing_tables(dataset, needed or ())
    if absent:
        raise CohortError(f"the definition reads {', '.join(absent)}, absent from the dataset "
                          f"{dataset.path}")
    years = data_years(dataset)
    outside = dates_outside(cohort, years) if cohort is not None and years else []
    if outside:
        raise CohortError("; ".join(outside))
    with open_snds(dataset) as engine:
        yield engine


@contextmanager
def shared_steps(engine: Engine, compiled: Compiled) -> Iterator[None]:
    """The compiled query's shared steps, computed once as temporary tables for the call."""
    try:
        for name, query in compiled.shared.items():
            engine.materialize(name, cast(exp.Expression, query))
        yield
    finally:
        for name in compiled.shared:
            engine.drop(name)


def run_people(cohort: Cohort, source: Source, library: Library | None = None) -> pa.Table:
    compiled = cohort.compile(library)
    with snds_engine(source, compiled.tables, cohort) as engine, shared_steps(engine, compiled):
        return engine.arrow(cast(exp.Expression, compiled.without_shared(compiled.people)))


def run_values(cohort: Cohort, source: Source, library: Library | None = None) -> pa.Table:
    compiled = cohort.compile(library)
    assert compiled.values is not None
    with snds_engine(source, compiled.tables, cohort) as engine, shared_steps(engine, compiled):
        table = engine.arrow(cast(exp.Expression, compiled.without_shared(compiled.values)))
    # The value names are the user's: they name the Arrow columns, never SQL identifiers.
    return table.rename_columns(["PERSON_KEY", "INDEX_DATE", *compiled.value_names])


def run_attrition(cohort: Cohort, source: Source,
                  library: Library | None = None) -> list[tuple[str, int]]:
    compiled = cohort.compile(library)
    with snds_engine(source, compiled.tables, cohort) as engine, shared_steps(engine, compiled):
        row = engine.arrow(cast(exp.Expression,
                                compiled.without_shared(compiled.attrition))).to_pylist()[0]
    return [(label, int(row[f"STEP_{k}"] or 0)) for k, label in enumerate(compiled.steps)]


def run_feasibility(cohort: Cohort, source: Source, secret: Secret,
                    register: OppositionRegister | None,
                    library: Library | None = None) -> list[tuple[str, Released]]:
    """The attrition counts as they may leave the platform: objectors out, then each count
    perturbed by the cell key and rounded, counts under 11 hidden (`hygie.sdc.CellKey`).

    Only the number of people and the sum of their record keys leave the engine. Noise is per
    count, so a perturbed attrition table need not decrease step by step.
    """
    from hygie.pseudo.oppositions import SCHEMA
    from hygie.pseudo.pseudonyms import opposed_filter
    from hygie.sdc.cellkey import CellKey

    cell_key = CellKey.from_secret(secret)
    compiled = cohort.compile(library)
    steps, kept, opposed = "FEASIBILITY_STEPS", "FEASIBILITY_KEPT", "FEASIBILITY_OPPOSED"
    with snds_engine(source, compiled.tables, cohort) as engine:
        try:
            engine.register_arrow(opposed, register.table() if register else SCHEMA.empty_table())
            with shared_steps(engine, compiled):
                engine.materialize(steps, cast(exp.Expression, compiled.without_shared(compiled.keeps)))
            engine.materialize(kept, opposed_filter(engine, exp.select("*").from_(steps),
                                                    secret.opposition_key(), opposed))
            out = []
            for k, label in enumerate(compiled.steps):
                persons = exp.select("PERSON_KEY").from_(kept).where(
                    exp.GTE(this=exp.column("PASSED"), expression=exp.Literal.number(k)))
                out.append((label, cell_key.release_query(engine, persons, "PERSON_KEY")))
            return out
        finally:
            for name in (kept, steps, opposed):
                engine.drop(name)
