"""Hidden cells that a table's own margins give away ("recomputable_from_totals").

A margin is a row labelled Total, All, Ensemble... in a key column (or a last row with blank keys),
or a column so named. Each margin makes a line: its members sum to it. Every hidden cell (a mark
such as `<11`, `secret`, or a blank) starts with the range an attacker knows: 1 to 10 for `<11`,
0 and up otherwise. Ranges are then narrowed line by line (each line's sum bounds each of its
unknowns by the others' ranges) until nothing changes; a hidden cell whose range shrinks to one
value from 1 to 10 is reported. With exactly one hidden cell in a line this is the subtraction an
attacker does; chains of lines (a recomputed cell helping in a crossing line) are followed too,
each line looked at again only when one of its cells narrowed.

Lines are only trusted where they add up: a margin column is dropped when one of its fully shown
rows does not sum to it, a margin row's line when its cells are all shown and do not sum to it; a
table whose ranges contradict each other is not what its labels say, and nothing is reported.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from hygie.airlock.columns import COUNT, KEY, NUMBERS, Column, is_margin_label
from hygie.airlock.parse import Table
from hygie.airlock.values import BLANK, MARK, NUMBER, Bound, Cell

MAX_WORK = 5_000_000  # unknowns visited, all equations together
Pos = tuple[int, int]  # (row, column index)


@dataclass(frozen=True)
class Line:
    members: tuple[Pos, ...]
    total: Pos


def margin_rows(table: Table, keys: list[Column]) -> dict[int, frozenset[int]]:
    """Rows that are margins -> the key columns in which they are (Total, All...)."""
    found: dict[int, frozenset[int]] = {}
    for r in range(table.rows):
        marked = frozenset(k.index for k in keys if is_margin_label(table.cells[k.index][r].text))
        if marked:
            found[r] = marked
    last = table.rows - 1
    if keys and last > 0 and last not in found \
            and all(table.cells[k.index][last].kind == BLANK for k in keys):
        found[last] = frozenset(k.index for k in keys)  # a grand total row without a label
    return found


def lines_of(table: Table, columns: list[Column]) -> list[Line]:
    keys = [c for c in columns if c.role == KEY]
    values = [c for c in columns if c.role in (COUNT, NUMBERS) and (c.integral or not c.numeric)]
    margins = margin_rows(table, keys)
    base = [r for r in range(table.rows) if r not in margins]
    lines: list[Line] = []
    groups: dict[frozenset[int], dict[tuple[str, ...], list[int]]] = {}
    seen: set[tuple[frozenset[int], tuple[str, ...]]] = set()
    for r, marked in margins.items():
        kept = [k.index for k in keys if k.index not in marked]
        if marked not in groups:
            by: dict[tuple[str, ...], list[int]] = {}
            for s in base:
                by.setdefault(tuple(table.cells[k][s].text.strip() for k in kept), []).append(s)
            groups[marked] = by
        group = tuple(table.cells[k][r].text.strip() for k in kept)
        members = groups[marked].get(group, [])
        if members and (marked, group) not in seen:  # a repeated total row adds nothing
            seen.add((marked, group))
            for c in values:
                line = Line(tuple((s, c.index) for s in members), (r, c.index))
                if _adds_up(table, line):
                    lines.append(line)
    for total in (c for c in values if c.margin):
        others = [c.index for c in values if not c.margin]
        row_lines = [Line(tuple((r, i) for i in others), (r, total.index))
                     for r in range(table.rows)]
        checked = [line for line in row_lines if _known(table, line) is not None]
        if others and all(_adds_up(table, line) for line in checked):
            lines.extend(row_lines)
    return lines


def _known(table: Table, line: Line) -> list[int] | None:
    """The line's values when all are shown whole numbers."""
    values = []
    for r, c in (*line.members, line.total):
        cell = table.cells[c][r]
        if cell.kind != NUMBER or not cell.integral:
            return None
        values.append(int(cell.number or 0))
    return values


def _adds_up(table: Table, line: Line) -> bool:
    values = _known(table, line)
    if values is None:  # cells that are neither numbers nor hidden marks: not a line of counts
        return all(table.cells[c][r].kind in (BLANK, MARK) or table.cells[c][r].integral
                   for r, c in (*line.members, line.total))
    return sum(values[:-1]) == values[-1]


def prior(cell: Cell) -> tuple[float, float]:
    """What an attacker knows of a cell before using the margins."""
    if cell.kind == NUMBER:
        return float(cell.number or 0), float(cell.number or 0)
    if cell.bound is not None:
        bound = int(cell.number or 0)
        high = bound - 1 if cell.bound is Bound.BELOW else bound
        return 1, max(1, high)
    return 0, math.inf


@dataclass
class Equation:
    """sum(sign x value of each unknown) + constant = 0, from a line and its shown cells."""

    unknowns: list[tuple[Pos, int]]
    constant: int


def equations(table: Table, lines: list[Line]) -> list[Equation]:
    found = []
    for line in lines:
        constant, unknowns = 0, []
        for pos, sign in [*((p, 1) for p in line.members), (line.total, -1)]:
            cell = table.cells[pos[1]][pos[0]]
            if cell.kind == NUMBER:
                constant += sign * int(cell.number or 0)
            else:
                unknowns.append((pos, sign))
        if unknowns:
            found.append(Equation(unknowns, constant))
    return found


def recomputed(table: Table, columns: list[Column],
               threshold: int) -> tuple[list[tuple[Pos, int]], bool]:
    """Each hidden cell that the margins determine as a value from 1 to threshold - 1, and
    whether the search went to its end (it stops after MAX_WORK steps; what it found holds)."""
    system = equations(table, lines_of(table, columns))
    ranges = {pos: prior(table.cells[pos[1]][pos[0]]) for eq in system for pos, _ in eq.unknowns}
    lines_at: dict[Pos, list[int]] = {}
    for i, eq in enumerate(system):
        for pos, _ in eq.unknowns:
            lines_at.setdefault(pos, []).append(i)
    queue, queued = deque(range(len(system))), set(range(len(system)))
    work = 0
    while queue and work < MAX_WORK:
        i = queue.popleft()
        queued.discard(i)
        work += len(system[i].unknowns)
        narrowed = _narrow(system[i], ranges)
        if narrowed is None:
            return [], True  # contradictory: the table is not what its labels say
        for pos, bounds in narrowed.items():
            if bounds != ranges[pos]:
                ranges[pos] = bounds
                for j in lines_at[pos]:
                    if j not in queued:
                        queue.append(j)
                        queued.add(j)
    found = [(pos, int(low)) for pos, (low, high) in sorted(ranges.items())
             if low == high and 1 <= low < threshold]
    return found, not queue


def _narrow(eq: Equation, ranges: dict[Pos, tuple[float, float]]) -> dict[Pos, tuple[float, float]] | None:
    """New ranges of the equation's unknowns, each bounded by the others', or None if none fit."""
    lows, highs = [], []
    for pos, sign in eq.unknowns:  # the range of sign * value
        lo, hi = ranges[pos]
        lows.append(lo if sign > 0 else -hi)
        highs.append(hi if sign > 0 else -lo)
    finite_low = sum(x for x in lows if x != -math.inf)
    infinite_low = sum(1 for x in lows if x == -math.inf)
    finite_high = sum(x for x in highs if x != math.inf)
    infinite_high = sum(1 for x in highs if x == math.inf)
    out = {}
    for (pos, sign), lo_t, hi_t in zip(eq.unknowns, lows, highs, strict=True):
        lo, hi = ranges[pos]
        # sign * value = -(constant + the others): bounded by the others' ranges.
        others_high = (math.inf if infinite_high - (hi_t == math.inf) > 0
                       else finite_high - (0 if hi_t == math.inf else hi_t))
        others_low = (-math.inf if infinite_low - (lo_t == -math.inf) > 0
                      else finite_low - (0 if lo_t == -math.inf else lo_t))
        t_low, t_high = -eq.constant - others_high, -eq.constant - others_low
        new_lo, new_hi = (t_low, t_high) if sign > 0 else (-t_high, -t_low)
        lo, hi = max(lo, new_lo), min(hi, new_hi)
        if lo > hi:
            return None
        out[pos] = (lo, hi)
    return out
