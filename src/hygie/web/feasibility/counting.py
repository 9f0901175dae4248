"""Feasibility counts of a cohort on a lake dataset, as they may be shown: released marks only.

No Django here: the background task (`feasibility.tasks`) passes the lake folder, the secret and
the opposition register. What comes out is `[[label, mark], ...]` where a mark is the text of a
`hygie.sdc.Released` ("1235", "<11"): raw counts never leave this module.

`count_limited` runs the count in a child process with a memory cap and a time limit, so that one
applicant's definition cannot stall or exhaust the worker that serves everyone else.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import signal
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import duckdb

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


logger = logging.getLogger(__name__)


def count(cohort: Cohort, lake_path: str, secret: Secret, register: OppositionRegister,
          library: Mapping[str, Cohort] | None = None, *,
          memory_limit: str | None = None) -> list[list[str]]:
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
        with open_snds(dataset, needed=cohort.compile(library).tables,
                       memory_limit=memory_limit) as engine:
            return released_marks(cohort.feasibility(engine, secret, register, library))
    except MissingTables as exc:
        raise CountError("missing_tables", ", ".join(exc.tables)) from None
    except DefinitionError as exc:  # an in_cohort reference that cannot be resolved
        raise CountError("definition", "; ".join(
            f"{place}: {message}" for place, message in exc.problems)) from None


@dataclass(frozen=True)
class JobLimits:
    """What one count may use: wall-clock seconds (process start included) and resident memory."""

    seconds: float = 300
    memory_mb: int = 2048


def count_limited(cohort: Cohort, lake_path: str, secret: Secret, register: OppositionRegister,
                  library: Mapping[str, Cohort] | None = None,
                  limits: JobLimits = JobLimits()) -> list[list[str]]:
    """`count` in a child process, killed past `limits.seconds` or when its resident memory
    passes `limits.memory_mb` (DuckDB is told half of it, and spills to disk past that).

    A fresh interpreter (spawn, not fork): the worker's database connections and threads stay
    out of the child, which reads only the lake and the register. Resident memory, not address
    space: DuckDB reserves gigabytes of addresses it never touches.
    """
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_count_in_child, daemon=True, args=(
        send, cohort, lake_path, secret, str(register.path), dict(library or {}), limits))
    child.start()
    send.close()  # the child holds the only writing end: EOF when it ends
    deadline = time.monotonic() + limits.seconds
    try:
        while not receive.poll(min(0.1, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise CountError("timeout", f"{limits.seconds:g}")
            if _resident_mb(child.pid) > limits.memory_mb:
                raise CountError("too_big", f"{limits.memory_mb}")
        try:
            outcome = receive.recv()
        except EOFError:  # ended without a word: killed from outside, or crashed in native code
            raise CountError("failed") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join(10)
        receive.close()
    if outcome[0] == "marks":
        return list(outcome[1])
    raise CountError(outcome[1], outcome[2])


def _resident_mb(pid: int | None) -> float:
    """The resident memory of a process, in MB (Linux; 0 where /proc is not there)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _count_in_child(send: Connection, cohort: Cohort, lake_path: str, secret: Secret,
                    register_path: str, library: dict[str, Cohort], limits: JobLimits) -> None:
    # Its own end too, should the worker die without killing it (SIGKILL, a crash): SIGALRM's
    # default action ends the process.
    signal.alarm(math.ceil(limits.seconds) + 5)
    memory_mb = limits.memory_mb
    outcome: tuple[Any, ...]
    try:
        marks = count(cohort, lake_path, secret, OppositionRegister(Path(register_path)), library,
                      memory_limit=f"{memory_mb // 2}MB")
        outcome = ("marks", marks)
    except CountError as exc:
        outcome = ("error", exc.code, exc.detail)
    except (MemoryError, duckdb.OutOfMemoryException):
        outcome = ("error", "too_big", str(memory_mb))
    except Exception:
        logger.exception("feasibility count failed")
        outcome = ("error", "failed", "")
    send.send(outcome)
    send.close()
