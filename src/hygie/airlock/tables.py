"""Magnitude tables and their sidecar of cell contributions, made where the data are.

Dominance and p-ratio rules need each cell's largest contributions, which a released table of sums
no longer shows. So, as the AI-SDC project's ACRO does when a table is made (acro_tables.py records
each cell's contributors), the workspace client builds the table with `magnitude_table`, which
returns the table and a `Sidecar`: per cell, the number of contributors `n`, the `sum`, and the two
largest contributions `top1` >= `top2`. The requester releases the table and declares the sidecar;
`check_file` applies the rules to it (hygie.airlock.magnitude).

    table, sidecar = magnitude_table(rows, by=["sex", "year"], value="cost", unit="PSEUDO_ID")
    sidecar.write(Path("cost_by_sex_year.sidecar.json"))

With `unit`, contributions are summed per unit (a person) before they are ranked and counted, so
that one person's many stays count as one contributor. Rows whose value is None are left out, as
ACRO counts non-missing values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any

from hygie.airlock.values import label
from hygie.nesting import excess

MAX_SIDECAR_BYTES = 20 * 1024 * 1024


class SidecarError(ValueError):
    """A sidecar that cannot be read or is inconsistent; the message says why."""


@dataclass(frozen=True, slots=True)
class Contributions:
    """One cell: its labels (one per `by` column), the number of contributors, their sum, the two
    largest contributions (0 when there are fewer), and whether any contribution is negative."""

    key: tuple[str, ...]
    n: int
    sum: float
    top1: float
    top2: float
    negative: bool = False

    def problems(self) -> list[str]:
        """What makes this cell impossible (a forged or damaged sidecar)."""
        found = []
        if self.n < 1:
            found.append("a cell needs at least one contributor")
        if not all(math.isfinite(x) for x in (self.sum, self.top1, self.top2)):
            found.append("values must be finite")
        elif not self.negative:
            if self.top2 > self.top1 or self.top2 < 0:
                found.append("top2 must lie between 0 and top1")
            if self.n == 1 and self.top2 != 0:
                found.append("a single contributor has no second")
            if self.top1 + self.top2 > self.sum * (1 + 1e-9) + 1e-9:
                found.append("top1 + top2 exceed the sum")
            if self.sum > self.n * self.top1 * (1 + 1e-9) + 1e-9:
                found.append("the sum exceeds n times the largest contribution")
        return found


@dataclass(frozen=True)
class Sidecar:
    by: tuple[str, ...]
    value: str
    cells: tuple[Contributions, ...]

    def cell_map(self) -> dict[tuple[str, ...], Contributions]:
        return {cell.key: cell for cell in self.cells}

    def to_dict(self) -> dict[str, Any]:
        return {"by": list(self.by), "value": self.value,
                "cells": [{"key": list(c.key), "n": c.n, "sum": c.sum, "top1": c.top1,
                           "top2": c.top2, "negative": c.negative} for c in self.cells]}

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), "utf-8")

    @classmethod
    def from_dict(cls, data: object) -> Sidecar:
        try:
            if not isinstance(data, Mapping):
                raise TypeError("a sidecar is a JSON object")
            by = tuple(_text(b) for b in data["by"])
            cells = []
            for raw in data["cells"]:
                key = tuple(label(k) for k in raw["key"])
                if len(key) != len(by):
                    raise ValueError(f"cell {list(key)} has {len(key)} labels for {len(by)} "
                                     "columns")
                cell = Contributions(key, _count(raw["n"]), _real(raw["sum"]),
                                     _real(raw["top1"]), _real(raw["top2"]),
                                     bool(raw.get("negative", False)))
                if cell.problems():
                    raise ValueError(f"cell {list(key)}: " + "; ".join(cell.problems()))
                cells.append(cell)
            sidecar = cls(by, _text(data["value"]), tuple(cells))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise SidecarError(f"not a valid sidecar: {exc}") from None
        if len(sidecar.cell_map()) != len(cells):
            raise SidecarError("not a valid sidecar: a cell is listed twice")
        return sidecar

    @classmethod
    def read(cls, path: Path) -> Sidecar:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SIDECAR_BYTES + 1)
        if len(raw) > MAX_SIDECAR_BYTES:
            raise SidecarError(f"a sidecar may not exceed {MAX_SIDECAR_BYTES:,} bytes")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise SidecarError(f"not a valid sidecar: {str(exc)[:200]}") from None
        problem = excess(data, depth=8, values=5_000_000)
        if problem:
            raise SidecarError(f"not a valid sidecar: {problem}")
        return cls.from_dict(data)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, not {type(value).__name__}")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"n must be an integer, not {value!r}")
    return value


def _real(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"expected a number, not {value!r}")
    return float(value)


def magnitude_table(rows: Iterable[Mapping[str, Any]], by: Sequence[str], value: str, *,
                    unit: str | None = None) -> tuple[list[dict[str, Any]], Sidecar]:
    """Sum `value` by the `by` columns: the table (one dict per cell, in first-seen order, the
    `by` labels then the sum under `value`) and its sidecar."""
    if not by or len(set(by)) != len(by) or value in by or unit in (*by, value):
        raise ValueError("`by` must name distinct columns, other than `value` and `unit`")
    sums: dict[tuple[str, ...], dict[object, int | float]] = {}
    for i, row in enumerate(rows):
        amount = row[value]
        if amount is None:
            continue
        number: int | float | None = None
        if not isinstance(amount, bool) and isinstance(amount, Real):
            number = int(amount) if isinstance(amount, Integral) else float(amount)
        if number is None or not math.isfinite(number):
            raise ValueError(f"row {i}: {value} must be a finite number, not {amount!r}")
        key = tuple(label(row[b]) for b in by)
        contributor = row[unit] if unit is not None else i
        per_unit = sums.setdefault(key, {})
        per_unit[contributor] = per_unit.get(contributor, 0) + number
    table: list[dict[str, Any]] = []
    cells = []
    for key, per_unit in sums.items():
        ranked = sorted(per_unit.values(), reverse=True)
        exact = all(isinstance(x, int) for x in ranked)
        total = sum(ranked) if exact else math.fsum(ranked)
        cells.append(Contributions(key, len(ranked), float(total), float(ranked[0]),
                                   float(ranked[1]) if len(ranked) > 1 else 0.0,
                                   any(x < 0 for x in ranked)))
        table.append({**dict(zip(by, key, strict=True)), value: total})
    return table, Sidecar(tuple(by), value, tuple(cells))
