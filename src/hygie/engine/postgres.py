"""Load a lake dataset into PostgreSQL, the way a production deployment holds the SNDS tables.

The tables are created from the SNDS schemas in a PostgreSQL schema named by the caller, filled with
`COPY ... FROM STDIN (FORMAT csv, FREEZE)` from the Parquet parts, record batch by record batch
(memory stays bounded whatever the table size: at most two batches of CSV at a time, the next one
made by a worker thread while the current one is sent), leaving out of each COPY the columns a
part's Parquet statistics show entirely null, and only then given their keys: primary keys
first, foreign keys after, as bulk loads are done (one index build and one validation query per
key instead of a check per row). Tables are loaded referenced-first.

Everything happens in one transaction: a duplicate primary key, a dangling foreign key, a value
PostgreSQL cannot parse or a row count that does not match the manifest rolls back everything, and
`PostgresLoadError` names the table and the constraint. Nothing is left half-loaded: with
`replace=True` the old tables come back as they were.

Column types (`pg_type`):

- string: `varchar(n)` when the schema gives a length, else `text`;
- integer: `bigint`; year: `integer`; boolean: `boolean`; date: `date`; datetime: `timestamp`;
- number: `double precision`. The lake holds numbers as float64, so `double precision` round-trips
  them bit for bit, COPY parses them fast and sums stay fast. `numeric(p, s)` from the schema's
  lengths is not an option: those lengths are display widths in the SNDS documentation, not
  precisions (amounts such as BSE_REM_MNT are declared "4,2", i.e. at most 99.99), and exact
  decimals cannot be recovered from floats that the lake already rounded;
- partial dates kept as text in the lake (a month alone, format `%m`; a `yearmonth`): `text`.

Foreign keys are created between tables present in the dataset (yearly PMSI names resolved, e.g.
T_MCO21C -> T_MCO21B). PostgreSQL can only enforce a foreign key whose referenced columns are a
key (here: the referenced table's primary key) and whose column types match. Some SNDS links are
neither: T_MCOaaC.NIR_ANO_17 -> IR_BEN_R.BEN_NIR_PSA is not a key because twins share a
BEN_NIR_PSA (they differ by BEN_RNG_GEM); T_MCOaaB.ETA_NUM is an integer but T_MCOaaE.ETA_NUM a
string. Those links are skipped, listed in `LoadPlan.skipped`, logged, and written in the table's
comment so that a reader of the database sees they are not enforced.

The DSN is only handed to psycopg: it is never logged nor put in a message (error messages from the
connection are scrubbed of it). Error messages name tables, columns and constraints but not the
offending values, which are pseudonymised personal data; the psycopg error (with its values) stays
available as the exception's `__cause__`.
"""

from __future__ import annotations

import graphlib
import io
import logging
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hygie.engine.lake import Dataset
from hygie.snds.schemas import Field, ForeignKey, SchemaSet, TableSchema, load_schemas

try:  # psycopg is an optional dependency (the embedded default needs no PostgreSQL)
    import psycopg
    from psycopg import conninfo, sql
except ImportError:  # pragma: no cover - exercised only without psycopg
    psycopg = None  # type: ignore[assignment]
    sql = None  # type: ignore[assignment]
    conninfo = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""progress(step, done, total): step is a table name while its rows are copied (done and total
in rows), then "constraints" while the keys are added (done and total in constraints)."""

_MAX_IDENT = 63  # PostgreSQL truncates longer identifiers (NAMEDATALEN - 1 bytes)
_CELLS_PER_BATCH = 2_000_000  # rows per record batch = this / columns (at most 65,536)


class PostgresLoadError(Exception):
    """A dataset cannot be loaded into PostgreSQL; the message says which table and constraint."""


@dataclass(frozen=True)
class Key:
    """A key constraint to add once the data is in."""

    table: str
    name: str
    kind: str  # "primary key" or "foreign key"
    fields: tuple[str, ...]
    ref_table: str = ""
    ref_fields: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == "primary key":
            return f'primary key "{self.name}" on {self.table}'
        return f'foreign key "{self.name}" ({self.table} -> {self.ref_table})'


@dataclass(frozen=True)
class SkippedKey:
    """A foreign key of the SNDS schemas that is not created, and why."""

    table: str
    fields: tuple[str, ...]
    ref_table: str
    ref_fields: tuple[str, ...]
    reason: str

    def describe(self) -> str:
        return (f'{self.table} ({", ".join(self.fields)}) -> {self.ref_table} '
                f'({", ".join(self.ref_fields)}): {self.reason}')


@dataclass
class LoadPlan:
    """What `load_dataset` does, worked out from the dataset and the schemas without a database."""

    schema: str
    order: list[str]  # tables, referenced ones first
    tables: dict[str, TableSchema]
    primary_keys: list[Key] = field(default_factory=list)
    foreign_keys: list[Key] = field(default_factory=list)
    skipped: list[SkippedKey] = field(default_factory=list)

    def create_table(self, table: str) -> sql.Composed:
        ts = self.tables[table]
        cols = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(f.name), pg_type(f)) for f in ts.fields)
        return sql.SQL("CREATE TABLE {} ({})").format(self._qualified(table), cols)

    def comments(self, table: str) -> sql.Composed:
        """COMMENT statements: the table title (and its unenforced links), column descriptions."""
        ts = self.tables[table]
        text = ts.title or table
        unenforced = [s for s in self.skipped if s.table == table and s.ref_table in self.tables]
        if unenforced:
            text += "\nForeign keys not enforced: " + "; ".join(
                s.describe()[len(table) + 1:] for s in unenforced)
        stmts = [sql.SQL("COMMENT ON TABLE {} IS {}").format(self._qualified(table),
                                                             sql.Literal(text))]
        stmts += [sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                      self._qualified(table), sql.Identifier(f.name), sql.Literal(f.description))
                  for f in ts.fields if f.description]
        return sql.SQL("; ").join(stmts)

    def add_key(self, key: Key) -> sql.Composed:
        cols = sql.SQL(", ").join(map(sql.Identifier, key.fields))
        if key.kind == "primary key":
            return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})").format(
                self._qualified(key.table), sql.Identifier(key.name), cols)
        refs = sql.SQL(", ").join(map(sql.Identifier, key.ref_fields))
        stmt = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})")
        return stmt.format(self._qualified(key.table), sql.Identifier(key.name), cols,
                           self._qualified(key.ref_table), refs)

    def _qualified(self, table: str) -> sql.Identifier:
        return sql.Identifier(self.schema, table)


def pg_type(f: Field) -> sql.Composable:
    """The PostgreSQL column type of an SNDS field (see the module notes)."""
    if f.type == "string":
        return sql.SQL(f"varchar({int(f.length)})") if f.length else sql.SQL("text")
    if f.type == "date":
        return sql.SQL("text" if f.format == "%m" else "date")
    try:
        return sql.SQL({
            "integer": "bigint",
            "number": "double precision",
            "boolean": "boolean",
            "datetime": "timestamp",
            "year": "integer",
            "yearmonth": "text",
        }[f.type])
    except KeyError:
        raise PostgresLoadError(f"field {f.name}: no PostgreSQL type for {f.type!r}") from None


def _type_family(f: Field) -> str:
    """Types PostgreSQL can compare in a foreign key: text with text, integers with integers."""
    text = f.type in ("string", "yearmonth") or (f.type == "date" and f.format == "%m")
    return "text" if text else {"year": "integer"}.get(f.type, f.type)


def plan_load(dataset: Dataset, schema: str, schemas: SchemaSet | None = None) -> LoadPlan:
    """Resolve the dataset's tables against the SNDS schemas: DDL, load order, keys."""
    check_identifier(schema, "schema name")
    schemas = schemas or load_schemas()
    tables: dict[str, TableSchema] = {}
    for name in sorted(dataset.tables):
        try:
            ts = schemas.table(name)
        except KeyError:
            raise PostgresLoadError(f"table {name}: no SNDS schema describes it") from None
        check_identifier(name, "table name")
        tables[name] = ts

    plan = LoadPlan(schema, [], tables)
    deps: dict[str, set[str]] = {t: set() for t in tables}
    for name, ts in tables.items():
        if ts.primary_key:
            plan.primary_keys.append(
                Key(name, _ident(f"{name}_pkey"), "primary key", ts.primary_key))
        used: set[str] = set()
        for fk in ts.foreign_keys:
            reason = _unenforceable(ts, fk, tables)
            if reason:
                plan.skipped.append(SkippedKey(name, fk.fields, fk.table, fk.ref_fields, reason))
                continue
            base = _ident(f"{name}_{fk.table}_fkey")
            cname, n = base, 1
            while cname in used:
                n += 1
                cname = _ident(f"{name}_{fk.table}_fkey", suffix=str(n))
            used.add(cname)
            plan.foreign_keys.append(
                Key(name, cname, "foreign key", fk.fields, fk.table, fk.ref_fields))
            if fk.table != name:
                deps[name].add(fk.table)
    sorter = graphlib.TopologicalSorter(deps)
    try:
        plan.order = list(sorter.static_order())
    except graphlib.CycleError:  # keys are added after the data, so any order loads correctly
        plan.order = sorted(tables)
    return plan


def _unenforceable(ts: TableSchema, fk: ForeignKey, tables: dict[str, TableSchema]) -> str:
    """Why PostgreSQL cannot hold this foreign key as a constraint, or "" if it can."""
    ref = tables.get(fk.table)
    if ref is None:
        return "referenced table not in the dataset"
    if len(fk.fields) != len(fk.ref_fields):
        return "the schema gives different numbers of columns on each side"
    if not ref.primary_key or set(fk.ref_fields) != set(ref.primary_key):
        return (f"the referenced columns are not a key of {fk.table} "
                f"(its primary key is ({', '.join(ref.primary_key)}))")
    for a, b in zip(fk.fields, fk.ref_fields, strict=True):
        try:
            fa, fb = ts.field(a), ref.field(b)
        except KeyError as exc:
            return f"the schema names a missing column ({exc.args[0]})"
        if _type_family(fa) != _type_family(fb):
            return f"incompatible types: {a} is {fa.type}, {fk.table}.{b} is {fb.type}"
    return ""


def check_identifier(name: str, what: str) -> None:
    """Refuse names PostgreSQL would silently truncate or cannot hold (they are always quoted)."""
    if not name or "\x00" in name or len(name.encode()) > _MAX_IDENT:
        raise PostgresLoadError(f"invalid {what} {name!r}: 1 to {_MAX_IDENT} bytes, no NUL")


def _ident(base: str, suffix: str = "") -> str:
    """A constraint name within PostgreSQL's identifier length."""
    tail = f"_{suffix}" if suffix else ""
    return base.encode()[: _MAX_IDENT - len(tail)].decode(errors="ignore") + tail


def load_dataset(dataset: Dataset, dsn: str, schema: str, *, replace: bool = False,
                 progress: Progress | None = None) -> dict[str, int]:
    """Load every table of `dataset` into the PostgreSQL schema `schema`, in one transaction.

    The schema is created if missing. If it already holds tables, `replace=True` drops them (with
    CASCADE, so views over them go too; the schema, its owner and its grants stay) in the same
    transaction, otherwise the load is refused. Returns the rows loaded per table.
    """
    if psycopg is None:  # pragma: no cover
        raise PostgresLoadError("psycopg is not installed: pip install 'psycopg[binary]'")
    plan = plan_load(dataset, schema)
    for s in plan.skipped:
        log.info("foreign key not created: %s", s.describe())
    try:
        conn = psycopg.connect(dsn, autocommit=False)
    except psycopg.Error as exc:
        raise PostgresLoadError(
            f"cannot connect to PostgreSQL: {redact_dsn(str(exc).strip(), dsn)}") from None
    with conn:
        try:
            with conn.transaction():
                return _load(conn, dataset, plan, replace=replace, progress=progress)
        except _StepError as exc:
            raise PostgresLoadError(f"{exc.step} failed; the whole load was rolled back: "
                                    f"{_describe(exc.error)}") from exc.error
        except psycopg.Error as exc:
            raise PostgresLoadError(f"loading into schema {schema!r} failed; the whole load was "
                                    f"rolled back: {_describe(exc)}") from exc


class _StepError(Exception):
    def __init__(self, step: str, error: psycopg.Error) -> None:
        super().__init__(step)
        self.step, self.error = step, error


def _load(conn: psycopg.Connection, dataset: Dataset, plan: LoadPlan, *, replace: bool,
          progress: Progress | None) -> dict[str, int]:
    schema = plan.schema
    # One loader per schema at a time: a second one waits here, then sees the first one's tables.
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                 (f"hygie.load_dataset:{schema}",))
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    existing = [r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "ORDER BY 1", (schema,))]
    if existing and not replace:
        shown = ", ".join(existing[:5]) + (", ..." if len(existing) > 5 else "")
        raise PostgresLoadError(
            f"schema {schema!r} already holds {len(existing)} table(s) ({shown}); "
            "pass replace=True (--replace) to replace them")
    if existing:
        log.info("dropping %d table(s) of schema %s", len(existing), schema)
        conn.execute(sql.SQL("DROP TABLE {} CASCADE").format(
            sql.SQL(", ").join(sql.Identifier(schema, t) for t in existing)))

    for table in plan.order:
        _step(conn, f"creating table {schema}.{table}", plan.create_table(table))
        _step(conn, f"commenting table {schema}.{table}", plan.comments(table))

    counts: dict[str, int] = {}
    for table in plan.order:
        counts[table] = _copy_table(conn, dataset, plan, table, progress)
        expected = dataset.rows(table)
        if counts[table] != expected:
            raise PostgresLoadError(
                f"table {schema}.{table}: {counts[table]} rows copied but the manifest lists "
                f"{expected}; the dataset is corrupt (check it with Dataset.open(verify=True))")
        log.info("copied %d rows into %s.%s", counts[table], schema, table)

    keys = plan.primary_keys + plan.foreign_keys
    for i, key in enumerate(keys):
        if progress:
            progress("constraints", i, len(keys))
        _step(conn, f"adding {key.describe()} in schema {schema!r}", plan.add_key(key))
    if progress:
        progress("constraints", len(keys), len(keys))
    return counts


def _step(conn: psycopg.Connection, step: str, stmt: sql.Composed) -> None:
    try:
        conn.execute(stmt)
    except psycopg.Error as exc:
        raise _StepError(step, exc) from exc


def _copy_table(conn: psycopg.Connection, dataset: Dataset, plan: LoadPlan, table: str,
                progress: Progress | None) -> int:
    ts = plan.tables[table]
    known = set(ts.field_names)
    total, done = dataset.rows(table), 0
    if progress:
        progress(table, 0, total)
    for path in dataset.files(table):
        try:
            pf = pq.ParquetFile(path)
        except (OSError, pa.ArrowException) as exc:
            raise PostgresLoadError(f"table {table}: cannot read {path}: {exc}") from exc
        unknown = [n for n in pf.schema_arrow.names if n not in known]
        if unknown:
            raise PostgresLoadError(f"table {table}: {path.name} has columns the SNDS schema "
                                    f"does not know: {', '.join(unknown[:5])}")
        if pf.metadata.num_rows == 0:
            continue
        names = _columns_with_values(pf)
        # FREEZE: the table was created in this transaction, so its rows can be written frozen
        # (no later anti-wraparound rewrite; the visibility map is set for index-only scans).
        stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv, FREEZE)").format(
            sql.Identifier(plan.schema, table), sql.SQL(", ").join(map(sql.Identifier, names)))
        step = f"copying {_rel(path, dataset.path)} into {plan.schema}.{table}"
        try:
            with conn.cursor() as cur:
                with cur.copy(stmt) as copy:
                    for chunk in _prefetch(_csv_chunks(pf, names)):
                        copy.write(chunk.data)
                        done += chunk.rows
                        if progress:
                            progress(table, done, total)
                copied = cur.rowcount
        except psycopg.Error as exc:
            raise _StepError(step, exc) from exc
        except (OSError, pa.ArrowException) as exc:  # a part the lake cannot read back
            raise PostgresLoadError(f"{step} failed; the whole load was rolled back: "
                                    f"cannot read {path}: {exc}") from exc
        if copied != pf.metadata.num_rows:
            raise PostgresLoadError(f"{step}: {copied} rows copied of {pf.metadata.num_rows}")
    return done


def _columns_with_values(pf: pq.ParquetFile) -> list[str]:
    """The file's columns, less those its statistics show to be entirely null.

    Those need not travel: a column left out of COPY is NULL (the tables have no defaults). SNDS
    tables are wide and sparse (ER_PRS_F has 123 columns, most of them empty on a given claim),
    so this halves the CSV to write and to parse. Without statistics a column is kept.
    """
    md = pf.metadata
    names = pf.schema_arrow.names
    if md.num_columns != len(names):  # nested columns: leaf columns do not map to names
        return names
    keep = []
    for j, name in enumerate(names):
        for i in range(md.num_row_groups):
            rg = md.row_group(i)
            stats = rg.column(j).statistics
            if stats is None or stats.null_count != rg.num_rows:  # None: count unknown
                keep.append(name)
                break
    return keep or names[:1]


@dataclass(frozen=True)
class _Chunk:
    data: bytes
    rows: int


_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def _csv_chunks(pf: pq.ParquetFile, names: list[str]) -> Iterator[_Chunk]:
    """The Parquet file as CSV for COPY, one record batch at a time (bounded memory).

    pyarrow quotes every string ("" is an empty string) and leaves nulls empty, which is exactly
    how COPY's CSV format tells an empty string from NULL.
    """
    rows = max(1024, min(65_536, _CELLS_PER_BATCH // max(len(names), 1)))
    for batch in pf.iter_batches(batch_size=rows, columns=names):
        buf = io.BytesIO()
        pacsv.write_csv(batch, buf, _CSV)
        yield _Chunk(buf.getvalue(), batch.num_rows)


def _prefetch(chunks: Iterator[_Chunk]) -> Iterator[_Chunk]:
    """Make the next chunk in a worker thread while this one is sent: Parquet decoding and CSV
    writing (pyarrow, without the GIL) overlap with the server parsing. At most two chunks are
    in memory."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hygie-copy") as pool:
        pending = pool.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(next, chunks, None)
            yield chunk


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


# Values quoted in PostgreSQL messages: key values, the offending input, the failing row.
_VALUE_PATTERNS = [
    (re.compile(r"(Key \([^)]*\))=\(.*?\)( is| already)", re.S), r"\1=(...)\2"),
    (re.compile(r'(: )".*"$', re.S), r"\1(value not shown)"),
    (re.compile(r"(column [^:\n]+): .*$", re.S), r"\1"),
    (re.compile(r"(Failing row contains) \(.*\)", re.S), r"\1 (...)"),
]


def redact_values(text: str) -> str:
    """A PostgreSQL message without the data values it quotes."""
    for pattern, repl in _VALUE_PATTERNS:
        text = pattern.sub(repl, text)
    return text


def _describe(exc: psycopg.Error) -> str:
    diag = exc.diag
    parts = [diag.message_primary or str(exc).strip().splitlines()[0]]
    if diag.message_detail:
        parts.append(diag.message_detail)
    if diag.context and diag.context.startswith("COPY "):
        parts.append(f"at {diag.context.splitlines()[0]}")
    return "; ".join(redact_values(p.strip()) for p in parts)


def redact_dsn(message: str, dsn: str) -> str:
    """`message` without the DSN or its password, whatever libpq chose to quote."""
    secrets = [dsn]
    try:
        password = conninfo.conninfo_to_dict(dsn).get("password") if conninfo else None
    except Exception:  # an unparsable DSN: its error may quote any part of it
        return "invalid DSN (not shown: it may hold a password)"
    if password:
        secrets.append(str(password))
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message
