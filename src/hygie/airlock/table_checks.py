"""The checks of a table (CSV, TSV, JSON): counts, identifiers, dates, magnitudes, margins, and
differences with earlier releases."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hygie.airlock.columns import (
    COUNT,
    KEY,
    MAGNITUDE,
    NUMBERS,
    Column,
    extreme_named,
    label_named,
    roles,
)
from hygie.airlock.differencing import Summary, differences
from hygie.airlock.findings import Findings
from hygie.airlock.identifiers import NIR, column_name_finding, compact_date, nir_key_ok, scan
from hygie.airlock.limits import Declared, Limits
from hygie.airlock.magnitude import check_magnitudes
from hygie.airlock.margins import recomputed
from hygie.airlock.parse import Table
from hygie.airlock.values import BLANK, MARK, NUMBER, TEXT, Bound, tokens

MIN_ID_ROWS = 50  # unique values over fewer rows are not taken for identifiers
ID_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{7,63}")
ID_WORDS = frozenset({"id", "ids", "ident", "identifiant", "identifier", "num", "numero", "nir",
                      "key", "cle", "uuid", "hash", "pseudo", "pseudonym", "token"})
DATE_WORDS = frozenset({"date", "dte", "dtd", "dtf", "dat", "dt", "naiss", "naissance", "birth",
                        "dob", "deces", "death", "jour", "day"})
SHOWN = 5  # lines named in a finding about a whole column
Earlier = tuple[str, Table]  # (file name, table)


def check_table(table: Table, findings: Findings, *, limits: Limits, declared: Declared | None,
                earlier: Sequence[Earlier] = ()) -> None:
    if table.more_rows:
        findings.add("too_many_rows", True, f"more than {limits.max_rows:,} rows: only the "
                     "first were checked")
    for row, fields in table.ragged:
        findings.add("malformed", True, f"{fields} fields under a header of "
                     f"{len(table.columns)}", table.where(row), group="ragged")
    columns = roles(table, declared)
    _declared_columns(table, declared, findings)
    _names(table, findings)
    flagged = _identifiers_in_cells(table, findings)
    _unique_identifiers(table, columns, declared, flagged, findings)
    _counts(table, columns, limits, findings)
    _possible_counts(table, columns, limits, findings)
    _magnitudes(table, columns, declared, limits, findings)
    determined, complete = recomputed(table, columns, limits.threshold)
    for (r, c), value in determined:
        findings.add("recomputable_from_totals", True,
                     f"the hidden cell {_cell(table, columns, r, c)} is {value}, from the "
                     "table's totals", f"{table.where(r)}, column {table.columns[c]}",
                     group="margins")
    if not complete:
        findings.add("manual_review", False, "the table's totals are too many to follow to the "
                     "end: check that its hidden cells cannot be recomputed")
    _differencing(table, columns, earlier, limits, findings)


def _declared_columns(table: Table, declared: Declared | None, findings: Findings) -> None:
    if declared is None:
        return
    missing = [n for n in (*declared.counts, *declared.keys) if n not in table.columns]
    if missing:
        findings.add("manual_review", False, "declared columns not in the table: "
                     + ", ".join(missing[:10]))


def _names(table: Table, findings: Findings) -> None:
    for name in table.columns:
        named = column_name_finding(name)
        if named:
            findings.add(named[0], True, named[1], f"column {name}")
        for hit in scan(name):
            findings.add(hit.code, True, f"a column's name holds {hit.what}", "header",
                         group="header")


def _identifiers_in_cells(table: Table, findings: Findings) -> set[int]:
    """Pseudonyms, NIRs and exact dates in cells, one finding per column and kind. Returns the
    columns found holding pseudonyms or NIRs."""
    flagged = set()
    for c, (name, cells) in enumerate(zip(table.columns, table.cells, strict=True)):
        dated = any(w in DATE_WORDS for w in tokens(name)) or re.search(r"_D[TA][TDEF]$", name)
        rows: dict[str, list[int]] = {}
        whats: dict[str, str] = {}
        for r, cell in enumerate(cells):
            if cell.kind == TEXT:
                for hit in scan(cell.text):
                    rows.setdefault(hit.code, []).append(r)
                    whats.setdefault(hit.code, hit.what)
            elif cell.kind == NUMBER:
                text = cell.text.strip()
                if len(text) == 15 and NIR.fullmatch(text) and nir_key_ok(text):
                    rows.setdefault("identifier", []).append(r)
                    whats.setdefault("identifier", "a NIR (social security number)")
                elif dated and compact_date(text):
                    rows.setdefault("exact_date", []).append(r)
                    whats.setdefault("exact_date", f"the exact date {text}")
        for code, found in rows.items():
            found = sorted(set(found))
            lines = ", ".join(table.where(r) for r in found[:SHOWN])
            more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
            findings.add(code, True, f"{len(found)} value(s) such as {whats[code]} "
                         f"({lines}{more})", f"column {name}")
            if code != "exact_date":
                flagged.add(c)
    return flagged


def _unique_identifiers(table: Table, columns: list[Column], declared: Declared | None,
                        flagged: set[int], findings: Findings) -> None:
    keys = set(declared.keys) if declared else set()
    for column in columns:
        if column.role in (COUNT, MAGNITUDE) or column.index in flagged:
            continue
        values = [c.text.strip() for c in table.cells[column.index] if c.kind != BLANK]
        if len(values) < MIN_ID_ROWS or len(set(values)) != len(values):
            continue
        named = any(w in ID_WORDS for w in tokens(column.name))
        if not (_id_shaped(values) or (named and not _consecutive(values))):
            continue
        declared_key = column.name in keys
        findings.add("manual_review" if declared_key else "identifier", not declared_key,
                     f"column {column.name} has a different, identifier-like value on each of "
                     f"its {len(values)} rows" + (" (declared as labels)" if declared_key else ""),
                     f"column {column.name}")


def _id_shaped(values: list[str]) -> bool:
    """Same length (within one), no spaces, 8 characters or more, with digits and either letters
    or leading zeros: pseudo-NIRs, hashes, patient numbers; not labels, codes or counts."""
    lengths = {len(v) for v in values}
    if max(lengths) - min(lengths) > 1:
        return False
    return all(ID_SHAPE.fullmatch(v) and any(ch.isdigit() for ch in v)
               and (any(ch.isalpha() for ch in v) or v.startswith("0")) for v in values)


def _consecutive(values: list[str]) -> bool:
    """Row numbers (0, 1, 2... in any order) identify rows, not people."""
    if not all(re.fullmatch(r"\d{1,9}", v) for v in values):
        return False
    numbers = sorted(int(v) for v in values)
    return numbers[-1] - numbers[0] == len(numbers) - 1


def _counts(table: Table, columns: list[Column], limits: Limits, findings: Findings) -> None:
    for column in (c for c in columns if c.role == COUNT):
        for r, cell in enumerate(table.cells[column.index]):
            where = f"{table.where(r)}, column {column.name}"
            group = f"column {column.name}"
            if cell.kind == NUMBER and 0 < (cell.number or 0) < limits.threshold:
                findings.add("small_count", True, f"the count {cell.text.strip()} in "
                             f"{_cell(table, columns, r, column.index)} is under "
                             f"{limits.threshold}", where, group=group)
            elif cell.kind == MARK and cell.bound is not None:
                limit = int(cell.number or 0) - (1 if cell.bound is Bound.BELOW else 0)
                if limit < limits.threshold - 1:
                    findings.add("small_count", True, f"the mark {cell.text.strip()} tells more "
                                 f"than <{limits.threshold}: write <{limits.threshold}",
                                 where, group=group)


def _possible_counts(table: Table, columns: list[Column], limits: Limits,
                     findings: Findings) -> None:
    for column in (c for c in columns if c.role == NUMBERS and c.integral):
        small = [r for r, cell in enumerate(table.cells[column.index])
                 if cell.kind == NUMBER and 0 < (cell.number or 0) < limits.threshold]
        if small:
            lines = ", ".join(table.where(r) for r in small[:SHOWN])
            findings.add("possible_small_count", False, f"column {column.name} holds whole "
                         f"numbers from 1 to {limits.threshold - 1} ({lines}"
                         f"{' ...' if len(small) > SHOWN else ''}): if they are counts, "
                         "hide them or declare the column", f"column {column.name}")


def _magnitudes(table: Table, columns: list[Column], declared: Declared | None, limits: Limits,
                findings: Findings) -> None:
    sidecar = declared.sidecar if declared else None
    unchecked = []
    for column in (c for c in columns if c.role == MAGNITUDE):
        numbers = any(cell.kind == NUMBER for cell in table.cells[column.index])
        if extreme_named(column.name) and numbers:
            label = label_named(column.name)
            findings.add("extreme_value", not label, f"column {column.name} looks like a minimum "
                         "or maximum, which is one person's value"
                         + (" (or the bound of a class: check)" if label else ""),
                         f"column {column.name}")
        elif numbers and (sidecar is None or column.name != sidecar.value):
            unchecked.append(column.name)
    if sidecar is not None:
        check_magnitudes(table, columns, sidecar, limits, findings)
    if unchecked:
        findings.add("manual_review", False, f"column(s) {', '.join(unchecked[:10])} look like "
                     "magnitudes (sums, means, amounts): without the contributions made with "
                     "magnitude_table, dominance cannot be checked")


def _differencing(table: Table, columns: list[Column], earlier: Sequence[Earlier],
                  limits: Limits, findings: Findings) -> None:
    new = Summary.of(table, columns)
    if not new.counts:
        return
    for name, other in earlier:
        old = Summary.of(other, roles(other), counts=set(new.counts))
        for column, level, labels, before, now in differences(new, old, limits.threshold):
            cell = f"cell ({', '.join(labels)})" if level else "the grand total"
            findings.add("differencing", True, f"{column} of {cell} is {before} in {name} and "
                         f"{now} here: the difference describes {abs(now - before)} people",
                         f"{cell}, column {column}", group=f"{name}:{column}")


def _cell(table: Table, columns: list[Column], row: int, column: int) -> str:
    labels = [table.cells[c.index][row].text.strip()[:40] for c in columns if c.role == KEY]
    inside = ", ".join([*labels, table.columns[column]]) if labels else table.columns[column]
    return f"({inside})"
