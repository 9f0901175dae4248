"""Bring an SNDS extract (CSV, SAS tables, Parquet) into the lake as a typed dataset.

`ingest(source, out)` finds the tables with `hygie.snds.sources` (the validator's discovery),
reads each file in batches (DuckDB's CSV reader, pyreadstat's chunked SAS reader, Parquet row
batches), types every value against the packaged schemas in DuckDB SQL, and writes the parts
through a `DatasetWriter`: memory stays bounded by one part, and any error (a truncated file, a
wrong encoding or separator, a value of the wrong type, a SAS file that is not one) names the file,
line and column and leaves no dataset behind. The manifest's source lists every origin file with
its sha256 and dialect, and the files skipped.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from hygie.engine.lake import Dataset, DatasetWriter, LakeError, check_target, sha256_file, write_parquet
from hygie.snds.parsing import expected, failed_sql, lit, parse_sql, q
from hygie.snds.schemas import SCHEMA_VERSION, TableSchema
from hygie.snds.sources import (
    CsvOptions,
    Dialect,
    Skipped,
    SourceError,
    SourceFile,
    detect_dialect,
    discover,
    header_problem,
    reader_error,
)

GENERATOR = "hygie.snds.ingest"
BATCH_ROWS = 65_536  # rows typed at a time
PART_ROWS = 500_000  # rows per Parquet part: the most held in memory for one table
_VALUE_MAX = 60


class IngestError(Exception):
    """The source cannot be ingested; the message names the file, line and column."""


@dataclass
class FileReport:
    rel: str
    table: str
    format: str
    rows: int = 0
    bytes: int = 0
    sha256: str = ""
    dialect: dict[str, Any] | None = None
    year: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    dataset: Dataset
    files: list[FileReport]
    skipped: list[Skipped]

    def tables(self) -> dict[str, int]:
        return {t: self.dataset.rows(t) for t in self.dataset.tables}


Progress = Callable[[str, int, int], None]  # (file, files done, files in all)


def ingest(source: str | Path, out: str | Path, *, year: int | None = None,
           csv: CsvOptions | None = None, force: bool = False,
           progress: Progress | None = None) -> IngestResult:
    """Ingest the SNDS files under `source` into the lake dataset `out` (atomic)."""
    source, out, csv = Path(source).absolute(), Path(out).absolute(), csv or CsvOptions()
    try:
        found = discover(source, year=year, options=csv)
    except SourceError as exc:
        raise IngestError(str(exc)) from None
    if not found.files:
        raise IngestError(f"{source}: no SNDS table found ({len(found.skipped)} files skipped)")
    producer = {"generator": GENERATOR}
    try:
        check_target(out, force=force, kind="snds", source=producer, inputs=[source])
    except LakeError as exc:
        raise IngestError(str(exc)) from None
    reports: list[FileReport] = []
    with tempfile.TemporaryDirectory(prefix="hygie-ingest-") as spill, \
            DatasetWriter(out, kind="snds", source=dict(producer), schema_version=SCHEMA_VERSION,
                          force=force, inputs=[source]) as writer:
        con = duckdb.connect(config={"temp_directory": spill})
        try:
            con.execute("SET enable_progress_bar = false")
            con.execute("SET preserve_insertion_order = true")  # rows keep their file order
            for table, files in found.by_table().items():
                parts = _Parts(writer, table, files[0].schema.arrow_schema())
                for f in files:
                    if progress:
                        progress(f.rel, len(reports), len(found.files))
                    reports.append(_ingest_file(con, f, parts, csv))
                parts.close()
        finally:
            con.close()
        writer.source.update({
            "origin": str(source),
            "options": {"year": year, **{k: v for k, v in asdict(csv).items() if v is not None}},
            "files": [{k: v for k, v in asdict(r).items() if v not in (None, [])}
                      for r in reports],
            "skipped": [asdict(s) for s in found.skipped],
        })
        dataset = writer.commit()
    if progress:
        progress("", len(reports), len(found.files))
    return IngestResult(dataset, reports, found.skipped)


class _Parts:
    """A table's typed batches, written as parts of at most PART_ROWS rows."""

    def __init__(self, writer: DatasetWriter, table: str, schema: pa.Schema) -> None:
        self.writer, self.table, self.schema = writer, table, schema
        self.batches: list[pa.RecordBatch] = []
        self.rows, self.index = 0, 0

    def add(self, batch: pa.RecordBatch) -> None:
        self.batches.append(batch)
        self.rows += batch.num_rows
        if self.rows >= PART_ROWS:
            self.flush()

    def flush(self) -> None:
        data = pa.Table.from_batches(self.batches, schema=self.schema)
        write_parquet(data, self.writer.part_path(self.table, self.index))
        self.batches, self.rows, self.index = [], 0, self.index + 1

    def close(self) -> None:
        if self.rows or self.index == 0:  # an empty table still gets its (empty) part
            self.flush()


def _ingest_file(con: duckdb.DuckDBPyConnection, f: SourceFile, parts: _Parts,
                 options: CsvOptions) -> FileReport:
    paths = f.parts
    report = FileReport(f.rel, f.table, f.format, year=f.year_from,
                        bytes=sum(p.stat().st_size for p in paths),
                        sha256=",".join(sha256_file(p) for p in paths))
    if f.format == "csv":
        batches = _csv_batches(con, f, options, report)
    elif f.format == "sas":
        batches = _sas_batches(con, f, options, report)
    else:
        batches = _parquet_batches(con, f, report)
    for batch in batches:
        parts.add(batch)
        report.rows += batch.num_rows
    return report


# --- typing ---------------------------------------------------------------------------------------


def _columns(f: SourceFile, names: list[str], report: FileReport) -> dict[str, str]:
    """Schema field -> source column (names matched in any case); the rest noted."""
    by_upper: dict[str, str] = {}
    for n in names:
        up = n.strip().upper()
        if up in by_upper:
            raise IngestError(f"{f.rel}: line 1: column {up} is given twice")
        by_upper[up] = n
    fields = set(f.schema.field_names)
    extra = sorted(n for n in by_upper if n not in fields)
    missing = [n for n in f.schema.field_names if n not in by_upper]
    if extra:
        report.notes.append(f"{len(extra)} column(s) not in the schema, left out: "
                            + ", ".join(_cut(n) for n in extra[:10]))
    if missing:
        report.notes.append(f"{len(missing)} of {len(fields)} schema columns absent, left empty")
    return {n: by_upper[n] for n in f.schema.field_names if n in by_upper}


def _typed_sql(schema: TableSchema, columns: dict[str, str], text: set[str],
               date_formats: tuple[str, ...], source: str) -> str:
    """One row per source row: each field typed (text columns parsed, others passed on), then
    `__bad`, the fields whose text did not parse, and `__value`, the first such text."""
    select, bad, values = [], [], []
    for f in schema.fields:
        col = columns.get(f.name)
        if col is None:
            continue
        if col in text and f.type != "string":
            select.append(f"{parse_sql(f, col, date_formats)} AS {q(f.name)}")
            failed = failed_sql(f, col, date_formats)
            bad.append(f"CASE WHEN {failed} THEN {lit(f.name)} END")
            values.append(f"CASE WHEN {failed} THEN {q(col)} END")
        else:
            select.append(f"{q(col)} AS {q(f.name)}")
    select.append(f"concat_ws(',', {', '.join(bad)}) AS __bad" if bad else "'' AS __bad")
    select.append(f"coalesce({', '.join(values)}) AS __value" if values
                  else "NULL::VARCHAR AS __value")
    return f"SELECT {', '.join(select)} FROM {source}"


def _conform(f: SourceFile, data: pa.RecordBatch, first_row: int, line_offset: int,
             unit: str) -> pa.RecordBatch:
    """The batch in the table's lake schema; IngestError at the first value that did not parse
    (`first_row` numbers the batch's first row; `line_offset` turns a row into a line)."""
    bad = data.column("__bad")
    failed = [i for i, v in enumerate(bad.to_pylist()) if v]
    if failed:
        i = failed[0]
        col = bad[i].as_py().split(",")[0]
        value = _cut(str(data.column("__value")[i].as_py()))
        where = f"{unit} {first_row + i + line_offset}"
        raise IngestError(f"{f.rel}: {where}, column {col}: {value!r} is not "
                          f"{expected(f.schema.field(col))}")
    schema = f.schema.arrow_schema()
    arrays = []
    for target in schema:
        if target.name in data.schema.names:
            arr = data.column(target.name)
            try:
                arrays.append(arr.cast(target.type, safe=not pa.types.is_timestamp(target.type)))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise IngestError(f"{f.rel}: column {target.name}: {arr.type} does not convert "
                                  f"to {target.type} ({str(exc).splitlines()[0][:120]})") from None
        else:
            arrays.append(pa.nulls(data.num_rows, target.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _run(con: duckdb.DuckDBPyConnection, f: SourceFile, sql: str, params: dict[str, Any],
         first_row: int, line_offset: int, unit: str) -> Iterator[pa.RecordBatch]:
    try:  # DuckDB reads the first rows already here
        reader = con.sql(sql, params=params or None).to_arrow_reader(BATCH_ROWS)
    except (duckdb.Error, pa.ArrowException) as exc:
        raise IngestError(reader_error(f.rel, exc)) from None
    row = first_row
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (duckdb.Error, pa.ArrowException) as exc:
            raise IngestError(reader_error(f.rel, exc)) from None
        yield _conform(f, batch, row, line_offset, unit)
        row += batch.num_rows


# --- readers --------------------------------------------------------------------------------------


def _csv_batches(con: duckdb.DuckDBPyConnection, f: SourceFile, options: CsvOptions,
                 report: FileReport) -> Iterator[pa.RecordBatch]:
    dialect: Dialect = detect_dialect(f.path, f.schema, options)
    report.dialect = dialect.as_dict()
    problem = header_problem(dialect, f.schema)
    if problem:
        raise IngestError(f"{f.rel}: line 1: {problem}")
    columns = _columns(f, list(dialect.header), report)
    raw = {name: "VARCHAR" for name in dialect.header}
    if len(raw) != len(dialect.header):
        raise IngestError(f"{f.rel}: line 1: a column name is given twice")
    source = ("read_csv($path, delim = $sep, quote = $quote, escape = $quote, header = true, "
              "auto_detect = false, columns = $columns, encoding = $encoding, strict_mode = true, "
              "null_padding = false, comment = '', parallel = false)")
    sql = _typed_sql(f.schema, columns, set(dialect.header), dialect.date_formats, source)
    params = {"path": str(f.path), "sep": dialect.sep, "quote": dialect.quote, "columns": raw,
              "encoding": dialect.encoding}
    yield from _run(con, f, sql, params, 1, 1, "line")  # row 1 is on line 2


def _arrow_batches(con: duckdb.DuckDBPyConnection, f: SourceFile, batches: Iterator[pa.Table],
                   report: FileReport, unit: str) -> Iterator[pa.RecordBatch]:
    """Typed batches from Arrow ones: columns of the lake type pass, the others are typed from
    their text (so a bad value is found with its row)."""
    row, columns = 0, None
    schema = f.schema.arrow_schema()
    for data in batches:
        if columns is None:
            columns = _columns(f, data.column_names, report)
        text: set[str] = set()
        arrays = {}
        for name, col in columns.items():
            arr = data.column(col)
            want = schema.field(name).type
            if arr.type != want and not (pa.types.is_timestamp(arr.type)
                                         and pa.types.is_timestamp(want)):
                arr = arr.cast(pa.string())
                text.add(name)
            arrays[name] = arr
        batch = pa.table(arrays) if arrays else pa.table({"__none": pa.nulls(data.num_rows)})
        con.register("__batch", batch)
        try:
            sql = _typed_sql(f.schema, {n: n for n in arrays}, text, (), "__batch")
            yield from _run(con, f, sql, {}, row + 1, 0, unit)
        finally:
            con.unregister("__batch")
        row += data.num_rows


def _parquet_batches(con: duckdb.DuckDBPyConnection, f: SourceFile,
                     report: FileReport) -> Iterator[pa.RecordBatch]:
    for part in f.parts:
        try:
            pf = pq.ParquetFile(part)
        except (pa.ArrowException, OSError) as exc:
            raise IngestError(f"{f.rel}: not a readable Parquet file "
                              f"({str(exc).splitlines()[0][:120]})") from None
        batches = (pa.Table.from_batches([b]) for b in pf.iter_batches(BATCH_ROWS))
        yield from _arrow_batches(con, f, batches, report, "row")


def _sas_batches(con: duckdb.DuckDBPyConnection, f: SourceFile, options: CsvOptions,
                 report: FileReport) -> Iterator[pa.RecordBatch]:
    import pyreadstat

    def chunks() -> Iterator[pa.Table]:
        try:
            reader = pyreadstat.read_file_in_chunks(
                pyreadstat.read_sas7bdat, str(f.path), chunksize=BATCH_ROWS,
                output_format="dict", encoding=options.encoding)
            for data, meta in reader:
                if report.dialect is None:
                    report.dialect = {"encoding": meta.file_encoding}
                yield pa.table({k: pa.array(v, from_pandas=True) for k, v in data.items()})
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError) as exc:
            raise IngestError(f"{f.rel}: not a readable SAS table ({_cut(str(exc))})") from None

    yield from _arrow_batches(con, f, chunks(), report, "row")


def _cut(text: str) -> str:
    return text if len(text) <= _VALUE_MAX else text[:_VALUE_MAX - 1] + "…"
