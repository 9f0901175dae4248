"""Rewrite the criteria tables of docs/cohorts.md from the registry of criteria.

Usage: python tools/cohort_docs.py
"""

from __future__ import annotations

from pathlib import Path

from hygie.cohorts.reference import rewrite

DOC = Path(__file__).resolve().parent.parent / "docs" / "cohorts.md"

if __name__ == "__main__":
    DOC.write_text(rewrite(DOC.read_text(encoding="utf-8")), encoding="utf-8")
