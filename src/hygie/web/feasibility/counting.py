"""Feasibility counts of a cohort on a lake dataset, as they may be shown: released marks only.

No Django here: the background task (`feasibility.tasks`) passes the lake folder, the secret and
the opposition register. What comes out is `[[label, mark], ...]` where a mark is the text of a
`hygie.sdc.Released` ("1235", "<11"): raw counts never leave this module.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from hygie.cohorts.model import Cohort, DefinitionError
from hygie.engine.lake import Dataset, LakeError, write_parquet
from hygie.pseudo.keys import Secret
from hygie.pseudo.oppositions import SCHEMA, OppositionRegister
from hygie.sdc.released import THRESHOLD, Released


class CountError(Exception):
    """A count cannot run; `code` says why (for a translated message), `detail` what."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def ensure_register(path: str | Path) -> OppositionRegister:
    """The opposition register at `path`, created empty (atomically) when absent, so that a
    count never runs without one by mistake."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        write_parquet(SCHEMA.empty_table(), tmp)
        if not path.exists():  # another process may have made it meanwhile: keep theirs
            os.replace(tmp, path)
        else:
            tmp.unlink()
    return OppositionRegister(path)


def released_marks(results: Sequence[tuple[str, Released]]) -> list[list[str]]:
    """`[[label, mark], ...]` from a feasibility result, refusing anything but released figures.

    `Released` already refuses counts 1 to 10; this checks again at the point where figures are
    stored, so that no other path can put a small count in the database.
    """
    out = []
    for label, released in results:
        if not isinstance(released, Released):
            raise TypeError(f"{label}: not a released figure ({type(released).__name__})")
        mark = released.mark
        if mark.isdigit() and 0 < int(mark) < THRESHOLD:
            raise ValueError(f"{label}: a count under {THRESHOLD} cannot be shown")
        out.append([str(label), mark])
    return out


def count(cohort: Cohort, lake_path: str, secret: Secret, register: OppositionRegister,
          library: Mapping[str, Cohort] | None = None) -> list[list[str]]:
    """The attrition table of `cohort` on the lake dataset at `lake_path`, released; `library`
    gives the cohorts its `in_cohort` criteria name."""
    if not lake_path:
        raise CountError("no_lake")
    try:
        dataset = Dataset.open(lake_path)
    except LakeError:
        raise CountError("lake_unreadable") from None
    from hygie.snds.views import MissingTables, open_snds

    try:
        with open_snds(dataset, needed=cohort.compile(library).tables) as engine:
            return released_marks(cohort.feasibility(engine, secret, register, library))
    except MissingTables as exc:
        raise CountError("missing_tables", ", ".join(exc.tables)) from None
    except DefinitionError as exc:  # an in_cohort reference that cannot be resolved
        raise CountError("definition", "; ".join(
            f"{place}: {message}" for place, message in exc.problems)) from None
