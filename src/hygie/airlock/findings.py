"""What the automatic checks found in a file: `Finding`s gathered into a `Report`.

A finding's `code` is a stable slug (the web part translates by code, and stores reports as JSON);
its `message` is English for logs and tests; `where` points into the file ("line 3, column n",
"cell (F, 2021)", "page 2"). Blocking findings stop a release; the others ask the human output
checkers to look.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Every code the checks emit, with what it means. The web part lists its translations from this.
CODES: Mapping[str, str] = {
    "not_allowed_type": "the file's extension is not one of the kinds that may leave",
    "type_mismatch": "the content is not what the extension says, or cannot be read",
    "malformed": "a table whose rows do not fit its header",
    "too_big": "the file, or an image's size in pixels, is over the limit",
    "too_many_rows": "a table with more rows than the limit",
    "small_count": "a count, or a cell's number of contributors, from 1 to 10",
    "possible_small_count": "a column of whole numbers with values from 1 to 10 that may be counts",
    "dominance": "one or two contributors make most of a cell's total (n-k rule)",
    "p_ratio": "the largest contributor's value can be estimated too closely (p-ratio rule)",
    "sidecar_mismatch": "the declared cell contributions do not describe the table",
    "extreme_value": "a minimum or maximum, which is one person's value",
    "recomputable_from_totals": "a hidden cell can be recomputed from the table's totals",
    "differencing": "a cell differs from an earlier release by 1 to 10",
    "pseudonym_column": "a column named as a pseudonym or row key of the extract",
    "pseudonym": "a value shaped like a pseudonym (a long hexadecimal token)",
    "identifier": "an SNDS identifier, a NIR, or a column of unique identifier-like values",
    "exact_date": "a full date (day, month and year)",
    "script": "active content: scripts, event handlers, javascript: links, embedded documents",
    "external": "a reference to a resource outside the file",
    "embedded_file": "a file embedded in a PDF",
    "encrypted": "an encrypted file, which cannot be inspected",
    "manual_review": "something only a person can judge (pictures, documents, magnitude tables)",
}

MAX_PER_GROUP = 20  # findings of one code in one column (or one text) before a summary


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    blocking: bool
    message: str
    where: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "blocking": self.blocking, "message": self.message,
                "where": self.where}


@dataclass(frozen=True)
class Report:
    """What the checks found in one file. `kind` is what the content is (one of KINDS, or
    "unknown"); `rows` the number of data rows of a table, None for other kinds."""

    kind: str
    bytes: int
    rows: int | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> bool:
        return any(f.blocking for f in self.findings)

    def codes(self, *, blocking: bool | None = None) -> set[str]:
        """The codes found (only blocking or only non-blocking ones when asked)."""
        return {f.code for f in self.findings if blocking is None or f.blocking == blocking}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "bytes": self.bytes, "rows": self.rows,
                "blocking": self.blocking, "findings": [f.to_dict() for f in self.findings]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        return cls(kind=str(data["kind"]), bytes=int(data["bytes"]),
                   rows=None if data.get("rows") is None else int(data["rows"]),
                   findings=tuple(Finding(str(f["code"]), bool(f["blocking"]), str(f["message"]),
                                          str(f.get("where", ""))) for f in data["findings"]))


class Findings:
    """Findings as the checks add them, at most MAX_PER_GROUP per (code, group), then one line
    saying how many more: a 10,000-row table of small counts gives a readable report."""

    def __init__(self) -> None:
        self._items: list[Finding] = []
        self._extra: dict[tuple[str, str], tuple[int, bool, str]] = {}
        self._seen: dict[tuple[str, str], int] = {}

    def add(self, code: str, blocking: bool, message: str, where: str = "", *,
            group: str | None = None) -> None:
        assert code in CODES, code
        key = (code, where if group is None else group)
        seen = self._seen.get(key, 0)
        self._seen[key] = seen + 1
        if seen < MAX_PER_GROUP:
            self._items.append(Finding(code, blocking, message, where))
        else:
            count, was_blocking, _ = self._extra.get(key, (0, False, ""))
            self._extra[key] = (count + 1, was_blocking or blocking, key[1])

    def extend(self, findings: Iterable[Finding]) -> None:
        for f in findings:
            self.add(f.code, f.blocking, f.message, f.where)

    def codes(self) -> set[str]:
        return {code for code, _ in self._seen}

    def all(self) -> tuple[Finding, ...]:
        more = [Finding(code, blocking, f"{count} more of the same", group)
                for (code, _), (count, blocking, group) in self._extra.items()]
        return (*self._items, *more)
