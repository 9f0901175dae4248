"""What a member opens from Python, in a job or a notebook of the workspace:

```python
from hygie.workspace.client import Workspace

ws = Workspace()                       # the workspace of this job ($HYGIE_WORKSPACE)
ws.tables                              # ['ER_PHA_F', 'IR_BEN_R', ...]
ws.table("ER_PHA_F").filter("PHA_ACT_QSN > 1").aggregate("count(*)")   # a DuckDB relation
ws.arrow("IR_BEN_R"); ws.pandas("IR_BEN_R"); ws.polars("IR_BEN_R")
ws.sql("SELECT BEN_SEX_COD, count(*) FROM IR_BEN_R GROUP BY 1")
ws.output("table1.csv")                # where a file to release is written
```

The extract is read where it lies (Parquet, through DuckDB views), never copied; the connection
is in memory and reads nothing but the workspace's current extract.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hygie.engine.lake import Dataset
from hygie.workspace.layout import Layout, WorkspaceError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class Workspace:
    def __init__(self, path: str | Path | None = None) -> None:
        where = path or os.environ.get("HYGIE_WORKSPACE")
        if not where:
            raise WorkspaceError("no workspace: pass its folder or set HYGIE_WORKSPACE")
        self.layout = Layout(Path(where))
        current = self.layout.current()
        if current is None:
            raise WorkspaceError(f"{where}: no extract is ready yet")
        self.dataset = Dataset.open(current)
        self.con = duckdb.connect()
        for table in self.tables:  # names from the manifest our extractor wrote: SNDS table names
            self.dataset.relation(table, self.con).create_view(table)

    @property
    def tables(self) -> list[str]:
        return sorted(self.dataset.tables)

    @property
    def provenance(self) -> dict[str, Any]:
        manifest = self.dataset.manifest
        return dict(manifest.get("provenance", {}), source=manifest.get("source"))

    def rows(self, name: str) -> int:
        return self.dataset.rows(self._known(name))

    def _known(self, name: str) -> str:
        if name not in self.tables:
            raise WorkspaceError(f"{name}: not a table of this extract ({', '.join(self.tables)})")
        return name

    def table(self, name: str) -> duckdb.DuckDBPyRelation:
        return self.con.table(self._known(name))

    def sql(self, query: str, params: list[Any] | None = None) -> duckdb.DuckDBPyRelation:
        return self.con.sql(query, params=params)

    def arrow(self, name: str) -> pa.Table:
        return self.table(name).arrow()

    def pandas(self, name: str) -> Any:
        return self.table(name).df()

    def polars(self, name: str) -> Any:
        try:
            import polars  # noqa: F401
        except ImportError:
            raise WorkspaceError("polars is not installed in this environment") from None
        return self.table(name).pl()

    def output(self, name: str) -> Path:
        """The path to write a file meant for release (files/outputs/NAME)."""
        if not _NAME.match(name):
            raise WorkspaceError(f"{name!r}: an output's name is letters, digits, '.', '_', '-'")
        self.layout.outputs.mkdir(parents=True, exist_ok=True)
        return self.layout.outputs / name

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
