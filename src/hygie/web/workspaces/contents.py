"""What the workspace's pages say about an extract, without a row of it (no Django here).

Read from the extract's manifest (tables, rows, provenance) and its Parquet footers (columns and
types); the distinct people of a table are counted by DuckDB over its files. Every figure leaves
through `released`, the rule of the platform's other figures: 1 to 10 hidden as "<11", the rest
rounded to 5 as feasibility counts are (without their noise: members read the exact data in their
jobs anyway; the rule is so that a page, or a screenshot of it, never shows a small figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from hygie.engine.lake import Dataset
from hygie.sdc.cellkey import round_to_base
from hygie.sdc.released import THRESHOLD, Reason, Released, check_count, is_small

BASE = 5  # the rounding base of feasibility counts (hygie.sdc.cellkey.CellKey)
PERSON = "PSEUDO_ID"


def released(count: object) -> Released:
    """A figure as the workspace's pages show it: hidden when 1 to 10, else rounded to 5 (and
    hidden when the rounding falls under 11). Zero describes nobody and is shown."""
    n = check_count(count)
    if n == 0:
        return Released(0, Reason.SHOWN)
    value = round_to_base(n, BASE)
    if is_small(n) or value < THRESHOLD:
        return Released(None, Reason.BELOW_THRESHOLD)
    return Released(value, Reason.PERTURBED, base=BASE)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "string", "integer", "number", "boolean", "date", "datetime" or the Arrow type


@dataclass(frozen=True)
class TableFigures:
    name: str
    rows: Released
    people: Released


def _kind(arrow: pa.DataType) -> str:
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return "string"
    if pa.types.is_integer(arrow):
        return "integer"
    if pa.types.is_floating(arrow) or pa.types.is_decimal(arrow):
        return "number"
    if pa.types.is_boolean(arrow):
        return "boolean"
    if pa.types.is_date(arrow):
        return "date"
    if pa.types.is_timestamp(arrow):
        return "datetime"
    return str(arrow)


class Extract:
    """The current extract of a workspace, as its pages describe it."""

    def __init__(self, path: Path) -> None:
        self.dataset = Dataset.open(path)
        self.number = int(path.name.rpartition("-")[2])

    @property
    def manifest(self) -> dict[str, Any]:
        return self.dataset.manifest

    @property
    def provenance(self) -> dict[str, Any]:
        return dict(self.manifest.get("provenance") or {})

    @property
    def tables(self) -> list[str]:
        return sorted(self.dataset.tables)

    def has(self, table: str) -> bool:
        return table in self.dataset.tables

    def columns(self, table: str) -> list[Column]:
        files = self.dataset.files(table)
        if files:
            schema = pq.read_schema(files[0])
            return [Column(f.name, _kind(f.type)) for f in schema]
        scope = ((self.manifest.get("source") or {}).get("scope") or {}).get("tables") or {}
        return [Column(PERSON, "string"), *(Column(c, "") for c in scope.get(table, []))]

    def figures(self, table: str) -> TableFigures:
        """Rows and distinct people of `table`, released."""
        files = [str(f) for f in self.dataset.files(table)]
        people = 0
        if files:
            con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
            try:
                found = con.execute(f'SELECT count(DISTINCT "{PERSON}") FROM read_parquet(?)',
                                    [files]).fetchone()
            finally:
                con.close()
            people = int(found[0]) if found else 0
        return TableFigures(table, released(self.dataset.rows(table)), released(people))
