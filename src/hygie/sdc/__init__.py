"""Statistical disclosure control: the SNDS secrecy rule for counts, tables and feasibility counts.

- `suppress(count)`: one figure; 1 to 10 become `<11`.
- `protect_table(counts)`: a 1- or 2-way table with totals, with primary and complementary
  suppression so that no hidden cell can be recomputed; `audit_table` checks any suppression.
- `CellKey(secret)`: feasibility counts perturbed by the cell-key method and rounded, so that the
  same people always give the same answer and differences of overlapping queries reveal no group.

See docs/statistical-secrecy.md.
"""

from hygie.sdc.audit import TOTAL, Range, audit_table
from hygie.sdc.cellkey import (
    DEFAULT_PTABLE,
    KEY_MODULUS,
    CellKey,
    PerturbationTable,
    cell_key_of,
)
from hygie.sdc.released import THRESHOLD, Reason, Released, SdcError, suppress
from hygie.sdc.tables import ProtectedTable, protect_table

__all__ = [
    "DEFAULT_PTABLE",
    "KEY_MODULUS",
    "THRESHOLD",
    "TOTAL",
    "CellKey",
    "PerturbationTable",
    "ProtectedTable",
    "Range",
    "Reason",
    "Released",
    "SdcError",
    "audit_table",
    "cell_key_of",
    "protect_table",
    "suppress",
]
