"""The lake: datasets as folders of Parquet files with a manifest, written atomically.

A dataset folder holds one sub-folder per table (`IR_BEN_R/part-00000.parquet`, ...) and a
`manifest.json` naming every file with its row count and sha256, the schema version, the generator
or source with its parameters, and the code version. A dataset is written into a hidden sibling
folder and renamed into place only once complete, so a reader never sees a partial dataset and an
interrupted write leaves nothing behind but a `.tmp-*` folder that the next write clears.

A `Lake` is a root folder of named datasets, each a series of immutable versions
(`<root>/<name>/v0001`, `v0002`, ...).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from hygie import __version__
from hygie.nesting import too_deep

if TYPE_CHECKING:
    import duckdb

MANIFEST = "manifest.json"
FORMAT = "hygie-dataset/1"
_TMP_PREFIX = ".tmp-"
# A manifest is a few levels deep (the source's parameters included) and a few MB at most.
MANIFEST_MAX_DEPTH = 20
MANIFEST_MAX_BYTES = 64 * 2**20


class LakeError(Exception):
    """A dataset cannot be written or read as asked; the message says why and where."""


class CorruptDataset(LakeError):
    """A dataset's manifest is missing, unreadable or does not match its files."""


# One way to write Parquet in the lake, so files are byte-identical for identical tables.
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 3,
                                   "write_statistics": True, "row_group_size": 1 << 20}


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, **PARQUET_OPTIONS)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the dataset folder, always with '/'
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Dataset:
    """A complete dataset on disk, described by its manifest."""

    path: Path
    manifest: dict[str, Any]

    @classmethod
    def open(cls, path: str | Path, *, verify: bool = False) -> Dataset:
        path = Path(path)
        if not path.is_dir():
            raise LakeError(f"{path}: no such dataset folder")
        ds = cls(path, read_manifest(path))
        if verify:
            ds.verify()
        return ds

    @property
    def tables(self) -> list[str]:
        return list(self.manifest["tables"])

    def rows(self, table: str) -> int:
        return int(self.manifest["tables"][table]["rows"])

    def files(self, table: str) -> list[Path]:
        try:
            entries = self.manifest["tables"][table]["files"]
        except KeyError:
            raise LakeError(f"{self.path}: no table {table!r}") from None
        return [self.path / e["path"] for e in entries]

    def arrow(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """A table's rows as one Arrow table, its parts in order (for notebooks)."""
        parts = [pq.read_table(f, columns=columns) for f in self.files(table)]
        return pa.concat_tables(parts) if parts else pa.table({})

    def relation(self, table: str, con: duckdb.DuckDBPyConnection | None = None
                 ) -> duckdb.DuckDBPyRelation:
        """A table as a lazy DuckDB relation over its Parquet parts (on `con`, or DuckDB's
        default connection): `ds.relation("ER_PRS_F").filter(...).aggregate(...)`."""
        import duckdb

        return (con or duckdb.default_connection()).read_parquet(
            [str(f) for f in self.files(table)])

    def glob(self, table: str) -> str:
        """A path pattern for readers such as DuckDB's read_parquet."""
        self.files(table)  # raises on an unknown table
        return str(self.path / table / "*.parquet")

    def verify(self) -> None:
        """Check every listed file exists with its size and sha256, and no Parquet file is unlisted."""
        listed = set()
        for table, info in self.manifest["tables"].items():
            for e in info.get("files", []):
                f = self.path / e["path"]
                listed.add(f)
                if not f.is_file():
                    raise CorruptDataset(f"{self.path}: {table} file {e['path']} is missing")
                if f.stat().st_size != e["bytes"] or sha256_file(f) != e["sha256"]:
                    raise CorruptDataset(f"{self.path}: {table} file {e['path']} does not match "
                                         "its sha256 in the manifest")
        extra = sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*.parquet")
                       if p not in listed)
        if extra:
            raise CorruptDataset(f"{self.path}: files not in the manifest: {', '.join(extra[:5])}")


def read_manifest(folder: Path) -> dict[str, Any]:
    """The checked manifest of a dataset folder; CorruptDataset (never a crash) on any other
    content: missing, too big, not JSON, nested too deep, or files outside the folder."""
    mpath = folder / MANIFEST
    try:
        if mpath.is_symlink():  # a manifest read from elsewhere would vouch for other files
            raise CorruptDataset(f"{mpath}: a symbolic link, not a manifest")
        with mpath.open("rb") as fh:
            raw = fh.read(MANIFEST_MAX_BYTES + 1)
    except FileNotFoundError:
        raise CorruptDataset(f"{folder}: no {MANIFEST}; not a Hygie dataset") from None
    except OSError as exc:
        raise CorruptDataset(f"{mpath}: unreadable manifest ({exc.strerror})") from None
    if len(raw) > MANIFEST_MAX_BYTES:
        raise CorruptDataset(f"{mpath}: larger than {MANIFEST_MAX_BYTES:,} bytes")
    deep = CorruptDataset(f"{mpath}: nested more than {MANIFEST_MAX_DEPTH} levels deep")
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CorruptDataset(f"{mpath}: unreadable manifest (not UTF-8)") from None
    except json.JSONDecodeError as exc:
        raise CorruptDataset(f"{mpath}: unreadable manifest ({exc.msg}, line {exc.lineno}, "
                             f"column {exc.colno})") from None
    except RecursionError:
        raise deep from None
    except ValueError:  # e.g. an integer of over 4,300 digits
        raise CorruptDataset(f"{mpath}: unreadable manifest") from None
    if too_deep(manifest, MANIFEST_MAX_DEPTH):  # copied into later manifests, re-encoded
        raise deep
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or not isinstance(manifest.get("tables"), dict):
        raise CorruptDataset(f"{mpath}: not a {FORMAT} manifest")
    for table, info in manifest["tables"].items():
        entries = info.get("files", []) if isinstance(info, dict) else None
        if not isinstance(entries, list) or not all(_good_entry(e) for e in entries):
            raise CorruptDataset(f"{mpath}: table {str(table)[:100]!r} lists malformed files "
                                 "(each needs a path inside the folder, rows, bytes, sha256)")
    return manifest


def _good_entry(entry: Any) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return False
    relative = Path(entry["path"])
    return (not relative.is_absolute() and ".." not in relative.parts
            and isinstance(entry.get("rows"), int) and isinstance(entry.get("bytes"), int)
            and isinstance(entry.get("sha256"), str))


@dataclass
class DatasetWriter:
    """Write a dataset atomically: parts go to a hidden folder, `commit` renames it into place.

    Use as a context manager; leaving the block with an exception removes the partial folder.
    Parts are named by the caller (`part_path(table, i)`), so parallel workers can write their
    own files and the result does not depend on which worker finished first.
    """

    target: Path
    kind: str  # "snds", "truth", "extract", ...
    source: dict[str, Any] = field(default_factory=dict)  # generator or origin, with parameters
    schema_version: str = ""
    force: bool = False
    inputs: Iterable[Path] = ()  # what the job reads: never replaced, contained nor inside
    tmp: Path = field(init=False)

    def __post_init__(self) -> None:
        self.target = Path(self.target).absolute()
        check_target(self.target, force=self.force, kind=self.kind, source=self.source,
                     inputs=self.inputs)
        parent = self.target.parent
        # glob.escape: a target named "*" must not sweep away other writers' folders.
        for stale in parent.glob(f"{_TMP_PREFIX}{glob.escape(self.target.name)}-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted earlier write
        self.tmp = parent / f"{_TMP_PREFIX}{self.target.name}-{uuid.uuid4().hex[:8]}"
        self.tmp.mkdir(parents=True)

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.abort()

    def part_path(self, table: str, index: int) -> Path:
        folder = self.tmp / table
        folder.mkdir(exist_ok=True)
        return folder / f"part-{index:05d}.parquet"

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def commit(self, extra: dict[str, Any] | None = None) -> Dataset:
        tables: dict[str, Any] = {}
        for folder in sorted(p for p in self.tmp.iterdir() if p.is_dir()):
            entries = [_entry(self.tmp, f) for f in sorted(folder.glob("*.parquet"))]
            tables[folder.name] = {"rows": sum(e.rows for e in entries),
                                   "files": [e.__dict__ for e in entries]}
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "kind": self.kind,
            "schema_version": self.schema_version,
            "source": self.source,
            "code_version": __version__,
            "tables": tables,
            **(extra or {}),
        }
        _write_json(self.tmp / MANIFEST, manifest)
        _fsync_tree(self.tmp)
        if self.target.exists():  # only with force: move the old one aside, then swap
            trash = self.target.parent / f"{_TMP_PREFIX}{self.target.name}-old-{uuid.uuid4().hex[:8]}"
            os.replace(self.target, trash)
            os.replace(self.tmp, self.target)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(self.tmp, self.target)
        return Dataset(self.target, manifest)


def check_target(target: Path, *, force: bool, kind: str | None = None,
                 source: dict[str, Any] | None = None, inputs: Iterable[Path] = ()) -> None:
    """Refuse, before any work, an output that cannot be written or would overwrite data.

    The target is never one of the job's `inputs`, inside one or holding one (links resolved).
    An existing non-empty target is replaced only with `force`, and only when it is an earlier
    output of the same producer: a Hygie dataset whose manifest has this `kind` and whose source
    names the same generator and project (when `kind` is None, any Hygie dataset)."""
    target = Path(target).absolute()
    real = target.resolve()
    for given in inputs:
        path = Path(given).resolve()
        if real == path or path in real.parents or real in path.parents:
            raise LakeError(f"{target}: the output would replace, hold or sit inside the input "
                            f"{given}; choose an output folder apart from the inputs")
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise LakeError(f"{target} exists and is not a folder")
        if any(target.iterdir()):
            if not force:
                raise LakeError(f"{target} is not empty; choose another output or pass --force")
            _check_replaceable(target, kind, source or {})
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise LakeError(f"{target}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise LakeError(f"{target}: {parent} is not writable")


def _producer(kind: Any, source: Any) -> tuple[Any, Any, Any]:
    source = source if isinstance(source, dict) else {}
    return kind, source.get("generator"), source.get("project")


def _check_replaceable(target: Path, kind: str | None, source: dict[str, Any]) -> None:
    """--force replaces an earlier output of the same producer, nothing else."""
    def refuse(why: str) -> LakeError:
        return LakeError(f"{target} is not an earlier output of this command ({why}); "
                         "--force replaces only those: choose another output")

    if target.is_symlink():
        raise refuse("it is a symbolic link")
    try:
        manifest = read_manifest(target)
    except CorruptDataset:
        raise refuse("no readable Hygie manifest") from None
    if kind is not None and _producer(manifest.get("kind"), manifest.get("source")) != \
            _producer(kind, source):
        old_kind, generator, project = _producer(manifest.get("kind"), manifest.get("source"))
        raise refuse(f"it holds a {str(old_kind)[:40]!r} dataset"
                     + (f" from {str(generator)[:60]}" if generator else "")
                     + (f" of project {str(project)[:60]}" if project else ""))


def _entry(root: Path, f: Path) -> FileEntry:
    return FileEntry(path=f.relative_to(root).as_posix(), rows=pq.ParquetFile(f).metadata.num_rows,
                     bytes=f.stat().st_size, sha256=sha256_file(f))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def _fsync_tree(root: Path) -> None:
    for p in [*root.rglob("*"), root]:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_VERSION = re.compile(r"^v(\d{4,})$")


@dataclass(frozen=True)
class Lake:
    """A root folder of named datasets, each a series of immutable versions."""

    root: Path

    def versions(self, name: str) -> list[str]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        return sorted((p.name for p in folder.iterdir() if _VERSION.match(p.name)),
                      key=lambda v: int(v[1:]))

    def latest(self, name: str) -> Dataset:
        versions = self.versions(name)
        if not versions:
            raise LakeError(f"{self.root}: no dataset named {name!r}")
        return Dataset.open(self.root / name / versions[-1])

    def dataset(self, name: str, version: str | None = None) -> Dataset:
        return self.latest(name) if version is None else Dataset.open(self.root / name / version)

    def next_version_path(self, name: str) -> Path:
        versions = self.versions(name)
        n = int(versions[-1][1:]) + 1 if versions else 1
        return self.root / name / f"v{n:04d}"

    def datasets(self) -> Iterator[str]:
        if self.root.is_dir():
            yield from sorted(p.name for p in self.root.iterdir()
                              if p.is_dir() and not p.name.startswith("."))
