"""`hygie snds ...`: SNDS schemas, validation, and the ingest of real extracts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from hygie.snds.sources import CsvOptions

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


YEAR = typer.Option(None, "--year", min=1980, max=2099,
                    help="Year of PMSI files named T_MCOaaX (default: from their data or folder).")
SEP = typer.Option(None, "--sep", help="CSV separator (default: detected).")
QUOTE = typer.Option(None, "--quote", help="CSV quote character (default: \").")
ENCODING = typer.Option(None, "--encoding", help="CSV encoding: utf-8 or latin-1 (default: detected).")
DATES = typer.Option(None, "--date-format",
                     help="strptime format of CSV dates, e.g. %Y-%m-%d (default: detected).")


def _csv_options(sep: str | None, quote: str | None, encoding: str | None,
                 date_format: str | None) -> CsvOptions:
    from hygie.snds.sources import CsvOptions

    if encoding is not None and encoding.lower().replace("_", "-") not in (
            "utf-8", "utf8", "latin-1", "latin1", "iso-8859-1"):
        typer.echo(f"error: encoding {encoding!r}: utf-8 or latin-1", err=True)
        raise typer.Exit(2)
    if encoding is not None:
        encoding = "utf-8" if "utf" in encoding.lower() else "latin-1"
    sep = "\t" if sep in ("\\t", "tab") else sep
    for name, value in (("--sep", sep), ("--quote", quote)):
        if value is not None and len(value) != 1:
            typer.echo(f"error: {name} takes one character", err=True)
            raise typer.Exit(2)
    return CsvOptions(sep, quote, encoding, date_format)


@snds_app.command("ingest")
def ingest(
    source: Path = typer.Argument(..., metavar="SOURCE",
                                  help="A folder of SNDS files (product folders at any depth: "
                                       "CSV, SAS .sas7bdat, Parquet), or one file."),
    out: Path = typer.Option(..., "--out", help="The lake dataset folder to write."),
    year: int | None = YEAR, sep: str | None = SEP, quote: str | None = QUOTE,
    encoding: str | None = ENCODING, date_format: str | None = DATES,
    force: bool = typer.Option(False, "--force",
                               help="Replace an earlier output of `hygie snds ingest`."),
) -> None:
    """Bring an SNDS extract into the lake, typed against the schemas; exit 2 on bad input
    (nothing is written then)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from hygie.snds.ingest import IngestError
    from hygie.snds.ingest import ingest as run

    options = _csv_options(sep, quote, encoding, date_format)
    err = Console(stderr=True, highlight=False)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=err, transient=True) as bar:
            task: list[TaskID] = []

            def progress(file: str, done: int, total: int) -> None:
                if not task:
                    task.append(bar.add_task("ingest", total=total))
                bar.update(task[0], completed=done, description=f"ingest {file[-40:]}")

            result = run(source, out, year=year, csv=options, force=force, progress=progress)
    except IngestError as exc:
        typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(2) from None
    for s in result.skipped:
        typer.echo(f"warning: skipped {s.rel}: {s.reason}")
    for f in result.files:
        how = ""
        if f.dialect and "separator" in f.dialect:
            d = f.dialect
            how = (f" [sep {'tab' if d['separator'] == chr(9) else d['separator']!r}, {d['encoding']}, "
                   f"dates {d['date_format'] or '-'}]")
        year_note = f" (year {f.year})" if f.year else ""
        typer.echo(f"{f.table}: {f.rows} rows from {f.rel}{how}{year_note}")
        for note in f.notes:
            typer.echo(f"  {f.table}: {note}")
    tables = result.tables()
    typer.echo(f"ingested {sum(tables.values())} rows in {len(tables)} tables into "
               f"{result.dataset.path}")


@snds_app.command("validate")
def validate(
    path: Path = typer.Argument(..., metavar="DIR",
                                help="A dataset folder, or one table (.csv, .parquet, folder)."),
    max_examples: int = typer.Option(10, "--max-examples", min=1,
                                     help="Offending rows shown per table, column and check."),
    year: int | None = YEAR, sep: str | None = SEP, quote: str | None = QUOTE,
    encoding: str | None = ENCODING, date_format: str | None = DATES,
) -> None:
    """Validate SNDS tables against their schemas; exit 1 on any issue, 2 on unusable input."""
    from rich.console import Console
    from rich.table import Table

    from hygie.engine.lake import MANIFEST, LakeError
    from hygie.snds.schemas import load_schemas
    from hygie.snds.validate import ValidationInputError, validate_dataset, validate_table

    options = _csv_options(sep, quote, encoding, date_format)
    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = max(out.width, 160)  # logs and pipes: keep table rows on one line
    single = path.is_file() or (path.is_dir() and not (path / MANIFEST).exists()
                                and path.name.upper() in load_schemas()
                                and any(path.glob("*.parquet")))
    try:
        if single:
            report = validate_table(path, max_examples=max_examples, year=year, csv=options)
        else:
            report = validate_dataset(path, max_examples=max_examples, year=year, csv=options)
    except (ValidationInputError, LakeError) as exc:
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    # A file that cannot be read right (separator, encoding) first: one line says it all.
    for i in report.issues:
        if i.check in ("separator", "encoding"):
            out.print(f"[red]{i.check}:[/red] {i.file}: {i.message}", soft_wrap=True)
    for s in report.skipped:
        out.print(f"[yellow]warning:[/yellow] skipped {s.rel}: {s.reason}", soft_wrap=True)
    for file, dialect in report.dialects.items():
        out.print(f"[dim]{file}: {dialect}[/dim]", soft_wrap=True)
    if report.issues:
        summary_table = Table("check", "violations", title="issues by check")
        for check, n in sorted(report.summary().items(), key=lambda kv: (-kv[1], kv[0])):
            summary_table.add_row(check, f"{n:,}")
        out.print(summary_table)
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
