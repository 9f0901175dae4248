"""Peak memory of a process tree (a command and all the processes it starts), sampled from /proc.

The kernel keeps the peak RSS of each process (`getrusage`, GNU time's %M), but not of a tree of
processes running at once, such as a parent with a pool of workers: that is what matters for the
machine's memory, so it is sampled here. RSS counts a page shared by several processes (forked
workers share the parent's pages) once per process, so the sum over the tree overstates the use;
PSS divides each shared page among its users, so the sum of PSS is the tree's true footprint.
Sampling misses peaks shorter than the interval.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from pathlib import Path


def tree_memory(root: int) -> tuple[int, int, int]:
    """(sum of RSS, sum of PSS, process count) in bytes over `root` and all its descendants."""
    children = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended
        children[int(fields[1])].append(int(stat.parent.name))
    pids, rss, pss, todo = [], 0, 0, [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    for pid in pids:
        try:  # kB; PSS shares each page among the processes that map it
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        mem = dict(ln.split(":", 1) for ln in text.splitlines() if ln[:1].isupper())
        rss += 1024 * int(mem.get("Rss", "0").split()[0])  # empty for a zombie
        pss += 1024 * int(mem.get("Pss", "0").split()[0])
    return rss, pss, len(pids)


class TreeSampler(threading.Thread):
    """Poll the memory of a process tree every `interval` s and keep the peaks."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval, self.done = pid, interval, threading.Event()
        self.rss = self.pss = self.procs = 0

    def run(self) -> None:
        while not self.done.wait(self.interval):
            rss, pss, procs = tree_memory(self.pid)
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
            self.procs = max(self.procs, procs)
