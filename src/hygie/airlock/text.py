"""Free text scanned for identifiers: pseudonyms, NIRs and exact dates, all blocking."""

from __future__ import annotations

import bisect
import re

from hygie.airlock.findings import Findings
from hygie.airlock.identifiers import scan

LINE_BREAK = re.compile(r"\r\n?|\n")


def scan_text(text: str, findings: Findings, *, place: str = "", dates: bool = True,
              lines: bool = True) -> None:
    """Report what `scan` finds in `text`, each at its line ("page 2, line 5" with `place`
    "page 2"). Without `lines`, only `place` is given (text nodes of a picture)."""
    starts = [0, *(m.end() for m in LINE_BREAK.finditer(text))] if lines else []
    for hit in scan(text, dates=dates):
        parts = [place] if place else []
        if lines:
            parts.append(f"line {bisect.bisect_right(starts, hit.start)}")
        findings.add(hit.code, True, hit.what, ", ".join(parts), group=f"{place}:{hit.code}")
