"""The automatic checks' findings as the pages show them: what each code means, in the reader's
language, and where it is in the file.

The core's `message` is English detail for the checkers (which count, which cell); the code's
meaning is the translated text. `where` is the core's English place ("line 3, column n", "page 2",
"header"): its words are translated, and what comes from the file (a column's name) is shown as
it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MEANINGS: Mapping[str, Promise] = {
    "not_allowed_type": gettext_lazy("Files of this kind may not leave the workspace."),
    "type_mismatch": gettext_lazy("The content is not what the file's name says, or cannot be "
                                  "read."),
    "malformed": gettext_lazy("A table whose rows do not fit its header."),
    "too_big": gettext_lazy("The file, or a picture's size in pixels, is over the limit."),
    "too_many_rows": gettext_lazy("A table with more rows than the limit."),
    "small_count": gettext_lazy("A count, or a cell's number of contributors, from 1 to 10."),
    "possible_small_count": gettext_lazy("A column of whole numbers from 1 to 10 that may be "
                                         "counts."),
    "dominance": gettext_lazy("One or two contributors make most of a cell's total."),
    "p_ratio": gettext_lazy("The largest contribution to a cell can be estimated too closely."),
    "sidecar_mismatch": gettext_lazy("The declared contributions do not describe the table."),
    "extreme_value": gettext_lazy("A minimum or a maximum: one person's value."),
    "recomputable_from_totals": gettext_lazy("A hidden cell can be recomputed from the totals."),
    "differencing": gettext_lazy("A figure differs by 1 to 10 from one the project released "
                                 "before."),
    "pseudonym_column": gettext_lazy("A column of pseudonyms or row keys of the extract."),
    "pseudonym": gettext_lazy("A value shaped like a pseudonym."),
    "identifier": gettext_lazy("An identifier, or a column of unique identifier-like values."),
    "exact_date": gettext_lazy("A full date (day, month and year)."),
    "script": gettext_lazy("Active content: scripts, event handlers, embedded documents."),
    "external": gettext_lazy("A reference to a resource outside the file."),
    "embedded_file": gettext_lazy("A file embedded in a PDF."),
    "encrypted": gettext_lazy("An encrypted file, which cannot be inspected."),
    "manual_review": gettext_lazy("Something only a person can judge: look at it."),
}

_NUMBERED = re.compile(r"^(line|row|page|table) (\d+)$")
_COLUMN = re.compile(r"^column (.+)$", re.DOTALL)
_CELL = re.compile(r"^cell (.+)$", re.DOTALL)


def _part(part: str) -> str:
    numbered = _NUMBERED.match(part)
    if numbered:
        word, number = numbered.groups()
        label = {"line": _("line %(n)s"), "row": _("row %(n)s"), "page": _("page %(n)s"),
                 "table": _("table %(n)s")}[word]
        return label % {"n": number}
    column = _COLUMN.match(part)
    if column:
        return _("column %(name)s") % {"name": column.group(1)}
    cell = _CELL.match(part)
    if cell:
        return _("cell %(labels)s") % {"labels": cell.group(1)}
    return {"header": _("header"), "metadata": _("metadata"),
            "table's totals": _("the table's totals")}.get(part, part)


def where_label(where: str) -> str:
    """`where` with its words in the reader's language."""
    return ", ".join(_part(p) for p in where.split(", ")) if where else ""


@dataclass(frozen=True)
class Shown:
    code: str
    meaning: str
    blocking: bool
    where: str
    detail: str  # the core's English message


def shown(report: Mapping[str, Any]) -> list[Shown]:
    """A stored report's findings, the blocking ones first."""
    found = []
    for f in report.get("findings", []):
        code = str(f.get("code", ""))
        meaning = MEANINGS.get(code)
        found.append(Shown(code, str(meaning) if meaning is not None else code,
                           bool(f.get("blocking")), where_label(str(f.get("where", ""))),
                           str(f.get("message", ""))))
    return sorted(found, key=lambda s: not s.blocking)
