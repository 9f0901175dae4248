"""`hygie synth`: generate a synthetic SNDS with its truth."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hygie.engine.lake import Dataset, LakeError
from hygie.synth.generator import SynthError, SynthParams, generate, parse_years, truth_path

console = Console()


def run_synth(patients: int, seed: int, years: str, out: Path, truth: Path | None, force: bool,
              workers: int | None, chunk_size: int) -> tuple[Dataset, Dataset]:
    """Validate the parameters, then generate with a progress bar; errors exit with code 2."""
    try:
        _apart(out, truth or truth_path(out))
        first, last = parse_years(years)
        params = SynthParams(patients=patients, seed=seed, first_year=first, last_year=last,
                             chunk_size=chunk_size)
        with Progress(TextColumn("[bold]synth[/]"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("chunks"), TimeElapsedColumn(), console=console,
                      transient=False) as bar:
            task = bar.add_task("chunks", total=params.chunks)
            datasets = generate(params, out, truth=truth, force=force, workers=workers,
                                progress=lambda done, total: bar.update(task, completed=done))
    except (SynthError, LakeError) as exc:  # LakeError: an output --force may not replace
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    return datasets


def _apart(out: Path, truth: Path) -> None:
    """The SNDS and its truth are two datasets side by side, neither inside the other (replacing
    one would take the other with it)."""
    a, b = out.resolve(), truth.resolve()
    if a in b.parents or b in a.parents:
        raise SynthError(f"the truth ({truth}) and the SNDS ({out}) must be apart, neither "
                         "inside the other")


def summary(snds: Dataset, truth: Dataset) -> Table:
    table = Table("table", "rows", title=f"Synthetic SNDS in {snds.path}")
    for name in snds.tables:
        table.add_row(name, f"{snds.rows(name):,}")
    table.add_row("[dim]truth: person[/]", f"{truth.rows('person'):,}")
    table.add_row("[dim]truth: condition[/]", f"{truth.rows('condition'):,}")
    return table


def prevalence_table(snds: Dataset, truth: Dataset) -> Table:
    from hygie.synth.report import prevalence

    table = Table("condition", "people (truth)", "prevalence", "with ALD", "with drug",
                  "with stay", title="Truth versus what the SNDS shows")
    for r in prevalence(snds, truth):
        def share(k: int, n: int = r.people) -> str:
            return f"{k / n:.0%}" if n else "-"
        table.add_row(r.condition, f"{r.people:,}", f"{r.prevalence:.2%}", share(r.with_ald),
                      share(r.with_drug), share(r.with_stay))
    return table


def realism_table(snds: Dataset, truth: Dataset) -> Table:
    """Each measure of realism against its published figure (see hygie.synth.realism)."""
    from hygie.synth.realism import measure

    table = Table("measure", "years", "published (source)", "truth", "claims", "ratio",
                  "within", title="Realism: the synthetic SNDS against published figures "
                  "(ratio = synthetic / published, truth / claims, in brackets where the figure does "
                  "not judge that side; ~ = within once sampling noise is allowed for)")
    for m in measure(snds, truth):
        p = m.published
        source = f"{p.value:g} {p.unit} ({p.publisher} {p.year})" if p else "-"
        table.add_row(m.label, m.years, source, m.text(m.truth), m.text(m.claims),
                      m.ratios(), m.verdict())
    return table


def synth_report(
    dataset: Path = typer.Argument(..., help="A synthetic SNDS dataset folder."),
    truth: Path | None = typer.Option(None, help="Its truth (default: DATASET.truth)."),
) -> None:
    """Print the realism and prevalence tables of an existing synthetic SNDS and its truth."""
    from hygie.synth.realism import RealismError

    try:
        snds, tr = Dataset.open(dataset), Dataset.open(truth or truth_path(dataset))
        console.print(realism_table(snds, tr))
        console.print(prevalence_table(snds, tr))
    except (LakeError, RealismError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None


def synth(
    patients: int = typer.Option(..., "--patients", "-n", help="Number of people."),
    seed: int = typer.Option(1, help="Random seed: same seed and parameters, same bytes."),
    years: str = typer.Option("2019-2023", help="Period, e.g. 2019-2023."),
    out: Path = typer.Option(..., "--out", "-o", help="Output dataset folder (must be empty)."),
    truth: Path | None = typer.Option(None, help="Truth dataset folder (default: OUT.truth)."),
    force: bool = typer.Option(False, "--force", help="Replace existing output folders."),
    workers: int | None = typer.Option(None, help="Worker processes (default: all cores)."),
    chunk_size: int = typer.Option(10_000, help="Patients per chunk (bounds memory)."),
    report: bool = typer.Option(False, help="Also print the realism and prevalence tables."),
) -> None:
    """Generate a synthetic SNDS (DCIR, PMSI MCO, ALD, causes of death) and its truth."""
    snds, tr = run_synth(patients, seed, years, out, truth, force, workers, chunk_size)
    console.print(summary(snds, tr))
    console.print(f"truth written apart to {truth or truth_path(out)}")
    if report:
        console.print(realism_table(snds, tr))
        console.print(prevalence_table(snds, tr))
