"""`hygie cohort ...`: show a definition's SQL, count its people step by step."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from hygie.cohorts.model import Cohort, DefinitionError

cohort_app = typer.Typer(no_args_is_help=True,
                         help="Cohort definitions (targeting): their SQL and attrition counts.")


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def present_count(n: int) -> str:
    """How a count leaves the platform. This is the hook for `hygie.sdc`: until it is wired in,
    counts of 1 to 10 people are shown as "<11" (the SNDS rule of statistical secrecy)."""
    return "<11" if 1 <= n <= 10 else f"{n:,}"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _load(definition: Path) -> Cohort:
    try:
        return Cohort.load(definition)
    except DefinitionError as exc:
        raise _fail(str(exc)) from None


DEF = typer.Argument(..., metavar="DEF", help="Cohort definition (YAML or JSON).")
ENGINE = typer.Option(EngineName.duckdb, "--engine", help="SQL engine.")


@cohort_app.command("sql")
def sql(definition: Path = DEF, engine: EngineName = ENGINE,
        attrition: bool = typer.Option(False, "--attrition",
                                       help="Show the query of the attrition counts instead.")
        ) -> None:
    """Print the SQL that selects the cohort's people (PERSON_KEY, INDEX_DATE)."""
    typer.echo(_load(definition).sql(engine.value, attrition=attrition))


@cohort_app.command("count")
def count(definition: Path = DEF,
          data: Path = typer.Option(..., "--data", help="SNDS dataset folder (with manifest.json)."),
          engine: EngineName = ENGINE) -> None:
    """Count the people remaining after entry and after each criterion (attrition table)."""
    from rich.console import Console
    from rich.table import Table

    from hygie.cohorts.run import CohortError, missing_tables
    from hygie.engine.engines import open_engine
    from hygie.engine.lake import Dataset, LakeError
    from hygie.snds.views import attach_snds

    cohort = _load(definition)
    compiled = cohort.compile()
    try:
        dataset = Dataset.open(data)
    except LakeError as exc:
        raise _fail(str(exc)) from None
    absent = missing_tables(dataset, compiled.tables)
    if absent:
        raise _fail(f"{definition} reads {', '.join(absent)}, absent from the dataset {data}")
    console = Console()
    with console.status(f"counting on {engine.value}...", spinner="dots"), \
            open_engine(engine.value) as eng:
        attach_snds(eng, dataset)
        try:
            counts = cohort.attrition(eng)
        except CohortError as exc:
            raise _fail(str(exc)) from None
    table = Table("step", "criterion", "people", title=cohort.title or cohort.name,
                  caption="people remaining after each step; counts of 1 to 10 are not shown")
    for step, (label, n) in enumerate(counts):
        table.add_row(str(step), label, present_count(n))
    console.print(table)
