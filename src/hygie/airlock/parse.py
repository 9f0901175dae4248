"""Files read into what the checks look at: bytes sniffed, text decoded, tables parsed.

A table is its header and its cells by column (`Cell`s, hygie.airlock.values). CSV files are read
with the csv module in strict mode, the separator being the one of `,`, `;`, tab or `|` that reads
the first lines as rows of one width; the csv module's field size limit (128 kB unless a caller raised it) and
the file size limit bound what is held. JSON is parsed with the standard library and its depth and
size checked with hygie.nesting before it is walked.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from hygie.airlock.values import Cell, cell_of, read_cell
from hygie.nesting import excess

MAX_JSON_DEPTH = 64
MAX_JSON_VALUES = 2_000_000
SEPARATORS = (",", ";", "\t", "|")
SNIFFED, SNIFFED_LINES = 64 * 1024, 20  # characters and lines read to choose the separator
# Binary formats that must not pass for the kinds that may leave (first bytes -> what it is).
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"), (b"%PDF-", "pdf"), (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "a zip archive"), (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-zip archive"), (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
    (b"\xff\xd8\xff", "a JPEG picture"), (b"GIF8", "a GIF picture"), (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"), (b"ARROW1", "an Arrow file"),
    (b"\x93NUMPY", "a NumPy array"), (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ\x00", "an xz archive"),
)
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # tab, line breaks and form feed are text


class Unreadable(ValueError):
    """The content cannot be read as its kind; the message says why, for a type_mismatch."""


def content_kind(data: bytes) -> str:
    """"png", "pdf", "text" (UTF-8 without control characters), or what else it is."""
    for magic, what in MAGIC:
        if data.startswith(magic):
            return what
    try:
        text_of(data)
    except Unreadable:
        return "binary data"
    return "text"


def text_of(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    if CONTROLS.search(text):
        raise Unreadable("text with control characters: binary data, not text")
    return text


@dataclass
class Table:
    columns: list[str]
    cells: list[list[Cell]]  # by column, then row
    lines: list[int] | None = None  # first line of each row in the file (CSV), else None
    more_rows: bool = False  # rows were left out past the limit
    ragged: list[tuple[int, int]] = field(default_factory=list)  # (row, fields) longer than header

    @property
    def rows(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def where(self, row: int) -> str:
        return f"line {self.lines[row]}" if self.lines is not None else f"row {row + 1}"


def read_delimited(text: str, *, tab: bool, max_rows: int) -> Table:
    """A CSV or TSV table; rows past `max_rows` are left out and `more_rows` set."""
    separator = "\t" if tab else _separator(text)
    decimal_comma = separator != ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    try:
        header = next(reader, [])
        columns = [name.strip() for name in header]
        cells: list[list[Cell]] = [[] for _ in columns]
        lines: list[int] = []
        ragged = []
        more = False
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if not row or row == [""]:
                continue
            if len(lines) == max_rows:
                more = True
                break
            if len(row) > len(columns):
                ragged.append((len(lines), len(row)))
            lines.append(start)
            for i, column in enumerate(cells):
                column.append(read_cell(row[i], decimal_comma=decimal_comma) if i < len(row)
                              else read_cell(""))
    except csv.Error as exc:
        raise Unreadable(f"not a readable CSV table (line {reader.line_num}: {exc})") from None
    return Table(columns, cells, lines, more, ragged)


def _separator(text: str) -> str:
    """The separator that reads the first lines as rows of one width, the widest if several do
    (a comma on ties): "a;b,5" is two fields of a French file, not two of an English one."""
    sample = "\n".join(text[:SNIFFED].splitlines()[:SNIFFED_LINES])

    def score(separator: str) -> tuple[bool, int]:
        try:
            widths = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=separator)
                      if row]
        except csv.Error:
            return False, 0
        if not widths:
            return False, 0
        return len(set(widths)) == 1 and widths[0] > 1, widths[0]

    return max(SEPARATORS, key=score)


def read_json(text: str) -> Any:
    try:
        data = json.loads(text)
    except RecursionError:
        raise Unreadable("JSON nested too deeply") from None
    except ValueError as exc:
        raise Unreadable(f"not valid JSON ({str(exc)[:200]})") from None
    problem = excess(data, depth=MAX_JSON_DEPTH, values=MAX_JSON_VALUES)
    if problem:
        raise Unreadable(f"JSON {problem}")
    return data


def json_table(data: Any, *, max_rows: int) -> Table | None:
    """The table in a JSON document, or None: an array of objects (pandas' "records"), an object
    with "columns" and "data" rows (pandas' "split", its "index" kept as a column), or an object
    whose "data" is an array of objects (pandas' "table")."""
    if isinstance(data, dict) and isinstance(data.get("columns"), list) \
            and isinstance(data.get("data"), list) \
            and all(isinstance(row, list) for row in data["data"]):
        names = [_name(c) for c in data["columns"]]
        rows = data["data"]
        index = data.get("index")
        if isinstance(index, list) and len(index) == len(rows):
            names = ["index", *names]
            rows = [[i, *row] for i, row in zip(index, rows, strict=True)]
        return _table(names, rows, max_rows)
    records = data.get("data") if isinstance(data, dict) else data
    if isinstance(records, list) and records and all(isinstance(r, dict) for r in records):
        names = list(dict.fromkeys(key for record in records for key in record))
        return _table(names, [[r.get(k) for k in names] for r in records], max_rows)
    return None


def _name(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _table(names: list[str], rows: list[list[Any]], max_rows: int) -> Table:
    cells: list[list[Cell]] = [[] for _ in names]
    ragged = []
    for r, row in enumerate(rows[:max_rows]):
        if len(row) > len(names):
            ragged.append((r, len(row)))
        for i, column in enumerate(cells):
            value = row[i] if i < len(row) else None
            if isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False)
            column.append(cell_of(value))
    return Table(names, cells, None, len(rows) > max_rows, ragged)


def json_strings(data: Any) -> list[tuple[str, str]]:
    """Every string (keys included) and number of a JSON document, with its path ($.a[0].b)."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(data, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                found.append((key, path))
                stack.append((value, f"{path}.{key}"[:200]))
        elif isinstance(node, list):
            stack.extend((value, f"{path}[{i}]"[:200]) for i, value in enumerate(node))
        elif isinstance(node, str):
            found.append((node, path))
        elif isinstance(node, int | float) and not isinstance(node, bool):
            found.append((str(node), path))
    return found
