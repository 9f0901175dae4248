"""`hygie snds ...`: SNDS schemas and dataset validation."""

from __future__ import annotations

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
