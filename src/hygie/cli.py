"""The `hygie` command line."""

from __future__ import annotations

import typer

from hygie.snds.cli import snds_app

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Hygie: a national health data hub on one laptop or a cluster.")
app.add_typer(snds_app, name="snds")


def main() -> None:
    app()
