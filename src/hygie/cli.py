"""The `hygie` command line."""

from __future__ import annotations

from pathlib import Path

import typer

from hygie.cohorts.cli import cohort_app
from hygie.extract.cli import extract_command, oppositions_app
from hygie.snds.cli import snds_app
from hygie.synth.cli import synth, synth_report
from hygie.web.audit.cli import audit_app
from hygie.web.cli import manage, serve

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Hygie: a national health data hub on one laptop or a cluster.")
app.add_typer(snds_app, name="snds")
app.command("synth")(synth)
app.command("synth-report")(synth_report)
app.command("extract")(extract_command)
app.add_typer(oppositions_app, name="oppositions")
app.add_typer(cohort_app, name="cohort")
app.add_typer(audit_app, name="audit")
app.command("serve")(serve)
app.command("manage", context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                        "help_option_names": []})(manage)


@app.command()
def demo(
    out: Path = typer.Option(Path("demo/snds"), help="Where to write the demo dataset."),
    patients: int = typer.Option(20_000, help="Number of synthetic people."),
) -> None:
    """The main job on the embedded defaults: generate a demo SNDS, validate it, summarise it."""
    from rich.console import Console

    from hygie.snds.validate import validate_dataset
    from hygie.synth.cli import prevalence_table, realism_table, run_synth, summary

    console = Console()
    snds, truth = run_synth(patients, 1, "2019-2023", out, None, True, None, 10_000)
    console.print(summary(snds, truth))
    report = validate_dataset(snds.path)
    if not report.ok:
        console.print(f"[red]validation found {len(report.issues)} issue(s)[/]")
        raise typer.Exit(1)
    console.print(f"[green]valid:[/] every table matches its SNDS schema ({snds.path})")
    console.print(prevalence_table(snds, truth))
    console.print(realism_table(snds, truth))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
