"""Run the core's SQL on DuckDB (default) or Spark, with the same results.

SQL is written once in DuckDB's dialect as SQLGlot expressions. Each engine holds a stateless
dialect (`hygie.engine.dialects`: rendering, and what SQLGlot does not translate) and adds the
execution: a connection or session, parameters bound apart from the text, temporary tables, views
over lake datasets. Results come back as Arrow tables or are written to Parquet.
"""

from __future__ import annotations

import hashlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import sqlglot
from sqlglot import exp

from hygie.engine.dialects import DIALECTS, Dialect
from hygie.engine.lake import Dataset

SQL = exp.Expression | str


class EngineError(ValueError):
    """The engine cannot run what it was asked; the message says why."""


def parse(sql: str) -> exp.Expression:
    """Parse DuckDB-dialect SQL into an expression (the one dialect the core writes)."""
    parsed = sqlglot.parse_one(sql, read="duckdb")
    assert isinstance(parsed, exp.Expression)
    return parsed


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256 inner and outer pads of a key (RFC 2104), computed once in Python."""
    if len(key) > 64:
        raise ValueError("HMAC keys longer than the SHA-256 block are hashed first; use 32 bytes")
    block = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


class Engine(ABC):
    """One SQL engine. Subclasses say how to run SQL and what does not translate."""

    name: ClassVar[str]
    dialect: ClassVar[Dialect]

    def render(self, query: SQL) -> str:
        return self.dialect.render(parse(query) if isinstance(query, str) else query)

    # Key material (HMAC pads) travels as bound parameters, never as SQL text: query text may show
    # up in logs, errors or `hygie cohort sql`, and the pads would reveal the key.
    @property
    def params(self) -> dict[str, bytes]:
        if not hasattr(self, "_params"):
            self._params: dict[str, bytes] = {}
        return self._params

    def key_placeholders(self, key: bytes) -> tuple[exp.Placeholder, exp.Placeholder]:
        ipad, opad = hmac_pads(key)
        tag = "k" + hashlib.sha256(b"hygie-bound-key" + key).hexdigest()[:16]
        self.params[f"{tag}_i"], self.params[f"{tag}_o"] = ipad, opad
        return exp.Placeholder(this=f"{tag}_i"), exp.Placeholder(this=f"{tag}_o")

    def bound(self, text: str) -> dict[str, bytes]:
        """The parameters a rendered query refers to (`$name` on DuckDB, `:name` on Spark)."""
        return {k: v for k, v in self.params.items() if re.search(rf"[$:]{k}\b", text)}

    def attach(self, dataset: Dataset, tables: Iterable[str] | None = None,
               prefix: str = "") -> list[str]:
        """Register views over a dataset's tables, named `prefix + table`."""
        names = []
        for table in tables or dataset.tables:
            self.register_parquet(prefix + table, [str(p) for p in dataset.files(table)])
            names.append(prefix + table)
        return names

    @abstractmethod
    def register_parquet(self, name: str, paths: list[str]) -> None: ...

    @abstractmethod
    def register_arrow(self, name: str, table: pa.Table) -> None: ...

    @abstractmethod
    def arrow(self, query: SQL) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    @abstractmethod
    def execute(self, query: SQL) -> None:
        """Run a statement (CREATE VIEW, CREATE TABLE AS, ...)."""

    @abstractmethod
    def write_parquet(self, query: SQL, path: Path) -> None:
        """Write a query's result to one Parquet file (sort it in the query for stable bytes)."""

    def hmac_sha256(self, key: bytes, value: exp.Expression) -> exp.Expression:
        """HMAC-SHA256 of a text expression, as lower-case hex, inside the engine (the key's
        pads are bound to this engine as parameters)."""
        ipad, opad = self.key_placeholders(key)
        return self.dialect.hmac_sha256(ipad, opad, value)

    @abstractmethod
    def materialize(self, name: str, query: SQL) -> None:
        """Compute a query once and keep it as a temporary table `name` (e.g. hashed ids)."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Forget a temporary table or view."""

    def scalar(self, query: SQL) -> Any:
        table = self.arrow(query)
        return table.column(0)[0].as_py() if table.num_rows else None

    def close(self) -> None:  # noqa: B027 - optional for engines with nothing to release
        pass

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = DIALECTS["duckdb"]

    def __init__(self, *, memory_limit: str | None = None, temp_directory: str | None = None,
                 threads: int | None = None) -> None:
        import duckdb

        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory:
            config["temp_directory"] = temp_directory  # joins larger than memory spill here
        if threads:
            config["threads"] = threads
        self.con = duckdb.connect(config=config)
        self.con.execute("SET enable_progress_bar = false")  # progress is the CLI's job

    def register_parquet(self, name: str, paths: list[str]) -> None:
        self.con.read_parquet(paths).create_view(name)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def arrow(self, query: SQL) -> pa.Table:
        text = self.render(query)
        return self.con.sql(text, params=self.bound(text) or None).to_arrow_table()

    def execute(self, query: SQL) -> None:
        text = self.render(query)
        self.con.execute(text, self.bound(text) or None)

    def write_parquet(self, query: SQL, path: Path) -> None:
        from hygie.engine.lake import write_parquet

        write_parquet(self.arrow(query), path)

    def materialize(self, name: str, query: SQL) -> None:
        table = exp.to_identifier(name, quoted=True)
        text = self.render(query)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table.sql('duckdb')} AS {text}",
                         self.bound(text) or None)

    def drop(self, name: str) -> None:
        self.con.unregister(name)  # a registered Arrow table (no-op otherwise)
        ident = exp.to_identifier(name, quoted=True).sql("duckdb")
        kinds = self.con.execute("SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = $1 "
                                 "UNION ALL SELECT 'VIEW' FROM duckdb_views() "
                                 "WHERE view_name = $1 AND NOT internal", [name]).fetchall()
        for (kind,) in kinds:
            self.con.execute(f"DROP {kind} IF EXISTS {ident}")

    def close(self) -> None:
        self.con.close()



class SparkEngine(Engine):
    """Spark in local mode (`local[N]`) or on a cluster (`spark://host:port`)."""

    name = "spark"
    dialect = DIALECTS["spark"]

    def __init__(self, master: str | None = None, *, config: dict[str, str] | None = None,
                 app_name: str = "hygie") -> None:
        from pyspark.sql import SparkSession

        master = master or os.environ.get("HYGIE_SPARK_MASTER", "local[2]")
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only, never the LAN
        builder = SparkSession.builder.master(master).appName(app_name)
        defaults = {
            "spark.sql.session.timeZone": "UTC",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": "8",
            "spark.sql.ansi.enabled": "false",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.host": "127.0.0.1",
        }
        for k, v in {**defaults, **(config or {})}.items():
            builder = builder.config(k, v)
        self.spark = builder.getOrCreate()
        self.spark.sparkContext.setLogLevel("ERROR")

    def register_parquet(self, name: str, paths: list[str]) -> None:
        self.spark.read.parquet(*paths).createOrReplaceTempView(name)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def frame(self, query: SQL) -> Any:
        """The query as a lazy Spark DataFrame (for native writes, or a notebook)."""
        text = self.render(query)
        args = {k: bytearray(v) for k, v in self.bound(text).items()}
        return self.spark.sql(text, args=args or None)

    def arrow(self, query: SQL) -> pa.Table:
        return self.frame(query).toArrow()

    def execute(self, query: SQL) -> None:
        self.frame(query)

    def write_parquet(self, query: SQL, path: Path) -> None:
        # One file, written by the driver from Arrow, so both engines give the same bytes.
        from hygie.engine.lake import write_parquet

        write_parquet(self.arrow(query), path)

    def materialize(self, name: str, query: SQL) -> None:
        self.drop(name)
        frame = self.frame(query).cache()
        frame.createOrReplaceTempView(name)
        frame.count()  # cache() is lazy: compute now, so errors and time belong to this step

    def drop(self, name: str) -> None:
        if self.spark.catalog.tableExists(name):
            self.spark.catalog.dropTempView(name)

    def close(self) -> None:
        self.spark.stop()


ENGINES: dict[str, type[Engine]] = {"duckdb": DuckDBEngine, "spark": SparkEngine}


def open_engine(name: str = "duckdb", **options: Any) -> Engine:
    try:
        cls = ENGINES[name]
    except KeyError:
        raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}") from None
    return cls(**options)
