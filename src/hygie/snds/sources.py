"""The files of an SNDS extract: where the tables are, what they are called, how a CSV is written.

One module for `hygie snds validate` and `hygie snds ingest`, so both see the same tables:

- discovery walks a folder at any depth (product folders such as `DCIR/`, `PMSI/PMSI MCO/`),
  takes `.csv`, `.parquet` and `.sas7bdat` files in any case, and folders of Parquet part files
  named after a table; hidden entries are ignored and no link is followed out of the root;
- names resolve against the schemas in their usual forms: `ER_PRS_F`, `er_prs_f`, `T_MCO21B`, and
  the generic `T_MCOaaB` whose year comes from `--year`, else from the data (`SOR_ANN`, `ANN`,
  `ANN_TRT`), else from the sibling files of the same product folder, else from a year in the
  folder names; anything else is reported as skipped, never fatal;
- a CSV's dialect (separator, quote, encoding, date format) is detected from its first MiB, each
  part overridable.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from hygie.snds.schemas import SchemaSet, TableSchema, load_schemas

FORMATS = {".csv": "csv", ".parquet": "parquet", ".sas7bdat": "sas"}
SEPARATORS = (";", ",", "\t", "|")
SAMPLE_BYTES = 1 << 20
_YEAR_COLUMNS = ("SOR_ANN", "ANN", "ANN_TRT")
_GENERIC = re.compile(r"^(T_[A-Z]{3})AA(.+)$")
_YEAR_IN_PATH = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")
# Date formats a CSV may use, in the order tried when the sample fits several.
DATE_STYLES = {"%Y-%m-%d": ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"),
               "%d%b%Y:%H:%M:%S": ("%d%b%Y:%H:%M:%S", "%d%b%Y"),
               "%d%b%Y": ("%d%b%Y", "%d%b%Y:%H:%M:%S"),
               "%d/%m/%Y": ("%d/%m/%Y", "%d/%m/%Y %H:%M:%S"),
               "%d%m%Y": ("%d%m%Y",),
               "%Y%m%d": ("%Y%m%d",)}
_MAX_DEPTH = 12


class SourceError(Exception):
    """The source cannot be read as an SNDS extract; the message names the file and why."""


@dataclass(frozen=True)
class Dialect:
    """How one CSV file is written."""

    sep: str
    quote: str
    encoding: str  # "utf-8" or "latin-1" (DuckDB reads both natively)
    date_format: str | None  # strptime format of the full dates seen; None when none were seen
    header: tuple[str, ...]
    detected: tuple[str, ...] = ()  # which parts were detected rather than given

    @property
    def date_formats(self) -> tuple[str, ...]:
        if self.date_format is None:
            return ()
        return DATE_STYLES.get(self.date_format, (self.date_format,))

    def as_dict(self) -> dict[str, Any]:
        return {"separator": self.sep, "quote": self.quote, "encoding": self.encoding,
                "date_format": self.date_format, "detected": list(self.detected)}

    def describe(self) -> str:
        return (f"separator {show_sep(self.sep)!r}, quote {self.quote!r}, {self.encoding}, dates "
                f"{self.date_format or '(none seen)'}")


@dataclass(frozen=True)
class CsvOptions:
    """Dialect parts given by the user (None: detect)."""

    sep: str | None = None
    quote: str | None = None
    encoding: str | None = None
    date_format: str | None = None


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    rel: str  # relative to the source root, with '/'
    table: str  # the lake name, e.g. T_MCO21B
    schema: TableSchema
    format: str  # csv, parquet (a file or a folder of parts), sas
    year_from: str | None = None  # how a generic PMSI name got its year

    @property
    def parts(self) -> list[Path]:
        return sorted(self.path.glob("*.parquet")) if self.path.is_dir() else [self.path]


@dataclass(frozen=True)
class Skipped:
    rel: str
    reason: str


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def by_table(self) -> dict[str, list[SourceFile]]:
        out: dict[str, list[SourceFile]] = {}
        for f in sorted(self.files, key=lambda f: (f.table, f.rel)):
            out.setdefault(f.table, []).append(f)
        return out


# --- names ---------------------------------------------------------------------------------------


def resolve_name(stem: str, schemas: SchemaSet | None = None) -> str:
    """The schema name of a file stem: `er_prs_f` -> ER_PRS_F, `T_MCO21b` -> T_MCO21B,
    `T_MCOaaB` -> T_MCOaaB (generic: needs a year). KeyError when it names no SNDS table."""
    schemas = schemas or load_schemas()
    up = stem.strip().upper()
    m = _GENERIC.match(up)
    if m and f"{m.group(1)}aa{m.group(2)}" in schemas.tables:
        return f"{m.group(1)}aa{m.group(2)}"
    schemas.table(up)  # raises KeyError for an unknown name
    return up


def is_generic(name: str) -> bool:
    return bool(re.match(r"^T_[A-Z]{3}aa", name))


def _year_in_path(rel: str) -> int | None:
    years = {int(y) for part in Path(rel).parent.parts for y in _YEAR_IN_PATH.findall(part)}
    return years.pop() if len(years) == 1 else None


# --- discovery -----------------------------------------------------------------------------------


def discover(root: str | Path, *, year: int | None = None,
             options: CsvOptions | None = None) -> Discovery:
    """The SNDS tables under `root` (a folder at any depth, or one file or table folder)."""
    root = Path(root).absolute()
    if not root.exists():
        raise SourceError(f"{root}: no such file or folder")
    schemas, out = load_schemas(), Discovery()
    generic: list[tuple[Path, str, str, str]] = []  # (path, rel, schema name, format)
    base = root.parent if _is_table_entry(root, schemas) else root
    entries = [root] if base != root else _walk(root, root, set(), 0)
    for path in entries:
        rel = path.relative_to(base).as_posix()
        fmt = "parquet" if path.is_dir() else FORMATS.get(path.suffix.lower())
        if fmt is None:
            out.skipped.append(Skipped(rel, f"not a table file ({path.suffix or 'no suffix'})"))
            continue
        stem = path.name if path.is_dir() else path.stem
        try:
            name = resolve_name(stem, schemas)
        except KeyError:
            out.skipped.append(Skipped(rel, f"{stem.upper()!r} names no SNDS table"))
            continue
        if is_generic(name):
            generic.append((path, rel, name, fmt))
        else:
            out.files.append(SourceFile(path, rel, name, schemas.table(name), fmt))
    out.files += _with_years(generic, year, schemas, options or CsvOptions())
    out.files.sort(key=lambda f: f.rel)
    return out


def _is_table_entry(path: Path, schemas: SchemaSet) -> bool:
    """One table given alone: a file, or a folder of Parquet parts named after a table."""
    if path.is_file():
        return True
    try:
        resolve_name(path.name, schemas)
    except KeyError:
        return False
    return any(path.glob("*.parquet"))


def _walk(folder: Path, root: Path, seen: set[Path], depth: int) -> Iterable[Path]:
    real = folder.resolve()
    if real in seen or depth > _MAX_DEPTH:
        return
    seen.add(real)
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        refuse_links_out(entry, root)
        if entry.is_dir():
            if any(entry.glob("*.parquet")) and _names_table(entry.name):
                yield entry
            else:
                yield from _walk(entry, root, seen, depth + 1)
        elif entry.is_file():
            yield entry


def _names_table(stem: str) -> bool:
    try:
        resolve_name(stem)
    except KeyError:
        return False
    return True


def refuse_links_out(path: Path, root: Path) -> None:
    """A file, or a folder and its Parquet parts, must resolve inside `root`: a link to a file
    elsewhere would have Hygie read it and quote it."""
    inside = Path(root).resolve()
    paths = [path, *(sorted(path.glob("*.parquet")) if path.is_dir() else [])]
    for p in paths:
        if not p.resolve().is_relative_to(inside):
            raise SourceError(f"{p}: a symbolic link out of the dataset folder {root}; "
                              "not followed")


def _with_years(generic: list[tuple[Path, str, str, str]], year: int | None, schemas: SchemaSet,
                options: CsvOptions) -> list[SourceFile]:
    found: dict[str, tuple[int, str]] = {}  # rel -> (year, how)
    for path, rel, name, fmt in generic:
        if year is not None:
            found[rel] = (year, "--year")
            continue
        try:
            seen = year_in_data(path, fmt, schemas.tables[name], options)
        except SourceError:
            seen = None  # unreadable: reported when it is read
        if seen:
            found[rel] = seen
    out = []
    for path, rel, name, fmt in generic:
        got = found.get(rel)
        if got is None:  # siblings of the same product in the same folder share its year
            kin = {found[r][0] for _, r, n, _ in generic
                   if r in found and Path(r).parent == Path(rel).parent and n[:5] == name[:5]}
            in_path = _year_in_path(rel)
            if len(kin) == 1:
                got = (kin.pop(), "the other files of its folder")
            elif in_path is not None:
                got = (in_path, "its folder name")
            else:
                raise SourceError(f"{rel}: cannot tell the year of {name} (no SOR_ANN, ANN or "
                                  "ANN_TRT value, nor a year in its folder name); pass --year")
        schema = schemas.tables[name].for_year(got[0])
        out.append(SourceFile(path, rel, schema.name, schema, fmt, f"{got[0]} from {got[1]}"))
    return out


def year_in_data(path: Path, fmt: str, schema: TableSchema,
                 options: CsvOptions) -> tuple[int, str] | None:
    """The one year that the year columns of the file's first rows hold, if any."""
    columns = [c for c in _YEAR_COLUMNS if c in schema.field_names]
    if not columns:
        return None
    for col, values in sample_values(path, fmt, schema, columns, options).items():
        years = {_as_year(v) for v in values if str(v).strip() not in ("", "nan", "None")}
        if len(years) == 1 and None not in years:
            return years.pop(), f"its {col} column"  # type: ignore[return-value]
    return None


def _as_year(value: Any) -> int | None:
    text = str(value).strip().removesuffix(".0")
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    if re.fullmatch(r"\d{2}", text):
        return 2000 + int(text)
    return None


def sample_values(path: Path, fmt: str, schema: TableSchema, columns: list[str],
                  options: CsvOptions, rows: int = 1000) -> dict[str, list[Any]]:
    """Values of `columns` in the first rows of a file (the columns it has)."""
    if fmt == "csv":
        dialect = detect_dialect(path, schema, options)
        text = _sample_text(path, dialect.encoding)
        reader = csv.reader(io.StringIO(text), delimiter=dialect.sep, quotechar=dialect.quote)
        header = [h.strip().upper() for h in next(reader, [])]
        out: dict[str, list[Any]] = {c: [] for c in columns if c in header}
        for i, row in enumerate(reader):
            if i >= rows:
                break
            for c in out:
                j = header.index(c)
                if j < len(row):
                    out[c].append(row[j])
        return out
    if fmt == "parquet":
        parts = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
        if not parts:
            return {}
        pf = pq.ParquetFile(parts[0])
        have = [c for c in columns if c in pf.schema_arrow.names]
        if not have or pf.num_row_groups == 0:
            return {}
        batch = next(pf.iter_batches(batch_size=rows, columns=have), None)
        return {c: batch.column(c).to_pylist() for c in have} if batch is not None else {}
    import pyreadstat

    try:
        _, meta = pyreadstat.read_sas7bdat(str(path), metadataonly=True)
        have = [c for c in meta.column_names if c.upper() in columns]
        if not have:
            return {}
        data, _ = pyreadstat.read_sas7bdat(str(path), usecols=have, row_limit=rows,
                                           output_format="dict")
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError) as exc:
        raise SourceError(f"{path.name}: not a readable SAS table ({exc})") from None
    return {c.upper(): list(v) for c, v in data.items()}


# --- CSV dialect ---------------------------------------------------------------------------------


def _sample_bytes(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(SAMPLE_BYTES)


def _sample_text(path: Path, encoding: str) -> str:
    raw = _sample_bytes(path)
    text = raw.decode(encoding, errors="replace")
    if len(raw) == SAMPLE_BYTES:  # the last line may be cut
        text = text[: text.rfind("\n") + 1] if "\n" in text else text
    return text.removeprefix("\ufeff")


def detect_encoding(raw: bytes) -> str:
    """utf-8 when the sample decodes as such (a character cut at its end allowed), else latin-1:
    SNDS exports are one or the other."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 3 or len(raw) < SAMPLE_BYTES:
            return "latin-1"
    return "utf-8"


def split_header(line: str, sep: str, quote: str) -> list[str]:
    return next(csv.reader([line], delimiter=sep, quotechar=quote), [])


def detect_dialect(path: Path, schema: TableSchema, options: CsvOptions | None = None) -> Dialect:
    """The dialect of a CSV file, from its first MiB: the separator that splits the header into
    the most columns of the table, the encoding, the format of its dates."""
    options = options or CsvOptions()
    detected = []
    raw = _sample_bytes(path)
    encoding = options.encoding
    if encoding is None:
        encoding = detect_encoding(raw)
        detected.append("encoding")
    quote = options.quote or '"'
    text = _sample_text(path, encoding)
    first = text.splitlines()[0] if text.strip() else ""
    names = set(schema.field_names)
    sep = options.sep
    if sep is None:
        detected.append("separator")
        scored = [(sum(h.strip().upper() in names for h in split_header(first, s, quote)),
                   len(split_header(first, s, quote)), -i, s) for i, s in enumerate(SEPARATORS)]
        sep = max(scored)[3]
    header = tuple(split_header(first, sep, quote))
    date_format = options.date_format
    if date_format is None:
        detected.append("date format")
        date_format = _detect_dates(text, sep, quote, header, schema)
    return Dialect(sep, quote, encoding, date_format, header, tuple(detected))


def _detect_dates(text: str, sep: str, quote: str, header: tuple[str, ...],
                  schema: TableSchema) -> str | None:
    dated = {f.name for f in schema.fields if f.type in ("date", "datetime") and f.format != "%m"}
    at = [i for i, h in enumerate(header) if h.strip().upper() in dated]
    if not at:
        return None
    values: list[str] = []
    reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar=quote)
    next(reader, None)
    for n, row in enumerate(reader):
        if n >= 200:
            break
        values += [row[i].strip() for i in at if i < len(row) and row[i].strip()]
    if not values:
        return None
    best, best_n = None, 0
    for style, formats in DATE_STYLES.items():
        n = sum(any(_parses(v, f) for f in formats) for v in values[:500])
        if n > best_n:
            best, best_n = style, n
    return best


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _matches(header: Iterable[str], names: set[str]) -> int:
    return sum(h.strip().upper() in names for h in header)


def show_sep(sep: str) -> str:
    return {"\t": "tab", " ": "space"}.get(sep, sep)


def header_problem(dialect: Dialect, schema: TableSchema) -> str | None:
    """Why the header cannot be this table's with this dialect (a wrong separator), or None."""
    names = set(schema.field_names)
    matched = _matches(dialect.header, names)
    if dialect.header and matched >= max(1, len(dialect.header) / 2):
        return None
    line = dialect.sep.join(dialect.header)
    better = max(((_matches(split_header(line, s, dialect.quote), names), s)
                  for s in SEPARATORS if s != dialect.sep), default=(0, ""))
    hint = (f"; on {show_sep(better[1])!r} it gives {better[0]}: pass --sep or let it be "
            "detected") if better[0] > matched else ""
    n = len(dialect.header)
    return (f"wrong separator: the header splits on {show_sep(dialect.sep)!r} into {n} "
            f"column{'s' * (n != 1)}, {matched} of them columns of {schema.name}{hint}")


def reader_error(rel: str, exc: Exception) -> str:
    """The reader's reason with its line, never the offending line itself (personal data)."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    reasons = [s.strip() for s in text.splitlines()[1:] if s.strip() and not s.startswith(
        ("Original Line", "Possible", "*", "  "))]
    reason = reasons[0] if line and reasons else text.splitlines()[0][:200]
    if "unicode" in reason.lower() or "utf-8" in reason.lower():
        reason = "not valid UTF-8 (pass --encoding latin-1 if the file is Latin-1)"
    elif "unterminated quote" in reason.lower():
        reason += " (a truncated file, or a quote that is not closed)"
    elif "Expected Number of Columns" in reason:
        reason += " (a truncated line, or a wrong separator)"
    return f"{rel}: line {line.group(1)}: {reason}" if line else f"{rel}: unreadable ({reason})"
