"""Tables under statistical secrecy: primary and secondary (complementary) suppression.

Primary: every cell, margins included, that counts 1 to 10 people (and 0 with `hide_zero`).
Secondary: more cells are hidden until no hidden cell can be recomputed from the shown cells and
totals, by an attacker who also knows which hidden cells are small (see `hygie.sdc.audit`).

The search is greedy and deterministic:

1. Take the first hidden cell, in a canonical order (labels sorted, totals last), whose range is
   narrower than `min_width` (width 0: it can be recomputed).
2. List the ways to protect it, cheapest first, the cost being the sum of the counts newly hidden:
   in a 2-way table, rectangles of four cells (the cell, one more in its row, one more in its
   column, and the corner that closes the rectangle; margins are rows and columns like any other);
   in a 1-way table, one more cell of the line (the total included). Shown zeros are never hidden.
3. Take the cheapest way that protects the cell (among the 25 cheapest), or else the cheapest way.
4. Repeat until every hidden cell is protected.

Hiding more cells only widens ranges, so a cell found protected stays protected and the search ends.
A rectangle leaves every row and column with 0 or at least 2 hidden cells. The result is not the
optimum (that is an integer programme) but it is checked exactly: each hidden cell's range is
computed in integers before the table is returned.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from hygie.sdc.audit import TOTAL, Audit, Counts, Key, TableModel
from hygie.sdc.released import THRESHOLD, Reason, Released, SdcError, is_small

CANDIDATES_TRIED = 25


@dataclass(frozen=True)
class ProtectedTable:
    """A table as it may be released: every cell (margins included) is a `Released`."""

    dims: int
    labels: tuple[tuple[str, ...], ...]  # per dimension, in input order, without the total
    cells: Mapping[Key, Released]
    with_totals: bool
    total_label: str = TOTAL

    def __getitem__(self, key: Key) -> Released:
        return self.cells[key]

    @property
    def hidden(self) -> frozenset[Key]:
        return frozenset(k for k, cell in self.cells.items() if cell.hidden)

    @property
    def complementary(self) -> frozenset[Key]:
        return frozenset(k for k, c in self.cells.items() if c.reason is Reason.COMPLEMENTARY)

    def axes(self) -> tuple[tuple[str, ...], ...]:
        """Labels per dimension, with the total label last when totals are released."""
        extra = (self.total_label,) if self.with_totals else ()
        return tuple(axis + extra for axis in self.labels)

    def rows(self) -> list[list[str]]:
        """The table as text: a header row, then one row per label (a 1-way table is a column)."""
        axes = self.axes()
        if self.dims == 1:
            return [["", "count"], *([label, self.cells[(label,)].mark] for label in axes[0])]
        header = ["", *axes[1]]
        return [header, *([r, *(self.cells[(r, c)].mark for c in axes[1])] for r in axes[0])]

    def render(self) -> str:
        """A plain-text table, numbers right-aligned, with a legend for the marks used."""
        rows = self.rows()
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                           for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
                 for row in rows]
        marks = {cell.reason for cell in self.cells.values() if cell.hidden}
        threshold = next(iter(self.cells.values())).threshold
        if Reason.BELOW_THRESHOLD in marks:
            lines.append(f"<{threshold}: fewer than {threshold} people (statistical secrecy)")
        if Reason.COMPLEMENTARY in marks:
            lines.append("secret: hidden so that the small cells cannot be recomputed from totals")
        return "\n".join(lines)


def protect_table(counts: Counts, with_totals: bool = True, *, hide_zero: bool = False,
                  threshold: int = THRESHOLD, min_width: int = 1,
                  total_label: str = TOTAL) -> ProtectedTable:
    """Suppress a 1- or 2-way table of counts so that no figure on 1 to 10 people can be read or
    recomputed from what is released.

    `counts` maps tuples of labels to counts (absent pairs of a 2-way table count 0); totals are
    computed and released with the table when `with_totals`. `min_width` is the narrowest range
    (largest possible value minus smallest) accepted for a hidden cell: 1 means not recomputable.
    """
    if threshold < 2:
        raise SdcError(f"the threshold must be at least 2, not {threshold}")
    widest = threshold - 1 - (0 if hide_zero else 1)
    if not 1 <= min_width <= widest:
        raise SdcError(f"min_width must be between 1 and {widest}: a small cell is known to lie in "
                       f"{'0' if hide_zero else '1'}..{threshold - 1}")
    model = TableModel(counts, with_totals=with_totals, total_label=total_label)
    primary = {k for k in model.keys if is_small(model.values[k], hide_zero=hide_zero,
                                                 threshold=threshold)}
    hidden = set(primary)
    safe: set[Key] = set()
    while True:
        audit = Audit(model, hidden, hide_zero=hide_zero, threshold=threshold)
        offender = None
        for key in model.canonical:
            if key in hidden and key not in safe:
                if not audit.protected(key, min_width):
                    offender = key
                    break
                safe.add(key)
        if offender is None:
            break
        hidden |= _best_cover(model, hidden, offender, hide_zero=hide_zero, threshold=threshold,
                              min_width=min_width)
    cells = {}
    for key in model.keys:
        if key in primary:
            cells[key] = Released(None, Reason.BELOW_THRESHOLD, threshold=threshold)
        elif key in hidden:
            cells[key] = Released(None, Reason.COMPLEMENTARY, threshold=threshold)
        else:
            cells[key] = Released(model.values[key], Reason.SHOWN, threshold=threshold)
    return ProtectedTable(model.dims, model.labels, cells, with_totals, total_label)


def _best_cover(model: TableModel, hidden: set[Key], offender: Key, *, hide_zero: bool,
                threshold: int, min_width: int) -> set[Key]:
    """The cells to hide next so that `offender` is protected, at the least cost found."""
    options = sorted(_covers(model, hidden, offender))
    if not options:
        # No rectangle can grow: hide the smallest shown non-zero cell anywhere, and go on.
        spare = [(model.values[k], i, k) for i, k in enumerate(model.canonical)
                 if k not in hidden and model.values[k] > 0]
        if not spare:
            raise SdcError(f"cannot protect cell {offender!r}: every non-zero cell is already "
                           "hidden (lower min_width, or hide zeros too)")
        return {min(spare)[2]}
    for _cost, _order, cells in options[:CANDIDATES_TRIED]:
        audit = Audit(model, hidden | cells, hide_zero=hide_zero, threshold=threshold)
        if audit.protected(offender, min_width):
            return set(cells)
    return set(options[0][2])


def _covers(model: TableModel, hidden: set[Key],
            offender: Key) -> Iterator[tuple[int, int, frozenset[Key]]]:
    """Ways to protect a cell, as (cost, canonical order, cells newly hidden)."""

    def usable(key: Key) -> bool:
        return key in hidden or model.values[key] > 0  # shown zeros stay shown

    order = {k: i for i, k in enumerate(model.canonical)}
    if not model.with_totals:
        return
    if model.dims == 1:
        for key in model.keys:
            if key not in hidden and usable(key):
                yield model.values[key], order[key], frozenset({key})
        return
    rows, cols = ([*axis, model.total_label] for axis in model.labels)
    r0, c0 = offender
    for r in rows:
        for c in cols:
            if r == r0 or c == c0:
                continue
            corners = [(r0, c), (r, c0), (r, c)]
            if not all(usable(k) for k in corners):
                continue
            new = frozenset(k for k in corners if k not in hidden)
            if new:
                yield sum(model.values[k] for k in new), order[(r, c)], new
