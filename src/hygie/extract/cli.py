"""`hygie extract` and `hygie oppositions`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console(stderr=True)
oppositions_app = typer.Typer(no_args_is_help=True, help="The register of citizens' objections.")


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {message}")
    return typer.Exit(2)


def extract_command(
    scope_file: Path = typer.Argument(..., metavar="SCOPE", help="The project's scope (YAML)."),
    project: str = typer.Option(..., help="Project id; must be the scope's (a deliberate check)."),
    data: Path = typer.Option(..., help="The SNDS dataset folder (lake dataset)."),
    out: Path = typer.Option(..., help="Output folder for the extract (must be empty)."),
    oppositions: Path = typer.Option(..., envvar="HYGIE_OPPOSITION_REGISTER",
                                     help="The opposition register (see `hygie oppositions`)."),
    engine: str | None = typer.Option(None, help="duckdb or spark (default: the scope's)."),
    force: bool = typer.Option(False, "--force",
                               help="Replace an earlier extract of the same project."),
) -> None:
    """Write a project's extract: its cohort, allowed columns and period, pseudonymised, objectors out."""
    from hygie.engine.engines import EngineError, open_engine
    from hygie.engine.lake import Dataset, LakeError
    from hygie.extract.run import extract
    from hygie.extract.scope import Scope, ScopeError
    from hygie.pseudo.keys import SecretError, load_secret
    from hygie.pseudo.oppositions import OppositionRegister

    try:
        scope = Scope.from_yaml(scope_file)
        if scope.project != project:
            raise _fail(f"--project {project} is not the scope's project {scope.project}")
        if not oppositions.is_file():
            raise _fail(f"no opposition register at {oppositions} (create it with "
                        "`hygie oppositions init`)")
        secret = load_secret()
        dataset = Dataset.open(data, verify=True)
        scope.check(dataset)
        eng = open_engine(engine or scope.engine)
    except (ScopeError, SecretError, LakeError, EngineError) as exc:
        raise _fail(str(exc)) from None
    try:
        with console.status("extracting") as status:
            ds, report = extract(scope, dataset, out, secret=secret,
                                 register=OppositionRegister(oppositions), engine=eng,
                                 force=force, progress=lambda msg: status.update(msg),
                                 inputs=_other_inputs(scope_file))
    except (ScopeError, LakeError) as exc:
        raise _fail(str(exc)) from None
    finally:
        eng.close()
    table = Table("table", "rows released", "outside the cohort", "opposed", "outside the period",
                  "not linkable", title=f"Extract {scope.project} -> {ds.path}")
    for name, c in report.tables.items():
        table.add_row(name, f"{c['rows_released']:,}", f"{c['rows_of_people_outside_the_cohort']:,}",
                      f"{c['rows_of_opposed_people']:,}", f"{c['rows_outside_the_period']:,}",
                      f"{c['rows_not_linked_to_one_person']:,}")
    Console().print(table)
    Console().print(f"people: {report.cohort_people:,} in the cohort, "
                    f"{report.opposed_people:,} objected, {report.released_people:,} released")


def _other_inputs(scope_file: Path) -> list[Path]:
    """What the command reads besides the dataset and the register: the output must stay apart."""
    import os

    secret_file = os.environ.get("HYGIE_PSEUDO_SECRET_FILE")
    return [scope_file, *([Path(secret_file)] if secret_file else [])]


@oppositions_app.command("init")
def init(path: Path = typer.Argument(..., help="Where to keep the register.")) -> None:
    """Create an empty opposition register."""
    from hygie.engine.lake import write_parquet
    from hygie.pseudo.oppositions import SCHEMA

    if path.exists():
        raise _fail(f"{path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(SCHEMA.empty_table(), path)
    Console().print(f"empty opposition register created at {path}")


@oppositions_app.command("add")
def add(
    path: Path = typer.Argument(..., help="The register."),
    person_keys: Path = typer.Option(..., help="A file with one person key (BEN_NIR_ANO) a line."),
) -> None:
    """Record objections, given as the source's person keys (stored only as keyed hashes)."""
    import pyarrow as pa

    from hygie.pseudo.keys import SecretError, load_secret
    from hygie.pseudo.oppositions import OppositionRegister

    try:
        secret = load_secret()
        keys = [line.strip() for line in person_keys.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    except SecretError as exc:
        raise _fail(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {person_keys}: "
                    f"{getattr(exc, 'strerror', None) or 'not UTF-8 text'}") from None
    try:
        added = OppositionRegister(path).register(secret, keys)
    except (OSError, pa.ArrowException) as exc:  # not a register: refused, left as it was
        raise _fail(f"{path} is not an opposition register ({type(exc).__name__})") from None
    Console().print(f"{added} new objection(s) recorded ({len(keys) - added} already known)")
