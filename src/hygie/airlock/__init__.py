"""The airlock's automatic checks: what must not leave a workspace, found before two output
checkers review a release request.

    from hygie.airlock import check_file
    report = check_file(path, name="counts_by_sex.csv", earlier=[...], declared=Declared(...))
    report.blocking, report.findings, report.to_dict()

A `Report` lists `Finding`s, each with a stable `code` (CODES), whether it blocks the release, an
English message and where it is in the file. Tables (CSV, TSV, JSON) are checked for small counts,
dominance (with the sidecar from `hygie.airlock.tables.magnitude_table`), cells recomputable from
totals, differences with earlier releases, pseudonyms, identifiers and exact dates; text, SVG, HTML,
PNG and PDF for what identifies people and for active or external content. See docs/airlock.md.
No Django here.
"""

from hygie.airlock.check import check_file
from hygie.airlock.findings import CODES, Finding, Report
from hygie.airlock.limits import KINDS, Declared, Limits
from hygie.airlock.tables import Contributions, Sidecar, SidecarError, magnitude_table

__all__ = [
    "CODES",
    "KINDS",
    "Contributions",
    "Declared",
    "Finding",
    "Limits",
    "Report",
    "Sidecar",
    "SidecarError",
    "check_file",
    "magnitude_table",
]
