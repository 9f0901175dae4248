"""Differencing against earlier releases of the same project.

Two tables of the same count column over the same people, released at different times (a cohort
refreshed, a criterion added), differ by the people who changed: a difference of 1 to 10 describes
that few people, even when each table is safe on its own. Each table is summarised at the finest
level of keys the two share and at the grand total, from its shown cells (a group with a hidden
cell is left out) and from its own margins (a Total row is the released total of its group). Any
figure known in both whose difference is 1 to threshold - 1 is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from hygie.airlock.columns import COUNT, KEY, Column
from hygie.airlock.margins import margin_rows
from hygie.airlock.parse import Table
from hygie.airlock.values import NUMBER


@dataclass(frozen=True)
class Summary:
    """A table's known counts, by any level of its keys."""

    table: Table
    keys: dict[str, int]  # key column name -> index
    counts: dict[str, int]  # count column name -> index
    margins: dict[int, frozenset[int]]

    @classmethod
    def of(cls, table: Table, columns: list[Column], *, counts: set[str] | None = None) -> Summary:
        """`counts`: the columns to compare (default: the table's own count columns)."""
        keys = [c for c in columns if c.role == KEY]
        wanted = counts if counts is not None else {c.name for c in columns if c.role == COUNT}
        return cls(table, {c.name: c.index for c in keys},
                   {c.name: c.index for c in columns if c.name in wanted and c.role != KEY},
                   margin_rows(table, keys))

    def values(self, level: tuple[str, ...], column: str) -> dict[tuple[str, ...], int]:
        """Known totals of `column` by the labels of the `level` key columns."""
        col = self.counts[column]
        at = [self.keys[k] for k in level]
        cells = self.table.cells
        sums: dict[tuple[str, ...], int | None] = {}
        for r in range(self.table.rows):
            if r in self.margins:
                continue
            key = tuple(cells[k][r].text.strip() for k in at)
            cell = cells[col][r]
            value = int(cell.number or 0) if cell.kind == NUMBER and cell.integral else None
            before = sums.get(key, 0)
            sums[key] = None if value is None or before is None else before + value
        known = {k: v for k, v in sums.items() if v is not None}
        wanted = set(at)
        for r, marked in self.margins.items():
            if set(self.keys.values()) - marked == wanted:  # a margin row at exactly this level
                cell = cells[col][r]
                if cell.kind == NUMBER and cell.integral:
                    known[tuple(cells[k][r].text.strip() for k in at)] = int(cell.number or 0)
        return known


def differences(new: Summary, earlier: Summary,
                threshold: int) -> Iterator[tuple[str, tuple[str, ...], tuple[str, ...], int, int]]:
    """(column, level, labels, earlier value, new value) for each difference of 1 to
    threshold - 1 between figures known in both tables."""
    common = tuple(k for k in new.keys if k in earlier.keys)
    levels = [common, ()] if common else [()]
    for column in new.counts:
        if column not in earlier.counts:
            continue
        for level in levels:
            before = earlier.values(level, column)
            for labels, now in new.values(level, column).items():
                if labels in before and 0 < abs(now - before[labels]) < threshold:
                    yield column, level, labels, before[labels], now
