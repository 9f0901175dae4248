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
    check_target,
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


def test_force_replaces_only_an_earlier_output_of_the_same_producer(tmp_path):
    def write(target, kind="test", source=None, inputs=()):
        with DatasetWriter(target, kind=kind, source=source or {"generator": "test"},
                           force=True, inputs=inputs) as w:
            write_parquet(pa.table({"x": [9]}), w.part_path("A", 0))
            return w.commit()

    _write(tmp_path / "ds", {"A": [pa.table({"x": [1]})]})
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.txt").write_text("years of work")
    refused = {
        "a folder that is no dataset": (notes, "test", None),
        "another kind": (tmp_path / "ds", "snds", None),
        "another producer": (tmp_path / "ds", "test", {"generator": "hygie.synth"}),
        "another project": (tmp_path / "ds", "test", {"generator": "test", "project": "B"}),
    }
    for why, (target, kind, source) in refused.items():
        with pytest.raises(LakeError, match="not an earlier output"):
            write(target, kind, source)
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")], why
    assert (notes / "thesis.txt").read_text() == "years of work"
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("[" * 100_000)
    with pytest.raises(LakeError, match="not an earlier output"):
        write(tmp_path / "bad")
    assert write(tmp_path / "ds").rows("A") == 1  # the same producer: replaced
    assert Dataset.open(tmp_path / "ds").arrow("A").column("x").to_pylist() == [9]


def test_an_output_is_never_an_input_nor_beside_one_in_the_same_tree(tmp_path):
    data = tmp_path / "lake" / "snds"
    _write(data, {"A": [pa.table({"x": [1]})]})
    register = tmp_path / "registers" / "opp.parquet"
    register.parent.mkdir()
    write_parquet(pa.table({"h": ["a"]}), register)
    (tmp_path / "link").symlink_to(data)
    for target in (data, data / "sub", tmp_path / "lake", tmp_path, tmp_path / "link",
                   register, register.parent, tmp_path / "link" / "sub"):
        for force in (False, True):
            with pytest.raises(LakeError, match="input"):
                check_target(target, force=force, inputs=(data, register))
            with pytest.raises(LakeError, match="input"):
                DatasetWriter(target, kind="test", source={"generator": "test"}, force=force,
                              inputs=(data, register))
    Dataset.open(data, verify=True)
    check_target(tmp_path / "lake" / "extract", force=True, inputs=(data, register))


def test_hostile_manifests_are_corrupt_datasets_not_crashes(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    for text in ("[" * 100_000, '{"format": ' + "9" * 5000 + "}", "\x00\x01",
                 '{"format": "hygie-dataset/1", "tables": {"A": {"files": [{"path": 1}]}}}'):
        (folder / "manifest.json").write_text(text)
        with pytest.raises(CorruptDataset):
            Dataset.open(folder, verify=True)
    (folder / "manifest.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(CorruptDataset):
        Dataset.open(folder)


def test_synth_and_demo_force_replace_only_their_own_outputs(tmp_path):
    from typer.testing import CliRunner

    from hygie.cli import app

    runner = CliRunner()
    other = _write(tmp_path / "other", {"A": [pa.table({"x": [1]})]})
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.md").write_text("years of work")
    synth = ["synth", "-n", "30", "--years", "2020-2020", "--workers", "1", "--force"]
    for out in (other.path, notes):
        r = runner.invoke(app, [*synth, "--out", str(out)])
        assert r.exit_code == 2 and "not an earlier output" in r.output, r.output
    r = runner.invoke(app, [*synth, "--out", str(tmp_path / "s"), "--truth",
                            str(tmp_path / "s" / "truth")])
    assert r.exit_code == 2 and "apart" in r.output, r.output
    assert Dataset.open(other.path, verify=True).rows("A") == 1
    assert (notes / "thesis.md").read_text() == "years of work"
    assert runner.invoke(app, [*synth, "--out", str(tmp_path / "s")]).exit_code == 0
    assert runner.invoke(app, [*synth, "--out", str(tmp_path / "s")]).exit_code == 0
    r = runner.invoke(app, ["demo", "--out", str(notes), "--patients", "30"])
    assert r.exit_code == 2 and "not an earlier output" in r.output, r.output
    assert (notes / "thesis.md").read_text() == "years of work"


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
