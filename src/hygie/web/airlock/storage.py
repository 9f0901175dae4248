"""The airlock's own copies of the files asked for release (no Django here).

Jobs write in the members' files, so nothing found there is trusted: the file is opened one
folder at a time from the members' files with O_NOFOLLOW (a link a job made, even in the middle of
the path, is refused rather than followed), must be a regular file, and is read at most up to the
size limit. It is copied under the airlock's root (written aside, then renamed) while its SHA-256
is computed, so what is checked, reviewed and downloaded is this copy, whatever the workspace's
file becomes. Reading a copy back checks its SHA-256 again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 16


class StorageError(Exception):
    """The file cannot be copied or read back; the message says why (in English, for logs)."""


@dataclass(frozen=True)
class Copy:
    stored: str  # relative to the airlock's root
    size: int
    sha256: str


def copy_output(files: Path, relative: str, root: Path, folder: str, max_bytes: int) -> Copy:
    """Copy `files`/`relative` (a regular file, reached without following any link) to
    `root`/`folder`/<random>/<its name>."""
    parts = relative.split("/")
    if not relative or any(p in ("", ".", "..") or "\x00" in p for p in parts):
        raise StorageError(f"{relative!r} is not a plain path")
    if "/" in folder or folder in ("", ".", ".."):
        raise StorageError(f"{folder!r} is not a folder name")
    source = _open_beneath(files, parts)
    stored = f"{folder}/{uuid.uuid4().hex}/{parts[-1]}"
    target = root / stored
    target.parent.mkdir(parents=True, exist_ok=False)
    tmp = target.parent / f".{uuid.uuid4().hex}.tmp"
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(source, "rb") as src, tmp.open("xb") as out:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise StorageError(f"{relative} is over {max_bytes:,} bytes")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        _rmdir(target.parent)
        raise
    return Copy(stored, size, digest.hexdigest())


def _open_beneath(files: Path, parts: list[str]) -> int:
    """A read-only descriptor of files/parts..., each step opened with O_NOFOLLOW."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(files, flags | os.O_DIRECTORY)
    except OSError as exc:
        raise StorageError(f"the members' files cannot be opened: {exc.strerror}") from None
    try:
        for part in parts[:-1]:
            nxt = os.open(part, flags | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        found = os.open(parts[-1], flags | getattr(os, "O_NONBLOCK", 0), dir_fd=fd)
    except OSError as exc:
        raise StorageError(f"{'/'.join(parts)} cannot be opened ({exc.strerror}): a link, a "
                           "missing file or a folder") from None
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(found).st_mode):
        os.close(found)
        raise StorageError(f"{'/'.join(parts)} is not a regular file")
    return found


def path_of(root: Path, stored: str) -> Path:
    """The copy's path; refuses a stored name that would leave the root."""
    target = (root / stored).resolve()
    if not target.is_relative_to(root.resolve()):
        raise StorageError(f"{stored!r} is outside the airlock's storage")
    return target


def read_copy(root: Path, stored: str, sha256: str, max_bytes: int) -> bytes:
    """The copy's bytes, if they still have the SHA-256 recorded when it was taken."""
    try:
        with path_of(root, stored).open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise StorageError(f"the copy {stored} cannot be read: {exc.strerror}") from None
    if len(data) > max_bytes or hashlib.sha256(data).hexdigest() != sha256:
        raise StorageError(f"the copy {stored} no longer has its recorded SHA-256")
    return data


def remove(root: Path, stored: str) -> None:
    """Remove a copy and its folder (a submission that did not go through)."""
    try:
        target = path_of(root, stored)
        target.unlink(missing_ok=True)
    except (OSError, StorageError):
        return
    _rmdir(target.parent)


def _rmdir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty, or already gone
        folder.rmdir()
