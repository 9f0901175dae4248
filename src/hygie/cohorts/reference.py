"""The reference tables of the targeting language, made from the registry of criteria
(`hygie.cohorts.model.CRITERIA`), so that docs/cohorts.md cannot drift from the code:
`python tools/cohort_docs.py` rewrites them there, and a test checks they are up to date."""

from __future__ import annotations

from hygie.cohorts.model import CRITERIA, EVENT_KINDS, OTHER_KINDS, EventCriterion

MARKERS = {"events": ("<!-- criteria:events:start -->", "<!-- criteria:events:end -->"),
           "others": ("<!-- criteria:others:start -->", "<!-- criteria:others:end -->")}


def event_table() -> str:
    rows = ["| criterion | code list | sources (`in:`, default all) |", "|---|---|---|"]
    for kind in EVENT_KINDS:
        cls = CRITERIA[kind]
        assert issubclass(cls, EventCriterion)
        rows.append(f"| `{kind}: L` | {' or '.join(cls.systems)} | {cls.doc} |")
    return "\n".join(rows)


def other_table() -> str:
    rows = ["| criterion | meaning |", "|---|---|"]
    for kind in OTHER_KINDS:
        rows += [f"| {syntax} | {meaning} |" for syntax, meaning in
                 getattr(CRITERIA[kind], "doc")]  # noqa: B009 - a ClassVar of each class
    return "\n".join(rows)


def tables() -> dict[str, str]:
    return {"events": event_table(), "others": other_table()}


def rewrite(text: str) -> str:
    """`text` (docs/cohorts.md) with the tables between their markers made anew."""
    for name, table in tables().items():
        start, end = MARKERS[name]
        head, rest = text.split(start, 1)
        text = f"{head}{start}\n{table}\n{end}{rest.split(end, 1)[1]}"
    return text
