"""The files of a workspace's outputs/ folder that a member may ask to release.

The list comes from the workspace's own walk of the members' files (`workspaces.files.listing`,
which follows no link). A file is offered when its kind may leave (`hygie.airlock.KINDS`, by its
extension; the checks read the content too), it is within the size limit, and its path is plain
text of reasonable length (it becomes a download's name). The others are listed with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from hygie.airlock import KINDS, Limits
from hygie.web.validators import forbidden_in_line
from hygie.web.workspaces.files import listing
from hygie.workspace.layout import Layout

PREFIX = "outputs/"
MAX_NAME = 300


@dataclass(frozen=True)
class Output:
    name: str  # under outputs/
    size: int
    why_not: str = ""  # "", "kind", "size" or "name"

    @property
    def offered(self) -> bool:
        return not self.why_not

    @property
    def kind(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return base.rpartition(".")[2].lower() if "." in base else ""


def outputs(layout: Layout, limits: Limits) -> tuple[list[Output], bool]:
    """The files under outputs/, and whether the walk was cut."""
    entries, cut = listing(layout)
    found = []
    for entry in entries:
        if not entry.path.startswith(PREFIX):
            continue
        name = entry.path[len(PREFIX):]
        output = Output(name, entry.size)
        why = ("name" if len(name) > MAX_NAME or forbidden_in_line(name) is not None
               else "kind" if output.kind not in KINDS
               else "size" if entry.size > limits.max_bytes else "")
        found.append(Output(name, entry.size, why))
    return found, cut
