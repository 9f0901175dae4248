"""Members' scripts run as jobs, confined to their workspace.

A job is `python SCRIPT` in a sandbox (bubblewrap): a fresh mount namespace holding the system's
programs read-only, Python and its packages read-only, the workspace's extracts read-only at
/workspace/data and the members' files writable at /workspace/files, an empty /tmp, no network,
its own process tree, an empty environment. So a script reads its own project's data and nothing
else of the platform (not the master secret, not the database, not another workspace), and what
it writes lands in the workspace's files. Time, memory and file sizes are capped.

Without bubblewrap, jobs run only if the deployment says so (`sandbox="none"`, a laptop alone).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from hygie.workspace.layout import Layout, WorkspaceError

INSIDE = Path("/workspace")  # where the workspace appears to a confined job
LOG_LIMIT = 1 << 20  # bytes of a job's output kept


@dataclass(frozen=True)
class JobLimits:
    seconds: float = 3600
    memory_mb: int = 4096  # resident memory of the job's processes together
    file_mb: int = 2048  # largest file a job may write


@dataclass(frozen=True)
class Outcome:
    returncode: int
    seconds: float
    reason: str  # "done", "failed", "timeout", "memory"
    log: Path


def sandbox_available() -> bool:
    return shutil.which("bwrap") is not None


def _code() -> Path:
    """The folder holding the `hygie` package (site-packages, or src/ for an editable install)."""
    import hygie

    return Path(hygie.__file__).resolve().parents[1]


def _readable_roots() -> list[Path]:
    """What a job needs to run Python: the interpreter, its packages, this project's code."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), _code()}
    return sorted(p for p in roots if p.exists())


def command(layout: Layout, script: str, sandbox: str) -> tuple[list[str], Path, dict[str, str]]:
    """The command running `script` (a path inside the workspace's files), its working folder
    and its environment."""
    files = layout.files.resolve()
    target = (files / script).resolve()
    if not target.is_relative_to(files) or not target.is_file() or target.suffix != ".py":
        raise WorkspaceError(f"{script}: not a Python script of the workspace's files")
    if sandbox == "none":
        env = {"PATH": os.environ.get("PATH", ""), "HYGIE_WORKSPACE": str(layout.root),
               "HOME": str(files), "PYTHONPATH": str(_code())}
        return [sys.executable, str(target)], files, env
    if sandbox != "bwrap" or not sandbox_available():
        raise WorkspaceError("jobs need bubblewrap (bwrap) to run confined; install it, or set "
                             "HYGIE_JOB_SANDBOX=none on a machine used by one person")
    # An empty /tmp first: mounts made after it may sit inside (a checkout under /tmp).
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for system in ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc/alternatives",
                   "/etc/ld.so.cache", "/etc/localtime", "/etc/ssl"):
        if Path(system).exists():
            args += ["--ro-bind", system, system]
    for root in _readable_roots():
        args += ["--ro-bind", str(root), str(root)]
    args += ["--ro-bind", str(layout.data.resolve()), str(INSIDE / "data"),
             "--bind", str(files), str(INSIDE / "files"),
             "--chdir", str(INSIDE / "files"),
             "--setenv", "HYGIE_WORKSPACE", str(INSIDE), "--setenv", "HOME", str(INSIDE / "files"),
             "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "TMPDIR", "/tmp",
             # `import hygie` whether installed or editable (an install's path file may name a
             # folder the sandbox does not hold).
             "--setenv", "PYTHONPATH", str(_code()),
             sys.executable, str(INSIDE / "files" / target.relative_to(files))]
    return args, files, {}


def _limit(file_mb: int) -> None:  # in the child, before it becomes the job
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb << 20, file_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(layout: Layout, script: str, job: str, *, sandbox: str = "bwrap",
        limits: JobLimits = JobLimits()) -> Outcome:
    """Run `script`; its output goes to jobs/JOB/log.txt. Blocks until it ends."""
    args, cwd, env = command(layout, script, sandbox)
    folder = layout.jobs / job
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "log.txt"
    start = time.monotonic()
    reason = ""
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   preexec_fn=lambda: _limit(limits.file_mb))
        try:
            while process.poll() is None:
                if time.monotonic() - start > limits.seconds:
                    reason = "timeout"
                elif _resident_mb(process.pid) > limits.memory_mb:
                    reason = "memory"
                if reason:
                    os.killpg(process.pid, 9)
                    break
                time.sleep(0.2)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, 9)
            process.wait()
    if log.stat().st_size > LOG_LIMIT:  # keep the end: where the error is
        with log.open("rb") as fh:
            fh.seek(-LOG_LIMIT, os.SEEK_END)
            tail = fh.read()
        log.write_bytes(b"[... earlier output cut ...]\n" + tail)
    code = process.returncode
    return Outcome(code, time.monotonic() - start, reason or ("done" if code == 0 else "failed"),
                   log)


def _resident_mb(pid: int) -> float:
    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
        return sum(p.memory_info().rss for p in processes) / 2**20
    except psutil.Error:
        return 0.0
