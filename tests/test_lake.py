"""The lake: atomic dataset writes, manifests, verification, versions."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hygie.engine.lake import (
    CorruptDataset,
    Dataset,
    DatasetWriter,
    Lake,
    LakeError,
    sha256_file,
    write_parquet,
)


def _write(target, tables: dict[str, list[pa.Table]], force: bool = False) -> Dataset:
    with DatasetWriter(target, kind="test", source={"generator": "test"}, force=force) as w:
        for name, parts in tables.items():
            for i, t in enumerate(parts):
                write_parquet(t, w.part_path(name, i))
        return w.commit()


def test_manifest_lists_every_file_with_rows_and_sha256(tmp_path):
    ds = _write(tmp_path / "ds", {"A": [pa.table({"x": [1, 2]}), pa.table({"x": [3]})],
                                  "B": [pa.table({"y": ["a"]})]})
    assert ds.tables == ["A", "B"] and ds.rows("A") == 3
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    assert manifest["format"] == "hygie-dataset/1" and manifest["kind"] == "test"
    for entry in manifest["tables"]["A"]["files"]:
        assert entry["sha256"] == sha256_file(tmp_path / "ds" / entry["path"])
    Dataset.open(tmp_path / "ds", verify=True)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_an_interrupted_write_leaves_nothing_visible_and_is_cleared_next_time(tmp_path):
    with pytest.raises(RuntimeError), DatasetWriter(tmp_path / "ds", kind="test") as w:
        write_parquet(pa.table({"x": [1]}), w.part_path("A", 0))
        raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []
    # A hard kill leaves the hidden folder; the next write to the same target removes it.
    w = DatasetWriter(tmp_path / "ds", kind="test")
    write_parquet(pa.table({"x": [1]}), w.part_path("A", 0))
    assert not (tmp_path / "ds").exists()
    _write(tmp_path / "ds", {"A": [pa.table({"x": [2]})]})
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_existing_output_needs_force_and_force_swaps_atomically(tmp_path):
    _write(tmp_path / "ds", {"A": [pa.table({"x": [1]})]})
    with pytest.raises(LakeError, match="--force"):
        _write(tmp_path / "ds", {"A": [pa.table({"x": [2]})]})
    assert Dataset.open(tmp_path / "ds").rows("A") == 1
    _write(tmp_path / "ds", {"A": [pa.table({"x": [2, 3]})]}, force=True)
    assert Dataset.open(tmp_path / "ds", verify=True).rows("A") == 2
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_unwritable_target_is_refused_before_any_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LakeError):
        DatasetWriter(blocker, kind="test")
    with pytest.raises(LakeError):
        DatasetWriter(blocker / "sub", kind="test")


@pytest.mark.parametrize("damage", ["missing", "garbage", "wrong-format", "tampered", "extra"])
def test_corruption_is_detected(tmp_path, damage):
    ds = _write(tmp_path / "ds", {"A": [pa.table({"x": [1, 2]})]})
    manifest = tmp_path / "ds" / "manifest.json"
    part = ds.files("A")[0]
    if damage == "missing":
        manifest.unlink()
    elif damage == "garbage":
        manifest.write_text("{oops")
    elif damage == "wrong-format":
        manifest.write_text(json.dumps({"format": "other", "tables": {}}))
    elif damage == "tampered":
        write_parquet(pa.table({"x": [9, 9]}), part)
    else:
        write_parquet(pa.table({"x": [1]}), part.with_name("part-00009.parquet"))
    with pytest.raises(CorruptDataset):
        Dataset.open(tmp_path / "ds", verify=True)


def test_lake_versions_are_immutable_and_ordered(tmp_path):
    lake = Lake(tmp_path)
    assert lake.versions("snds") == []
    for i in range(1, 12):
        _write(lake.next_version_path("snds"), {"A": [pa.table({"x": list(range(i))})]})
    assert lake.versions("snds")[-1] == "v0011" and lake.latest("snds").rows("A") == 11
    assert lake.dataset("snds", "v0002").rows("A") == 2
    assert list(lake.datasets()) == ["snds"]
    with pytest.raises(LakeError):
        lake.latest("nothing")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(-(2**62), 2**62), max_size=50), min_size=1, max_size=4))
def test_same_tables_give_the_same_bytes(tmp_path_factory, parts):
    root = tmp_path_factory.mktemp("bytes")
    tables = {"A": [pa.table({"x": pa.array(p, pa.int64())}) for p in parts]}
    a, b = _write(root / "a", tables), _write(root / "b", tables)
    assert a.manifest["tables"] == b.manifest["tables"]
    assert a.rows("A") == sum(len(p) for p in parts)
