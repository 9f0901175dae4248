"""`check_file`: one file a requester asks to release, checked by its name and its content."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hygie.airlock.findings import Findings, Report
from hygie.airlock.limits import KINDS, Declared, Limits
from hygie.airlock.markup import check_html, check_svg
from hygie.airlock.parse import (
    Table,
    Unreadable,
    content_kind,
    json_strings,
    json_table,
    read_delimited,
    read_json,
    text_of,
)
from hygie.airlock.pictures import check_pdf, check_png
from hygie.airlock.table_checks import Earlier, check_table
from hygie.airlock.text import scan_text

# What the content of each kind must be, as content_kind says it.
CONTENT = {"png": "png", "pdf": "pdf", **dict.fromkeys(("csv", "tsv", "json", "txt", "svg",
                                                        "html"), "text")}


def extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rpartition(".")[2].strip().lower() if "." in base else ""


def check_file(path: Path, *, name: str, limits: Limits = Limits(), earlier: Sequence[Path] = (),
               declared: Declared | None = None) -> Report:
    """What the automatic checks find in the file at `path`, sent under the name `name`.

    `earlier`: files this project released before (tables among them are compared for
    differencing; others are ignored). `declared`: what the requester says of a table.
    """
    findings = Findings()
    kind = extension(name)
    size = path.stat().st_size
    if kind not in KINDS:
        findings.add("not_allowed_type", True, f"files ending in .{kind[:10] or '(nothing)'} may "
                     f"not leave; allowed: {', '.join('.' + k for k in KINDS)}")
    if size > limits.max_bytes:
        findings.add("too_big", True, f"{size:,} bytes, over the limit of {limits.max_bytes:,}")
        return Report("unknown" if kind not in KINDS else kind, size, None, findings.all())
    data = _read(path, limits.max_bytes)
    if len(data) > limits.max_bytes:  # the file grew since it was measured
        findings.add("too_big", True, f"over the limit of {limits.max_bytes:,} bytes")
        return Report("unknown" if kind not in KINDS else kind, len(data), None, findings.all())
    found = content_kind(data)
    if kind not in KINDS:
        return Report(found if found in KINDS else "unknown", len(data), None, findings.all())
    if found != CONTENT[kind]:
        shown = "text" if found == "text" else found.upper() if found in ("png", "pdf") else found
        findings.add("type_mismatch", True, f"the name says .{kind} but the content is {shown}")
        return Report("unknown", len(data), None, findings.all())
    rows = None
    try:
        rows = _check(kind, data, findings, limits, earlier, declared)
    except Unreadable as exc:
        findings.add("type_mismatch", True, f"the content cannot be read as .{kind}: {exc}")
        return Report("unknown", len(data), None, findings.all())
    return Report(kind, len(data), rows, findings.all())


def _read(path: Path, limit: int) -> bytes:
    """At most limit + 1 bytes: one more than allowed says the file is too big."""
    with path.open("rb") as fh:
        return fh.read(limit + 1)


def _check(kind: str, data: bytes, findings: Findings, limits: Limits,
           earlier: Sequence[Path], declared: Declared | None) -> int | None:
    if kind == "png":
        check_png(data, findings, limits)
        return None
    if kind == "pdf":
        check_pdf(data, findings)
        return None
    text = text_of(data)
    if kind == "svg":
        check_svg(data, findings)
        findings.add("manual_review", False, "a picture: only a person can see whether it shows "
                     "small counts or identifiers")
        return None
    if kind == "html":
        check_html(text, findings, limits=limits, earlier=_earlier(earlier, limits))
        findings.add("manual_review", False, "a page: only a person can see whether it shows "
                     "small counts or identifiers")
        return None
    if kind == "txt":
        scan_text(text, findings)
        return None
    if kind == "json":
        document = read_json(text)
        table = json_table(document, max_rows=limits.max_rows)
        if table is None:
            for value, where in json_strings(document):
                scan_text(value, findings, place=where, lines=False)
            return None
    else:
        table = read_delimited(text, tab=kind == "tsv", max_rows=limits.max_rows)
    check_table(table, findings, limits=limits, declared=declared,
                earlier=_earlier(earlier, limits))
    return table.rows


def _earlier(paths: Sequence[Path], limits: Limits) -> list[Earlier]:
    """The tables among earlier releases, read by their content; others are skipped."""
    tables = []
    for path in paths:
        table = read_table(path, limits)
        if table is not None:
            tables.append((path.name, table))
    return tables


def read_table(path: Path, limits: Limits) -> Table | None:
    """A CSV, TSV or JSON table file, or None when it is not one (or cannot be read)."""
    try:
        data = _read(path, limits.max_bytes)
        if len(data) > limits.max_bytes:
            return None
        text = text_of(data)
        if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("[", "{"):
            return json_table(read_json(text), max_rows=limits.max_rows)
        if path.suffix.lower() in (".csv", ".tsv", ".txt", ""):
            return read_delimited(text, tab=path.suffix.lower() == ".tsv",
                                  max_rows=limits.max_rows)
    except (OSError, Unreadable):
        return None
    return None
