"""From an authorisation to data in the workspace: the authorised scope, extracted.

What an authorisation allows is frozen in its decision (`Authorised`): the cohort's definition and
the definitions it names, the tables and columns, the period, the day of the decision. Provisioning
writes that scope beside the extract (anyone can re-run it with `hygie extract`), extracts through
`hygie.extract` (pseudonyms of this project, objectors left out) and only then makes the extract
current. A job killed on the way leaves no visible extract: the next run writes it again, or adopts
the one it had finished before it could say so.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hygie.engine.lake import Dataset, LakeError
from hygie.extract.run import extract
from hygie.extract.scope import Period, Scope
from hygie.pseudo.keys import Secret
from hygie.pseudo.oppositions import OppositionRegister
from hygie.workspace.layout import Layout

KEEP_PREVIOUS = 1  # extracts kept behind the current one (a job started on it may still read it)


@dataclass(frozen=True)
class Authorised:
    project: str  # the project's id: its pseudonyms are derived from it, the same on every refresh
    cohort: str  # the cohort's definition (targeting language, YAML or JSON text)
    tables: Mapping[str, Sequence[str]]
    start: dt.date
    end: dt.date
    authorised_on: dt.date
    library: Mapping[str, str] = field(default_factory=dict)  # what `in_cohort` names, by name

    def scope(self, folder: Path) -> Scope:
        return Scope(project=self.project, cohort=_cohort_file(self.cohort),
                     tables={t: list(c) for t, c in self.tables.items()},
                     period=Period(start=self.start, end=self.end), base=folder)


def _cohort_file(definition: str) -> str:
    # Named after the cohort, so that the definitions it names sit beside it under their own.
    data = yaml.safe_load(definition)
    name = data.get("name") if isinstance(data, dict) else None
    return f"{name or 'cohort'}.yaml"


def write_scope(authorised: Authorised, folder: Path) -> Scope:
    """The scope's files in `folder`: the cohort, the definitions it names, scope.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, definition in authorised.library.items():
        (folder / f"{name}.yaml").write_text(definition, encoding="utf-8")
    scope = authorised.scope(folder)
    (folder / scope.cohort).write_text(authorised.cohort, encoding="utf-8")
    (folder / "scope.yaml").write_text(yaml.safe_dump(
        scope.model_dump(mode="json"), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return scope


def provision(layout: Layout, number: int, authorised: Authorised, dataset: Dataset, *,
              secret: Secret, register: OppositionRegister, engine: str = "duckdb",
              provenance: Mapping[str, Any] | None = None,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Extract `authorised` from `dataset` as the workspace's extract `number` and make it
    current; returns the extract's provenance (its manifest's)."""
    layout.create()
    scope = write_scope(authorised, layout.scope(number)).model_copy(update={"engine": engine})
    target = layout.extract(number)
    done = _finished(target, scope)
    if done is None:
        ds, _ = extract(scope, dataset, target, secret=secret, register=register, force=True,
                        progress=progress, authorised_on=authorised.authorised_on,
                        provenance=provenance)
        done = ds.manifest
    layout.set_current(number)
    for older in range(1, number - KEEP_PREVIOUS):
        old = layout.extract(older)
        if old.exists():
            shutil.rmtree(old)
    return dict(done.get("provenance", {}), scope_sha256=scope.digest(),
                manifest=str(target / "manifest.json"))


def _finished(target: Path, scope: Scope) -> dict[str, Any] | None:
    """The manifest of a complete extract of this very scope at `target` (a run killed after
    its extract was written, before it was made current), else None."""
    if not (target / "manifest.json").is_file():
        return None
    try:
        manifest = Dataset.open(target, verify=True).manifest
    except (LakeError, OSError, ValueError):
        return None
    source = manifest.get("source") or {}
    return manifest if source.get("scope_sha256") == scope.digest() else None
