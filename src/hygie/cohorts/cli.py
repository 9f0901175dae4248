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
    """Print the SQL that selects the cohort's people (PERSON_KEY, INDEX_DATE). Cohorts named by
    `in_cohort` are read from the definition's folder (NAME.yaml, NAME.yml or NAME.json)."""
    from hygie.cohorts.library import beside

    try:
        text = _load(definition).sql(engine.value, attrition=attrition, library=beside(definition))
    except DefinitionError as exc:
        raise _fail(str(exc)) from None
    typer.echo(text)


@cohort_app.command("count")
def count(definition: Path = DEF,
          data: Path = typer.Option(..., "--data", help="SNDS dataset folder (with manifest.json)."),
          oppositions: Path = typer.Option(..., envvar="HYGIE_OPPOSITION_REGISTER",
                                           help="The opposition register (`hygie oppositions`)."),
          engine: EngineName = ENGINE) -> None:
    """Feasibility: people remaining after entry and after each criterion, objectors left out,
    each count perturbed by the cell key, rounded to 5 and hidden under 11 (`hygie.sdc`).

    Needs the platform secret (HYGIE_PSEUDO_SECRET or HYGIE_PSEUDO_SECRET_FILE)."""
    from rich.console import Console
    from rich.table import Table

    from hygie.cohorts.library import beside
    from hygie.cohorts.run import CohortError
    from hygie.engine.lake import Dataset, LakeError
    from hygie.pseudo.keys import SecretError, load_secret
    from hygie.pseudo.oppositions import OppositionRegister
    from hygie.snds.views import missing_tables, open_snds

    cohort = _load(definition)
    library = beside(definition)
    try:
        compiled = cohort.compile(library)
    except DefinitionError as exc:
        raise _fail(str(exc)) from None
    try:
        secret = load_secret()
        dataset = Dataset.open(data)
    except (LakeError, SecretError) as exc:
        raise _fail(str(exc)) from None
    if not oppositions.is_file():
        raise _fail(f"no opposition register at {oppositions} (create it with "
                    "`hygie oppositions init`)")
    absent = missing_tables(dataset, compiled.tables)
    if absent:
        raise _fail(f"{definition} reads {', '.join(absent)}, absent from the dataset {data}")
    console = Console()
    with console.status(f"counting on {engine.value}...", spinner="dots"), \
            open_snds(dataset, engine.value) as eng:
        try:
            counts = cohort.feasibility(eng, secret, OppositionRegister(oppositions), library)
        except CohortError as exc:
            raise _fail(str(exc)) from None
    table = Table("step", "criterion", "people", title=cohort.title or cohort.name,
                  caption="people remaining after each step, objectors left out; each count is "
                          "perturbed and rounded to 5, counts under 11 are not shown")
    for step, (label, released) in enumerate(counts):
        table.add_row(str(step), label, released.mark)
    console.print(table)
