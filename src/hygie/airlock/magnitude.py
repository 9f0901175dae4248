"""Dominance and p-ratio rules on a magnitude table, from its sidecar of contributions.

The rules are those of ACRO (AI-SDC, acro/acro_tables.py), with our threshold:
- threshold: a cell needs at least `threshold` contributors (ACRO's agg_threshold);
- n-k dominance: the `nk_n` largest contributions may not exceed `nk_k` of the cell's total
  (agg_nk: top-n sum / total > k is a failure; a total of 0 or less passes this rule);
- p-ratio: total - top1 - top2 must be at least `p_ratio` x top1, or the second largest
  contributor could estimate the largest too closely (agg_p_percent: (total - top1 - top2) / top1
  < p is a failure; a total of 0 or less, or a single contributor, fails, as with ACRO's default
  zeros_are_disclosive);
- negative contributions: ACRO does not apply its rules and asks for a review; so do we.
A hidden cell (a mark such as `<11` or `secret`) is not checked: it is not released.
"""

from __future__ import annotations

import math

from hygie.airlock.columns import Column, is_margin_label
from hygie.airlock.findings import Findings
from hygie.airlock.limits import Limits
from hygie.airlock.parse import Table
from hygie.airlock.tables import Contributions, Sidecar
from hygie.airlock.values import BLANK, MARK, NUMBER, label


def rule_failures(cell: Contributions, limits: Limits) -> list[tuple[str, str]]:
    """(code, message) for each rule the cell fails."""
    if cell.negative:
        return [("manual_review", "negative contributions: the dominance rules do not apply, "
                                  "a checker must judge this cell")]
    failures = []
    if cell.n < limits.threshold:
        failures.append(("small_count", f"{cell.n} contributors (at least {limits.threshold} "
                                        "are needed)"))
    top = cell.top1 + (cell.top2 if limits.nk_n == 2 else 0)
    if cell.sum > 0 and top > limits.nk_k * cell.sum:
        failures.append(("dominance", f"the {limits.nk_n} largest contributions make "
                                      f"{top / cell.sum:.0%} of the total (more than "
                                      f"{limits.nk_k:.0%})"))
    rest = cell.sum - cell.top1 - cell.top2
    if cell.sum <= 0 or cell.n <= 1:
        failures.append(("p_ratio", "a total of zero or one contributor discloses each value"))
    elif rest < limits.p_ratio * cell.top1:
        failures.append(("p_ratio", f"without the two largest contributions, "
                                    f"{rest / cell.top1 if cell.top1 else 0:.1%} of the largest "
                                    f"is left (less than {limits.p_ratio:.0%})"))
    return failures


def check_magnitudes(table: Table, columns: list[Column], sidecar: Sidecar, limits: Limits,
                     findings: Findings) -> None:
    names = {c.name: c.index for c in columns}
    missing = [n for n in (*sidecar.by, sidecar.value) if n not in names]
    if missing:
        findings.add("sidecar_mismatch", True, "the sidecar names columns the table does not "
                     f"have: {', '.join(missing)}")
        return
    cells = sidecar.cell_map()
    at = [names[b] for b in sidecar.by]
    value = names[sidecar.value]
    for r in range(table.rows):
        shown = table.cells[value][r]
        if shown.kind in (BLANK, MARK):
            continue
        labels = tuple(label(table.cells[k][r].text) for k in at)
        where = f"{table.where(r)}, column {sidecar.value}"
        group = f"column {sidecar.value}"
        described = f"cell ({', '.join(labels)})"
        cell = cells.get(labels)
        if cell is None or shown.kind != NUMBER or not _same(float(shown.number or 0),
                                                              shown.text, cell.sum):
            if cell is None and any(is_margin_label(x) for x in labels):
                findings.add("manual_review", False, f"{described}: a margin the sidecar does "
                             "not describe; check its contributions", where, group=group)
                continue
            why = "is not in the sidecar" if cell is None else (
                f"shows {shown.text.strip()[:40]} where the sidecar's sum is {cell.sum:g}")
            findings.add("sidecar_mismatch", True, f"{described} {why}", where, group=group)
            continue
        for code, message in rule_failures(cell, limits):
            findings.add(code, code != "manual_review", f"{described}: {message}", where,
                         group=group)


def _same(shown: float, text: str, total: float) -> bool:
    """Whether a shown value is the sidecar's sum, up to the rounding of what is shown."""
    digits = text.strip().replace(",", ".")
    decimals = len(digits.split(".", 1)[1]) if "." in digits and "e" not in digits.lower() else 0
    tolerance = 0.5 * 10.0 ** -decimals if decimals or not float(total).is_integer() else 0.0
    return math.isclose(shown, total, rel_tol=1e-9, abs_tol=tolerance + 1e-9)
