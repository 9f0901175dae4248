"""Where a workspace keeps things. One folder per workspace:

```
<root>/
  data/extract-0001/     a lake dataset (written atomically by hygie.extract), never changed
  data/CURRENT           the name of the extract members read (replaced atomically)
  scopes/extract-0001/   what was extracted: scope.yaml, the cohort and the cohorts it names
  files/                 the members' scripts, notebooks and outputs (files/outputs/)
  jobs/<id>/             one folder per job run: its log and its outcome
```

An extract becomes CURRENT only once complete, so a member never sees a half-written one; a
refresh writes the next number beside it and swaps the pointer.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

_EXTRACT = re.compile(r"^extract-(\d{4,})$")


class WorkspaceError(Exception):
    """The workspace cannot do this; the message says why."""


@dataclass(frozen=True)
class Layout:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def files(self) -> Path:
        return self.root / "files"

    @property
    def outputs(self) -> Path:
        return self.files / "outputs"

    @property
    def jobs(self) -> Path:
        return self.root / "jobs"

    def extract(self, number: int) -> Path:
        return self.data / f"extract-{number:04d}"

    def scope(self, number: int) -> Path:
        return self.root / "scopes" / f"extract-{number:04d}"

    def create(self) -> None:
        for folder in (self.data, self.outputs, self.jobs):
            folder.mkdir(parents=True, exist_ok=True)

    def current(self) -> Path | None:
        """The extract members read, or None before the first one is complete."""
        pointer = self.data / "CURRENT"
        try:
            name = pointer.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        if not _EXTRACT.match(name) or not (self.data / name / "manifest.json").is_file():
            return None
        return self.data / name

    def set_current(self, number: int) -> None:
        target = self.extract(number)
        if not (target / "manifest.json").is_file():
            raise WorkspaceError(f"{target.name} is not a complete extract")
        tmp = self.data / f".CURRENT.{uuid.uuid4().hex[:8]}"
        tmp.write_text(target.name + "\n", encoding="ascii")
        os.replace(tmp, self.data / "CURRENT")

    def delete_data(self) -> int:
        """Remove the extracts and the members' files (retention ended); the bytes removed."""
        removed = 0
        for folder in (self.data, self.files, self.root / "scopes", self.jobs):
            if folder.exists():
                removed += sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
                shutil.rmtree(folder)
        return removed
