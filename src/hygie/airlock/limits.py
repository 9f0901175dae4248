"""What may leave, and what the requester declares of a table.

The rules' parameters follow ACRO's defaults (AI-SDC, acro/default.yaml: safe_nk_n 2, safe_nk_k
0.90, safe_pratio_p 0.10), except the threshold: the SNDS rule releases no figure on 1 to 10
individuals, so it is hygie.sdc's THRESHOLD (11) where ACRO has 10.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hygie.airlock.tables import Sidecar
from hygie.sdc.released import THRESHOLD

# The kinds of file that may leave a workspace, by extension (read from the content too).
KINDS = ("csv", "tsv", "png", "svg", "json", "txt", "pdf", "html")
TABLE_KINDS = ("csv", "tsv", "json")


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * 1024 * 1024
    max_rows: int = 10_000  # rows of a table
    threshold: int = THRESHOLD  # smallest count, or number of contributors, that may be shown
    nk_n: int = 2  # dominance: the n largest contributions ...
    nk_k: float = 0.9  # ... may not exceed k of the cell's total
    p_ratio: float = 0.1  # what is left without the two largest must be at least p x the largest
    max_pixels: int = 40_000_000  # width x height of a picture
    max_side: int = 20_000  # pixels, either way

    def __post_init__(self) -> None:
        if self.threshold < 2:
            raise ValueError("the threshold must be at least 2")
        if self.nk_n not in (1, 2):
            raise ValueError("sidecars keep the two largest contributions: nk_n is 1 or 2")
        if not 0 < self.nk_k < 1 or not 0 < self.p_ratio < 1:
            raise ValueError("nk_k and p_ratio are fractions between 0 and 1")
        if min(self.max_bytes, self.max_rows, self.max_pixels, self.max_side) < 1:
            raise ValueError("limits must be positive")


@dataclass(frozen=True)
class Declared:
    """What the requester says of a table file: its count columns, its key (label) columns, and
    for a magnitude table the sidecar made with it (hygie.airlock.tables.magnitude_table).

    Declared counts add to those found by name. A declared key column with unique,
    identifier-like values is left to the checkers rather than blocked.
    """

    counts: Sequence[str] = ()
    keys: Sequence[str] = ()
    sidecar: Sidecar | None = None

    def __post_init__(self) -> None:
        for name in ("counts", "keys"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"{name} is a sequence of column names, not one string")
            object.__setattr__(self, name, tuple(value))
