"""The members' files as the pages list them, and scripts added to them (no Django here).

Jobs write in these folders, so nothing here trusts what it finds: the walk follows no link
(a link a job made may point anywhere), sizes come from `lstat`, and a script is written under a
checked name, next to its final place then renamed over it (a link of that name is replaced,
never followed). No function here reads a file's content: no page serves one.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from hygie.workspace.layout import Layout

LISTED = 1000  # entries listed at most


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the members' files, with '/'
    size: int
    modified: float  # seconds since the epoch

    @property
    def output(self) -> bool:
        return self.path.startswith("outputs/")

    @property
    def script(self) -> bool:
        return self.path.endswith(".py")


def listing(layout: Layout, limit: int = LISTED) -> tuple[list[Entry], bool]:
    """The regular files under the members' files, sorted, and whether the list was cut."""
    root = layout.files
    found: list[Entry] = []
    if not root.is_dir() or root.is_symlink():
        return found, False
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(names):
            full = Path(folder) / name
            try:
                info = full.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            if len(found) >= limit:
                return sorted(found, key=lambda e: e.path), True
            found.append(Entry(full.relative_to(root).as_posix(), info.st_size, info.st_mtime))
    return sorted(found, key=lambda e: e.path), False


def scripts(layout: Layout) -> list[str]:
    """The Python scripts a member may run (outputs are results, not scripts)."""
    entries, _cut = listing(layout)
    return [e.path for e in entries if e.script and not e.output]


def save_script(layout: Layout, name: str, data: bytes) -> Path:
    """Write `data` as files/NAME (a checked name without a folder), replacing any file or link
    of that name atomically; the path written."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"{name!r}: not a plain file name")
    folder = layout.files
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    tmp = folder / f".upload-{secrets.token_hex(8)}.tmp"
    with tmp.open("xb") as out:  # "x": never through a file or link already there
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    try:
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return target
