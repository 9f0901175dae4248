"""Scale-out: the same extract on a Spark standalone cluster (a master and two workers on
loopback, started with pyspark's own scripts) as on DuckDB, byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hygie.engine.cluster import LocalCluster
from hygie.pseudo.oppositions import OppositionRegister

from .test_extract import SECRET, write_scope

pytestmark = pytest.mark.cluster


def run_extract(scope, snds, out, register, engine: str, master: str | None = None) -> dict:
    env = {**os.environ, "HYGIE_PSEUDO_SECRET": SECRET.value.hex(), "PYSPARK_PYTHON": sys.executable}
    if master:
        env["HYGIE_SPARK_MASTER"] = master
    cmd = [sys.executable, "-m", "hygie.cli", "extract", str(scope), "--project", "2024-0042",
           "--data", str(snds.path), "--out", str(out), "--oppositions", str(register),
           "--engine", engine]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "manifest.json").read_text())


def test_cluster_extract_equals_duckdb(synthetic, tmp_path):
    snds, _ = synthetic
    scope = write_scope(tmp_path / "scope")
    register = tmp_path / "opp.parquet"
    OppositionRegister(register).register(SECRET, ["nobody-in-particular"])
    duck = run_extract(scope, snds, tmp_path / "duck", register, "duckdb")
    with LocalCluster(workers=2, cores_per_worker=1, memory_per_worker="1g",
                      work_dir=tmp_path / "spark") as cluster:
        assert cluster.alive_workers() == 2
        spark = run_extract(scope, snds, tmp_path / "cluster", register, "spark", cluster.url)
    assert spark["source"]["engine"] == "spark"
    assert {t: v["files"][0]["sha256"] for t, v in spark["tables"].items()} == \
        {t: v["files"][0]["sha256"] for t, v in duck["tables"].items()}
    assert spark["provenance"] == duck["provenance"]
