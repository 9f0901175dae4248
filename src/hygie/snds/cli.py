"""`hygie snds ...`: SNDS schemas and dataset validation."""

from __future__ import annotations

from pathlib import Path

import typer

snds_app = typer.Typer(no_args_is_help=True, help="SNDS schemas, nomenclatures and validation.")


@snds_app.command("tables")
def tables() -> None:
    """List the SNDS tables known to Hygie."""
    from rich.console import Console
    from rich.table import Table

    from hygie.snds.schemas import load_schemas

    out = Table("table", "product", "fields", "title")
    for s in load_schemas().tables.values():
        out.add_row(s.name, s.product, str(len(s.fields)), s.title)
    Console().print(out)


@snds_app.command("load-pg")
def load_pg(
    directory: str = typer.Argument(..., metavar="DIR",
                                    help="Dataset folder (with manifest.json)."),
    dsn: str | None = typer.Option(
        None, "--dsn", envvar="HYGIE_PG_DSN", show_envvar=True, show_default=False,
        help="PostgreSQL DSN or URI (required); prefer the env var, which keeps a password out "
             "of the process list and shell history."),
    schema: str = typer.Option(..., "--schema", help="PostgreSQL schema to load into."),
    replace: bool = typer.Option(False, "--replace",
                                 help="Replace the tables already in the schema."),
) -> None:
    """Load a lake dataset into PostgreSQL in one transaction: tables, rows, keys."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from hygie.engine.lake import Dataset, LakeError
    from hygie.engine.postgres import PostgresLoadError, load_dataset

    err = Console(stderr=True)

    def fail(message: str) -> typer.Exit:
        typer.echo(f"error: {' '.join(message.split())}", err=True)
        return typer.Exit(2)

    if not dsn:
        raise fail("no DSN: pass --dsn or set HYGIE_PG_DSN")
    start = time.perf_counter()
    try:
        dataset = Dataset.open(directory)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=err, transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=total)
                bar.update(tasks[step], completed=done, total=total)

            counts = load_dataset(dataset, dsn, schema, replace=replace, progress=progress)
    except (LakeError, PostgresLoadError) as exc:
        raise fail(str(exc)) from None
    seconds = time.perf_counter() - start
    for table, rows in counts.items():
        typer.echo(f"{table}: {rows} rows")
    total = sum(counts.values())
    typer.echo(f"loaded {total} rows in {len(counts)} tables into schema {schema} "
               f"in {seconds:.1f} s")


@snds_app.command("validate")
def validate(
    path: Path = typer.Argument(..., metavar="DIR",
                                help="A dataset folder, or one table (.csv, .parquet, folder)."),
    max_examples: int = typer.Option(10, "--max-examples", min=1,
                                     help="Offending rows shown per table, column and check."),
) -> None:
    """Validate SNDS tables against their schemas; exit 1 on any issue, 2 on unusable input."""
    from rich.console import Console
    from rich.table import Table

    from hygie.engine.lake import MANIFEST, LakeError
    from hygie.snds.schemas import load_schemas
    from hygie.snds.validate import ValidationInputError, validate_dataset, validate_table

    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = max(out.width, 160)  # logs and pipes: keep table rows on one line
    single = path.is_file() or (path.is_dir() and not (path / MANIFEST).exists()
                                and path.name.upper() in load_schemas()
                                and any(path.glob("*.parquet")))
    try:
        if single:
            report = validate_table(path, max_examples=max_examples)
        else:
            report = validate_dataset(path, max_examples=max_examples)
    except (ValidationInputError, LakeError) as exc:
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if report.issues:
        table = Table("table", "column", "check", "file", "row", "value", "total", "message")
        for i in report.issues:
            table.add_row(i.table, i.column or "", i.check, i.file or "",
                          "" if i.row is None else str(i.row),
                          "" if i.value is None else i.value[:200], f"{i.count:,}", i.message)
        out.print(table)
    for fk in report.fks_skipped:
        out.print(f"[dim]foreign key not checked, table absent: {fk}[/dim]")
    for nom in report.nomenclatures_skipped:
        out.print(f"[dim]nomenclature not checked, code list absent: {nom}[/dim]")
    n = len(report.tables)
    summary = f"{n} table{'s' * (n != 1)}, {report.rows:,} rows checked"
    if report.ok:
        out.print(f"[green]OK[/green]: {summary}")
        return
    v = report.violations
    out.print(f"[red]{v:,} violation{'s' * (v != 1)}[/red] in {summary}")
    raise typer.Exit(1)
