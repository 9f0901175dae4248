"""What an attacker can deduce about the hidden cells of a released 1- or 2-way table.

A table with margins is a set of linear facts: each row and each column (margins included) sums to
its total. The attacker also knows bounds: a cell marked `<11` holds 1 to 10 (0 to 10 when zeros are
hidden too), a complementary cell at least 11 (it would be `<11` otherwise), and a shown cell its
value. Which hidden cells are primary and which are complementary is assumed known: that is the
strongest attacker, so ranges computed here are never wider than what a real attacker faces.

Such a table is a circulation in a small network (source -> row -> column -> sink -> source; for a
1-way table, parallel arcs source -> sink and one sink -> source arc), so the range of each hidden
cell is found exactly, in integers, by two maximum flows in the residual network of the true table:
the largest amount a cell can grow (or shrink) while every other fact holds.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hygie.sdc.released import THRESHOLD, SdcError, check_count

Key = tuple[str, ...]
# A table of counts by label tuples; Mapping keys are invariant, hence the precise variants.
Counts = Mapping[tuple[str], int] | Mapping[tuple[str, str], int] | Mapping[Key, int]
TOTAL = "Total"
INF = math.inf


@dataclass(frozen=True, slots=True)
class Range:
    """The values a hidden cell can take given what is released; `high` None when unbounded."""

    low: int
    high: int | None

    @property
    def width(self) -> float:
        return INF if self.high is None else self.high - self.low

    @property
    def determined(self) -> bool:
        return self.high == self.low


class TableModel:
    """An additive 1- or 2-way table of counts, with its margins when `with_totals`.

    `counts` maps label tuples to counts; in a 2-way table, label pairs that are absent count 0 (as
    a GROUP BY returns them). Each person must be in exactly one cell, so that totals are sums.
    """

    def __init__(self, counts: Counts, *, with_totals: bool = True,
                 total_label: str = TOTAL) -> None:
        if not counts:
            raise SdcError("an empty table has nothing to protect")
        sizes = {len(key) if isinstance(key, tuple) else -1 for key in counts}
        if sizes - {1, 2} or len(sizes) > 1:
            raise SdcError("table keys must all be tuples of 1 label (1-way) or all of 2 labels "
                           "(2-way); cross more variables into one label to protect larger tables")
        self.dims = sizes.pop()
        self.with_totals = with_totals
        self.total_label = total_label
        axes: list[dict[str, None]] = [{} for _ in range(self.dims)]
        values: dict[Key, int] = {}
        items: Iterable[tuple[Key, object]] = counts.items()
        for key, count in items:
            for axis, label in zip(axes, key, strict=True):
                if not isinstance(label, str):
                    raise SdcError(f"labels must be text: {label!r} in {key!r}")
                if label == total_label:
                    raise SdcError(f"the label {label!r} is reserved for totals; rename it or pass "
                                   "another total_label")
                axis[label] = None
            try:
                values[key] = check_count(count)
            except SdcError as exc:
                raise SdcError(f"cell {key!r}: {exc}") from None
        self.labels: tuple[tuple[str, ...], ...] = tuple(tuple(axis) for axis in axes)
        if self.dims == 2:
            for r in self.labels[0]:
                for c in self.labels[1]:
                    values.setdefault((r, c), 0)
        self.lines: list[tuple[Key, ...]] = []  # each line: members..., then its total
        self.arcs: dict[Key, tuple[int, int]] = {}  # each cell as an arc of the circulation
        if with_totals:
            self._add_margins(values)
        self.values = values
        ext = [axis + ((total_label,) if with_totals else ()) for axis in self.labels]
        self.keys: list[Key] = ([(a,) for a in ext[0]] if self.dims == 1
                                else [(r, c) for r in ext[0] for c in ext[1]])
        # Decisions follow this order, which does not depend on the order of the input.
        rank = {label: (label == total_label, label) for axis in ext for label in axis}
        self.canonical: list[Key] = sorted(self.keys, key=lambda k: [rank[x] for x in k])
        self.n_nodes = 2 + sum(len(axis) for axis in self.labels) if self.dims == 2 else 2

    def _add_margins(self, values: dict[Key, int]) -> None:
        t = self.total_label
        if self.dims == 1:
            cells = [(a,) for a in self.labels[0]]
            values[(t,)] = sum(values[k] for k in cells)
            self.lines.append((*cells, (t,)))
            self.arcs = {**{k: (0, 1) for k in cells}, (t,): (1, 0)}
            return
        rows, cols = self.labels
        row_node = {r: 2 + i for i, r in enumerate(rows)}
        col_node = {c: 2 + len(rows) + j for j, c in enumerate(cols)}
        for r in rows:
            values[(r, t)] = sum(values[(r, c)] for c in cols)
        for c in (*cols, t):
            values[(t, c)] = sum(values[(r, c)] for r in rows)
        for r in (*rows, t):
            self.lines.append((*((r, c) for c in cols), (r, t)))
        for c in (*cols, t):
            self.lines.append((*((r, c) for r in rows), (t, c)))
        for r in rows:
            self.arcs[(r, t)] = (0, row_node[r])
            for c in cols:
                self.arcs[(r, c)] = (row_node[r], col_node[c])
        for c in cols:
            self.arcs[(t, c)] = (col_node[c], 1)
        self.arcs[(t, t)] = (1, 0)


class Audit:
    """The ranges of a table's hidden cells, for the strongest attacker (see the module notes)."""

    def __init__(self, model: TableModel, hidden: Iterable[Key], *, hide_zero: bool = False,
                 threshold: int = THRESHOLD) -> None:
        self.model = model
        self.hidden = frozenset(hidden)
        self.threshold = threshold
        self.low_small = 0 if hide_zero else 1
        for key in self.hidden:
            if key not in model.values:
                raise SdcError(f"no cell {key!r} in this table")
            if model.values[key] == 0 and not hide_zero:
                raise SdcError(f"cell {key!r} is a hidden zero: audit it with hide_zero=True")

    def bounds(self, key: Key) -> tuple[int, float]:
        value = self.model.values[key]
        if key not in self.hidden:
            return value, value
        if value < self.threshold:
            return self.low_small, self.threshold - 1
        return self.threshold, INF

    def _residual(self, exclude: Key) -> dict[int, dict[int, float]]:
        cap: dict[int, dict[int, float]] = {n: {} for n in range(self.model.n_nodes)}
        for key in self.hidden:  # shown cells are fixed: no residual capacity either way
            if key == exclude:
                continue
            u, v = self.model.arcs[key]
            lo, hi = self.bounds(key)
            f = self.model.values[key]
            if hi > f:
                cap[u][v] = cap[u].get(v, 0) + (hi - f)
            if f > lo:
                cap[v][u] = cap[v].get(u, 0) + (f - lo)
        return cap

    def _moves(self, key: Key, limit: float) -> tuple[float, float]:
        """How far the cell can rise and fall (each capped at `limit`) with all else consistent."""
        lo, hi = self.bounds(key)
        f = self.model.values[key]
        if key not in self.hidden:
            return 0, 0
        if not self.model.with_totals:
            return min(hi - f, limit), min(f - lo, limit)
        u, v = self.model.arcs[key]
        cap = self._residual(key)
        # Raising the cell (arc u -> v) means sending the same amount back from v to u elsewhere.
        up = min(hi - f, _max_flow(cap, v, u, limit))
        down = 0.0 if up >= limit else min(f - lo, _max_flow(self._residual(key), u, v, limit - up))
        return up, down

    def range(self, key: Key) -> Range:
        up, down = self._moves(key, INF)
        f = self.model.values[key]
        return Range(int(f - down), None if up == INF else int(f + up))

    def protected(self, key: Key, min_width: int = 1) -> bool:
        """True when the cell's range spans at least `min_width` (1: it is not determined)."""
        up, down = self._moves(key, min_width)
        return up + down >= min_width

    def ranges(self) -> dict[Key, Range]:
        return {key: self.range(key) for key in self.model.canonical if key in self.hidden}


def _max_flow(cap: dict[int, dict[int, float]], source: int, sink: int, limit: float) -> float:
    """Edmonds-Karp on `cap` (modified in place), stopping once `limit` is reached."""
    flow: float = 0
    while flow < limit:
        parent = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            u = queue.popleft()
            for v, c in cap[u].items():
                if c > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            break
        path = []
        v = sink
        while v != source:
            path.append((parent[v], v))
            v = parent[v]
        push = min(limit - flow, *(cap[u][v] for u, v in path))
        if push == INF:
            return INF
        for u, v in path:
            cap[u][v] -= push
            cap[v][u] = cap[v].get(u, 0) + push
        flow += push
    return flow


def audit_table(counts: Counts, hidden: Iterable[Key], *, with_totals: bool = True,
                hide_zero: bool = False, threshold: int = THRESHOLD,
                total_label: str = TOTAL) -> dict[Key, Range]:
    """The range of every hidden cell of a table released with `hidden` cells (margins included).

    For output checks: a researcher's own table and suppression pattern can be audited before it
    leaves. A range of width 0 means the cell can be recomputed from what is shown.
    """
    model = TableModel(counts, with_totals=with_totals, total_label=total_label)
    return Audit(model, hidden, hide_zero=hide_zero, threshold=threshold).ranges()
