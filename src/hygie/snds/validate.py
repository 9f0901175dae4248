"""Validate SNDS tables against their schemas, in DuckDB SQL so that it scales to millions of rows.

A table is a Parquet file, a folder of Parquet part files or a CSV file (its dialect detected:
`;` or `,`, UTF-8 or Latin-1, SAS or ISO dates; empty = missing). Tables are found as
`hygie snds ingest` finds them (`hygie.snds.sources`): product folders at any depth, names in any
case, generic PMSI names (`T_MCOaaB.csv`) with their year; other files are listed as skipped.
Checks: the separator and encoding of each CSV (one issue for the file, not one per column),
missing and unexpected columns, types (Parquet physical type; CSV values that do not parse),
nulls in required and primary-key fields, strings longer than the field length, primary-key
uniqueness, foreign keys across the tables of one dataset, and codes outside their nomenclature.
One cause gives one issue: a value that fails its type is not also an empty key, and a foreign key
over a column that failed its type is not checked (listed as skipped). Each check reports its
total count and at most `max_examples` offending rows. The field-level `unique` constraint of the
schemas is not enforced (BEN_NIR_PSA is unique only with the twin rank): only the primaryKey is.

SQL is composed from identifiers taken from the schemas (always quoted) and constants of this
module; data values never enter SQL text (code lists are registered as Arrow tables).

The input may be hostile (a `KI_CCI_R.csv` linked to a system file): no symbolic link is
followed out of the dataset folder, a column name is repeated only when it is an SNDS column
name (others are counted and placed), and every value quoted is cut to `VALUE_MAX` characters.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from hygie.engine.lake import MANIFEST, Dataset
from hygie.snds.nomenclatures import nomenclature
from hygie.snds.parsing import expected, failed_sql, parse_sql
from hygie.snds.parsing import q as _q
from hygie.snds.schemas import Field, TableSchema, load_schemas
from hygie.snds.sources import (
    CsvOptions,
    Skipped,
    SourceError,
    SourceFile,
    detect_dialect,
    discover,
    header_problem,
    reader_error,
    refuse_links_out,
)

DEFAULT_MAX_EXAMPLES = 10
VALUE_MAX = 100  # characters of a value quoted in a report
_COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}", re.ASCII)  # repeated when unexpected
_BATCH = 40  # checks (or joined code lists) per query
_TEMPORAL = {"date", "datetime", "year", "yearmonth"}  # checked by type, not against IR_DTE_V


class ValidationInputError(Exception):
    """The input cannot be validated at all (no such path, unknown table, unreadable file)."""


@dataclass(frozen=True)
class Issue:
    """One offending row (or file, or column) of a check.

    `row` is the 1-based data row of a CSV file, or the 0-based row index inside the Parquet file
    named by `file`; `count` is the total number of violations of this (table, column, check),
    of which the report keeps at most `max_examples` as issues.
    """

    table: str
    column: str | None
    row: int | None
    file: str | None
    value: str | None
    check: str
    message: str
    count: int = 1


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows checked
    fks_skipped: list[str] = field(default_factory=list)  # referenced table not in the dataset
    nomenclatures_skipped: list[str] = field(default_factory=list)  # code list CSV absent
    skipped: list[Skipped] = field(default_factory=list)  # files that are no SNDS table
    dialects: dict[str, str] = field(default_factory=dict)  # CSV file -> its detected dialect

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def summary(self) -> dict[str, int]:
        """Violations by check, every check counted in full."""
        groups = {(i.table, i.column, i.check): i.count for i in self.issues}
        out: dict[str, int] = {}
        for (_, _, check), count in groups.items():
            out[check] = out.get(check, 0) + count
        return out

    @property
    def violations(self) -> int:
        """Total violations, every check counted in full (not only the examples kept)."""
        groups = {(i.table, i.column, i.check): i.count for i in self.issues}
        return sum(groups.values())


def validate_table(path: str | Path, *, max_examples: int = DEFAULT_MAX_EXAMPLES,
                   year: int | None = None, csv: CsvOptions | None = None) -> Report:
    """Validate one table: `NAME.csv`, `NAME.parquet` or a folder `NAME/` of Parquet part files."""
    path = Path(path)
    if not path.exists():
        raise ValidationInputError(f"{path}: no such file or folder")
    _refuse_links_out(path, path.absolute().parent)
    return _validate_sources(path, path.absolute().parent, max_examples, year, csv)


def validate_dataset(path: str | Path, *, max_examples: int = DEFAULT_MAX_EXAMPLES,
                     year: int | None = None, csv: CsvOptions | None = None) -> Report:
    """Validate every table of a dataset folder, foreign keys included.

    With a manifest.json the folder is opened as a lake dataset (files verified against their
    sha256, LakeError/CorruptDataset raised otherwise); without, the tables are found as
    `hygie.snds.sources.discover` finds them (product folders at any depth), and the other files
    are listed in `Report.skipped`.
    """
    path = Path(path)
    if not path.is_dir():
        raise ValidationInputError(f"{path}: no such dataset folder")
    if not (path / MANIFEST).exists():
        return _validate_sources(path, path, max_examples, year, csv)
    with _validator(path, max_examples) as v:
        ds = Dataset.open(path)
        for name in ds.tables:
            for f in ds.files(name):
                _refuse_links_out(f, path)
        ds.verify()  # reads every file: only once none leads out of the folder
        for name in ds.tables:
            v.load(name, path / name, ds.files(name))
        if not v.tables:
            raise ValidationInputError(f"{path}: no table found (*.csv, *.parquet or folders)")
        return v.run()


def _validate_sources(path: Path, root: Path, max_examples: int, year: int | None,
                      csv: CsvOptions | None) -> Report:
    try:
        found = discover(path, year=year, options=csv)
    except SourceError as exc:
        raise ValidationInputError(str(exc)) from None
    if not found.files:
        skipped = "; ".join(f"{s.rel}: {s.reason}" for s in found.skipped[:3])
        raise ValidationInputError(f"{path}: no table found (*.csv, *.parquet, *.sas7bdat or "
                                   f"folders of Parquet files){'; skipped ' + skipped if skipped else ''}")
    with _validator(root, max_examples, csv or CsvOptions()) as v:
        v.report.skipped = found.skipped
        for table, files in found.by_table().items():
            v.load_sources(table, files)
        return v.run()


def _refuse_links_out(path: Path, root: Path) -> None:
    try:
        refuse_links_out(path, root)
    except SourceError as exc:
        raise ValidationInputError(str(exc)) from None


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= VALUE_MAX:
        return text
    return text[:VALUE_MAX - 1] + "…"


@cache
def _snds_column_names() -> frozenset[str]:
    return frozenset(f.name for t in load_schemas().tables.values() for f in t.fields)


def _same_type(actual: pa.DataType, expected: pa.DataType) -> bool:
    if pa.types.is_dictionary(actual):
        actual = actual.value_type
    if pa.types.is_large_string(actual) or pa.types.is_string_view(actual):
        actual = pa.string()
    if pa.types.is_timestamp(actual) and pa.types.is_timestamp(expected):
        return actual.tz == expected.tz  # Parquet has no second unit: any unit holds a datetime
    return actual == expected


@dataclass(frozen=True)
class _Check:
    column: str  # reported column name(s)
    check: str
    condition: str  # SQL, true on an offending row
    values: tuple[str, ...]  # SQL expressions making up the reported value
    message: str  # with {value}


@dataclass
class _Table:
    name: str
    schema: TableSchema
    view: str  # quoted DuckDB name
    columns: list[str]  # schema fields present in the data
    csv: str | None  # a file name for positions when rows carry none
    flags: set[str] = field(default_factory=set)  # fields with a `__bad:FIELD` column


@contextmanager
def _validator(root: Path, max_examples: int,
               csv: CsvOptions | None = None) -> Iterator[_Validator]:
    with tempfile.TemporaryDirectory(prefix="hygie-validate-") as tmp:
        con = duckdb.connect(config={"temp_directory": tmp})
        con.execute("SET enable_progress_bar = false")
        try:
            yield _Validator(con, root.absolute(), max(1, max_examples), csv or CsvOptions())
        finally:
            con.close()


class _Validator:
    def __init__(self, con: duckdb.DuckDBPyConnection, root: Path, max_examples: int,
                 csv: CsvOptions) -> None:
        self.con, self.root, self.n, self.csv = con, root, max_examples, csv
        self.tables: dict[str, _Table] = {}
        self.report = Report()
        self._codes: dict[tuple[str, str, bool], str] = {}
        self.type_failed: set[tuple[str, str]] = set()  # (table, column) with type issues

    def emit(self, table: str, column: str | None, check: str, count: int,
             examples: Sequence[tuple[str | None, int | None, str | None, str]]) -> None:
        if check == "type" and column:
            self.type_failed.add((table, column))
        self.report.issues.extend(Issue(table, column, row, file, _cut(value), check, message,
                                        count)
                                  for file, row, value, message in examples[: self.n])

    def rel(self, filename: str | None) -> str | None:
        if filename is None:
            return None
        p = Path(filename)
        return p.relative_to(self.root).as_posix() if p.is_relative_to(self.root) else filename

    # -- loading ---------------------------------------------------------------------------
    def load(self, name: str, path: Path, files: list[Path] | None = None) -> None:
        """A table of Parquet files: a lake table's parts, a folder of parts or one file."""
        if name in self.tables:
            raise ValidationInputError(f"{path}: table {name} is given twice in the dataset")
        try:
            schema = load_schemas().table(name)
        except KeyError:
            raise ValidationInputError(f"{path}: unknown SNDS table {name!r} (the table name is "
                                       "taken from the file or folder name)") from None
        if files is None:
            files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
        if not files:
            raise ValidationInputError(f"{path}: no Parquet files")
        self._load(name, schema, path, lambda view: self._load_parquet(name, schema, files, view))

    def load_sources(self, name: str, sources: list[SourceFile]) -> None:
        """A table found by `discover`: CSV files (each with its dialect), or one Parquet source."""
        sas = [s for s in sources if s.format == "sas"]
        self.report.skipped += [Skipped(s.rel, "a SAS table: validate it after `hygie snds "
                                        "ingest`") for s in sas]
        csvs = [s for s in sources if s.format == "csv"]
        parquet = [s for s in sources if s.format == "parquet"]
        if parquet and (csvs or len(parquet) > 1):
            raise ValidationInputError(f"{parquet[0].path}: table {name} is given twice in the "
                                       "dataset")
        if parquet:
            self.load(name, parquet[0].path)
        elif csvs:
            schema = csvs[0].schema
            self._load(name, schema, csvs[0].path,
                       lambda view: self._load_csvs(name, schema, csvs, view))

    def _load(self, name: str, schema: TableSchema, path: Path,
              loader: Callable[[str], tuple[list[str], set[str]]]) -> None:
        view = _q(f"t_{name}")
        try:
            columns, flags = loader(view)
        except (duckdb.Error, pa.ArrowException, OSError) as exc:
            # The reader's first line only, cut: later lines may quote the file.
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise ValidationInputError(f"{path}: unreadable ({_cut(first)})") from None
        self.tables[name] = _Table(name, schema, view, columns, None, flags)
        self.report.tables[name] = self.con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0]

    def _column_issues(self, name: str, schema: TableSchema,
                       per_file: dict[str | None, list[str]]) -> None:
        groups: dict[tuple[str, str], list[tuple[str | None, None, None, str]]] = {}
        known = _snds_column_names()
        for file, present in per_file.items():
            matched = sum(col in schema.field_names for col in present)
            if matched < len(present) / 2:  # not this table's header: say how far, not what
                groups.setdefault(("(header)", "header"), []).append(
                    (file, None, None, f"the header matches {matched} of the {len(present)} "
                                       f"columns found; {name} has {len(schema.field_names)}"))
            for col in schema.field_names:
                if col not in present:
                    groups.setdefault((col, "missing-column"), []).append(
                        (file, None, None, f"column {col} of {name} is missing"))
            for i, col in enumerate(present, start=1):
                if col in schema.field_names:
                    continue
                # Only names shaped like SNDS ones are repeated: a header may be a line of
                # any file, and this one's is not the table's.
                named = col in known or bool(_COLUMN_NAME.fullmatch(col))
                label = col if named else f"column {i}"
                what = (f"column {col} is not in the schema of {name}" if named else
                        f"column {i} ({len(col)} characters) is not an SNDS column name")
                groups.setdefault((label, "unexpected-column"), []).append(
                    (file, None, None, what))
        for (col, check), examples in groups.items():
            self.emit(name, col, check, len(examples), examples)

    def _load_parquet(self, name: str, schema: TableSchema, files: list[Path],
                      view: str) -> tuple[list[str], set[str]]:
        per_file: dict[str | None, list[str]] = {}
        bad_types: dict[str, list[tuple[str | None, None, str, str]]] = {}
        for f in files:
            arrow = pq.read_schema(f)
            fname = self.rel(str(f.absolute()))
            per_file[fname] = arrow.names
            for fld in schema.fields:
                if fld.name in arrow.names:
                    actual = arrow.field(fld.name).type
                    if not _same_type(actual, fld.arrow_type):
                        bad_types.setdefault(fld.name, []).append(
                            (fname, None, str(actual), f"{fld.name} is {actual}, the schema "
                             f"({fld.type}) wants {fld.arrow_type}"))
        self._column_issues(name, schema, per_file)
        for col, examples in bad_types.items():
            self.emit(name, col, "type", len(examples), examples)
        data = self.con.read_parquet([str(f.absolute()) for f in files], filename=True,
                                     file_row_number=True, union_by_name=True)
        present = [c for c in schema.field_names if c in data.columns]
        data = data.project(", ".join([*map(_q, present), "filename AS __file",
                                       "file_row_number AS __row"]))
        data.create_view(view[1:-1])
        return present, set()

    def _load_csvs(self, name: str, schema: TableSchema, files: list[SourceFile],
                   view: str) -> tuple[list[str], set[str]]:
        """Each CSV file read with its own dialect and typed; the table is their union. Returns
        the fields present and those with a `__bad:FIELD` flag (text that did not parse)."""
        parts, present, flags = [], set(), set()
        for i, src in enumerate(files):
            rel = self.rel(str(src.path.absolute()))
            dialect = detect_dialect(src.path, schema, self.csv)
            self.report.dialects[rel or src.rel] = dialect.describe()
            problem = header_problem(dialect, schema)
            header = [h.strip().upper() for h in dialect.header]
            if problem:  # one issue for the file, not one per missing column
                self.emit(name, None, "separator", 1, [(rel, None, None, problem)])
                continue
            if len(set(header)) != len(header):
                self.emit(name, None, "header", 1, [(rel, None, None,
                                                     "a column name is given twice")])
                continue
            raw = _q(f"raw_{name}_{i}")
            try:
                self.con.execute(
                    f"CREATE TABLE {raw} AS FROM read_csv($path, delim = $sep, quote = $quote, "
                    "escape = $quote, header = true, auto_detect = false, columns = $columns, "
                    "encoding = $encoding, strict_mode = true, null_padding = false, "
                    "comment = '')",
                    {"path": str(src.path), "sep": dialect.sep, "quote": dialect.quote,
                     "encoding": dialect.encoding,
                     "columns": {h: "VARCHAR" for h in dialect.header}})
            except duckdb.Error as exc:
                message = reader_error(rel or src.rel, exc)
                if "UTF-8" in message:  # one issue naming the encoding, then the next file
                    line = re.search(r": line (\d+):", message)
                    self.emit(name, None, "encoding", 1, [(
                        rel, int(line.group(1)) - 1 if line else None, None,
                        f"not valid {dialect.encoding}"
                        + (f" at line {line.group(1)}" if line else "")
                        + ": pass --encoding latin-1 (or the file's encoding)")])
                    continue
                raise ValidationInputError(message) from None
            self._column_issues(name, schema, {rel: header})
            cols = {h.strip().upper(): h for h in dialect.header}
            here = [f for f in schema.fields if f.name in cols]
            dates = dialect.date_formats
            checks = [
                _Check(f.name, "type", failed_sql(f, cols[f.name], dates),
                       (_q(cols[f.name]),), f"{{value!r}} is not {expected(f)}")
                for f in here if f.type != "string"]
            self._run(name, f"(SELECT *, NULL::VARCHAR AS __file, rowid + 1 AS __row FROM {raw})",
                      checks, rel)
            # rowid follows the file order: DuckDB preserves insertion order when loading a CSV
            typed = "".join(f"{parse_sql(f, cols[f.name], dates)} AS {_q(f.name)}, "
                            for f in here)
            bad = [f.name for f in here if f.type != "string"]
            typed += "".join(f"{failed_sql(f, cols[f.name], dates)} AS {_q('__bad:' + f.name)}, "
                             for f in here if f.name in bad)
            part = _q(f"typed_{name}_{i}")
            self.con.execute(f"CREATE TABLE {part} AS SELECT {typed}"
                             f"$file AS __file, rowid + 1 AS __row FROM {raw}",
                             {"file": str(src.path.absolute())})
            self.con.execute(f"DROP TABLE {raw}")
            parts.append(part)
            present |= {f.name for f in here}
            flags |= set(bad)
        union = " UNION ALL BY NAME ".join(f"SELECT * FROM {p}" for p in parts)
        self.con.execute(f"CREATE VIEW {view} AS " + (
            union or "SELECT NULL::VARCHAR AS __file, NULL::BIGINT AS __row WHERE false"))
        return [f for f in schema.field_names if f in present], flags

    # -- checks ----------------------------------------------------------------------------
    def _run(self, table: str, source: str, checks: list[_Check], csv: str | None) -> None:
        """Count the offending rows of each check in one pass over `source` (rows with __file,
        __row), then fetch the first examples of the checks that failed."""
        if not checks:
            return
        counts = self.con.execute("SELECT " + ", ".join(
            f"count(*) FILTER (WHERE {c.condition})" for c in checks) + f" FROM {source}"
        ).fetchall()[0]
        for c, count in zip(checks, counts, strict=True):
            if not count:
                continue
            values = ", ".join(f"CAST({v} AS VARCHAR)" for v in c.values)
            rows = self.con.execute(f"SELECT __file, __row, [{values}] FROM {source} WHERE "
                                    f"{c.condition} ORDER BY __file, __row LIMIT {self.n}")
            self.emit(table, c.column, c.check, count, [
                (self.rel(file) or csv, row, _value(c, value),
                 c.message.format(value=_cut(_value(c, value))))
                for file, row, value in rows.fetchall()])

    def run(self) -> Report:
        for t in self.tables.values():
            self._check_table(t)
        for t in self.tables.values():
            self._check_foreign_keys(t)
        return self.report

    def _check_table(self, t: _Table) -> None:
        pk = [c for c in t.schema.primary_key if c in t.columns]
        types, checks = self._types(t.view), []
        for f in (t.schema.field(c) for c in t.columns):
            if f.required or f.name in t.schema.primary_key:
                what = "primary-key" if f.name in t.schema.primary_key else "required"
                empty = f"{_q(f.name)} IS NULL"
                if f.name in t.flags:  # a value that failed its type is reported as such only
                    empty += f" AND NOT coalesce({_q('__bad:' + f.name)}, false)"
                checks.append(_Check(f.name, "required", empty, ("NULL",),
                                     f"{what} field {f.name} is empty"))
            if f.type == "string" and f.length and types[f.name] == "VARCHAR":
                checks.append(_Check(
                    f.name, "length", f"length({_q(f.name)}) > {int(f.length)}",
                    (_q(f.name),), f"{{value!r}} is longer than {int(f.length)} characters"))
        for i in range(0, len(checks), _BATCH):
            self._run(t.name, t.view, checks[i:i + _BATCH], t.csv)
        if pk and len(pk) == len(t.schema.primary_key):
            self._check_primary_key(t, pk)
        coded = [t.schema.field(c) for c in t.columns if t.schema.field(c).nomenclature
                 and t.schema.field(c).type not in _TEMPORAL]
        if coded:  # all-null columns need no join
            counts = ", ".join(f"count({_q(f.name)}) > 0" for f in coded)
            filled = self.con.execute(f"SELECT {counts} FROM {t.view}").fetchall()[0]
            coded = [f for f, has_values in zip(coded, filled, strict=True) if has_values]
        for i in range(0, len(coded), _BATCH):
            self._check_nomenclatures(t, coded[i:i + _BATCH])

    def _check_primary_key(self, t: _Table, pk: list[str]) -> None:
        keys = ", ".join(_q(c) for c in pk)
        dups = (f"SELECT {keys}, count(*) AS n FROM {t.view} WHERE "
                f"{' AND '.join(f'{_q(c)} IS NOT NULL' for c in pk)} GROUP BY ALL HAVING n > 1")
        extra = self.con.execute(f"SELECT sum(n - 1) FROM ({dups})").fetchall()[0][0]
        if not extra:
            return
        on = " AND ".join(f"t.{_q(c)} = d.{_q(c)}" for c in pk)
        rows = self.con.execute(
            f"SELECT __file, __row, [{', '.join(f'CAST({_q(c)} AS VARCHAR)' for c in pk)}], n, "
            f"first_file, first_row FROM (SELECT t.*, d.n, row_number() OVER w AS rn, "
            f"first_value(__file) OVER w AS first_file, first_value(__row) OVER w AS first_row "
            f"FROM {t.view} t JOIN ({dups}) d ON {on} WINDOW w AS (PARTITION BY "
            f"{', '.join(f't.{_q(c)}' for c in pk)} ORDER BY __file, __row)) "
            f"WHERE rn > 1 ORDER BY __file, __row LIMIT {self.n}").fetchall()
        self.emit(t.name, ",".join(pk), "primary-key", int(extra), [
            (self.rel(file) or t.csv, row, _pairs(pk, values),
             f"duplicate primary key ({n} rows, first at row {first_row}"
             + (f" of {self.rel(first_file)})" if first_file != file else ")"))
            for file, row, values, n, first_file, first_row in rows])

    def _codes_table(self, f: Field, numeric: bool) -> str | None:
        assert f.nomenclature
        nom = nomenclature(f.nomenclature)
        key = (f.nomenclature, f.nomenclature_column or nom.code_column, numeric)
        if key not in self._codes:
            codes = sorted(c for c in nom.codes(key[1]) if c != "")
            if numeric:
                try:
                    values: pa.Array = pa.array(sorted({float(c) for c in codes}), pa.float64())
                except ValueError:
                    return None
            else:
                values = pa.array(codes, pa.string())
            name = f"codes_{len(self._codes)}"
            self.con.register(name, pa.table({"code": values}))
            self._codes[key] = name
        return self._codes[key]

    def _check_nomenclatures(self, t: _Table, fields: list[Field]) -> None:
        """One pass over the table, each coded column left-joined to its registered code list."""
        select, joins = ["t.__file", "t.__row"], list[str]()
        checks: list[_Check] = []
        for f in fields:
            assert f.nomenclature
            nom = nomenclature(f.nomenclature)
            label = f"{f.nomenclature}:{f.nomenclature_column or nom.code_column}"
            if not nom.available or (f.nomenclature_column or nom.code_column) not in nom.columns:
                if label not in self.report.nomenclatures_skipped:
                    self.report.nomenclatures_skipped.append(label)
                continue
            col, n = f"t.{_q(f.name)}", f"n{len(checks)}"
            codes = self._codes_table(f, numeric=True) if f.type in ("integer", "number") else None
            if codes:  # numeric codes compare as numbers: 100 == '100.00'
                key, skip = f"TRY_CAST({col} AS DOUBLE)", "FALSE"
            else:  # text codes compare as normalise_code does: trimmed, '1.0' -> '1'
                codes = self._codes_table(f, numeric=False)
                key = f"regexp_replace(trim(CAST({col} AS VARCHAR)), '^(-?[0-9]+)\\.0$', '\\1')"
                skip = f"{key} = ''"
            joins.append(f"LEFT JOIN {codes} {n} ON {key} = {n}.code")
            bad = f"__bad{len(checks)}"
            select += [col, f"({col} IS NOT NULL AND NOT ({skip}) AND {n}.code IS NULL) AS {bad}"]
            checks.append(_Check(f.name, "nomenclature", bad, (_q(f.name),),
                                 f"{{value!r}} is not a code of {label}"))
        source = f"(SELECT {', '.join(select)} FROM {t.view} t {' '.join(joins)})"
        self._run(t.name, source, checks, t.csv)

    def _check_foreign_keys(self, t: _Table) -> None:
        for fk in t.schema.foreign_keys:
            desc = f"{t.name}({', '.join(fk.fields)}) -> {fk.table}({', '.join(fk.ref_fields)})"
            parent = self.tables.get(fk.table)
            if parent is None:
                self.report.fks_skipped.append(desc)
                continue
            if not (set(fk.fields) <= set(t.columns) and set(fk.ref_fields) <= set(parent.columns)):
                continue  # the missing columns are reported already
            failed = [f"{t.name}.{c}" for c in fk.fields if (t.name, c) in self.type_failed] + [
                f"{parent.name}.{c}" for c in fk.ref_fields if (parent.name, c) in self.type_failed]
            if failed:  # its rows would all dangle: the type issue says it once
                self.report.fks_skipped.append(f"{desc} (not checked: {', '.join(failed)} "
                                               "failed its type check)")
                continue
            ctypes, ptypes = self._types(t.view), self._types(parent.view)
            on = []
            for c, p in zip(fk.fields, fk.ref_fields, strict=True):
                cc, pp = f"c.{_q(c)}", f"p.{_q(p)}"
                if ctypes[c] != ptypes[p]:
                    cc, pp = f"CAST({cc} AS VARCHAR)", f"CAST({pp} AS VARCHAR)"
                on.append(f"{pp} IS NOT DISTINCT FROM {cc}")
            keys = ", ".join(f"c.{_q(c)}" for c in fk.fields)
            source = (f"(SELECT c.__file, c.__row, {keys} FROM {t.view} c ANTI JOIN "
                      f"{parent.view} p ON {' AND '.join(on)} WHERE NOT ("
                      f"{' AND '.join(f'c.{_q(c)} IS NULL' for c in fk.fields)}))")
            ref = "" if fk.ref_fields == fk.fields else f"({', '.join(fk.ref_fields)})"
            self._run(t.name, source, [_Check(",".join(fk.fields), "foreign-key", "TRUE",
                                              tuple(_q(c) for c in fk.fields),
                                              f"no match in {fk.table}{ref}")], t.csv)

    def _types(self, view: str) -> dict[str, str]:
        return {r[0]: r[1] for r in self.con.execute(f"DESCRIBE {view}").fetchall()}


def _value(check: _Check, values: list[str | None]) -> str | None:
    if len(values) == 1:
        return values[0]
    return _pairs(check.column.split(","), values)


def _pairs(names: Sequence[str], values: Sequence[str | None]) -> str:
    pairs = zip(names, values, strict=True)
    return ", ".join(f"{n}={'NULL' if v is None else v}" for n, v in pairs)
