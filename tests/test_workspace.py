"""Workspaces on disk: provisioning an authorised scope, the members' client, confined jobs."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from hygie.engine.lake import Dataset
from hygie.pseudo.keys import Secret
from hygie.pseudo.oppositions import OppositionRegister
from hygie.workspace.client import Workspace
from hygie.workspace.jobs import JobLimits, run, sandbox_available
from hygie.workspace.layout import Layout, WorkspaceError
from hygie.workspace.provision import Authorised, provision
from tests.test_extract import COHORT

SECRET = Secret(bytes(range(7, 39)))
AUTHORISED = Authorised(
    project="HYG-2026-00001", cohort=COHORT,
    tables={"IR_BEN_R": ["BEN_SEX_COD", "BEN_NAI_ANN"], "ER_PHA_F": ["PHA_PRS_C13"]},
    start=dt.date(2020, 1, 1), end=dt.date(2021, 12, 31), authorised_on=dt.date(2022, 3, 1))


def _people(snds: Dataset) -> set[str]:
    """Metformin users of 2020-2021 by hand: BEN_NIR_ANO of anyone dispensed A10BA02."""
    con = duckdb.connect()
    drug = Path(__file__).parents[1] / "src/hygie/data/drugs.csv"
    rows = con.execute(
        "SELECT DISTINCT m.BEN_NIR_ANO FROM read_parquet(?) p "
        "JOIN read_parquet(?) f USING (FLX_DIS_DTD, FLX_TRT_DTD, FLX_EMT_TYP, FLX_EMT_NUM, "
        "FLX_EMT_ORD, ORG_CLE_NUM, DCT_ORD_NUM, PRS_ORD_NUM, REM_TYP_AFF) "
        "JOIN read_parquet(?) m ON m.BEN_NIR_PSA = f.BEN_NIR_PSA AND m.BEN_RNG_GEM = f.BEN_RNG_GEM "
        "JOIN read_csv(?) d ON d.CIP13 = p.PHA_PRS_C13 "
        "WHERE d.ATC = 'A10BA02' AND f.EXE_SOI_DTD BETWEEN DATE '2020-01-01' AND DATE '2021-12-31'",
        [[str(x) for x in snds.files("ER_PHA_F")], [str(x) for x in snds.files("ER_PRS_F")],
         [str(x) for x in snds.files("IR_BEN_R")], str(drug)]).fetchall()
    return {r[0] for r in rows}


@pytest.fixture
def provisioned(tmp_path: Path, snds: Dataset) -> Layout:
    layout = Layout(tmp_path / "ws")
    provision(layout, 1, AUTHORISED, snds, secret=SECRET,
              register=OppositionRegister(tmp_path / "register.parquet"))
    return layout


def test_the_extract_holds_the_authorised_tables_and_columns(provisioned: Layout) -> None:
    with Workspace(provisioned.root) as ws:
        assert ws.tables == ["ER_PHA_F", "IR_BEN_R"]
        assert ws.table("IR_BEN_R").columns == ["PSEUDO_ID", "BEN_SEX_COD", "BEN_NAI_ANN"]
        assert "LINE_ID" in ws.table("ER_PHA_F").columns
        assert ws.provenance["authorised_on"] == "2022-03-01"
        assert ws.provenance["source"]["project"] == "HYG-2026-00001"
        assert ws.sql("SELECT count(*) FROM IR_BEN_R").fetchall()[0][0] == ws.rows("IR_BEN_R")
        with pytest.raises(WorkspaceError, match="not a table"):
            ws.table("ER_PRS_F")
        with pytest.raises(WorkspaceError):
            ws.output("../escape.csv")
    # The scope that was extracted sits beside it, runnable with `hygie extract`.
    assert (provisioned.scope(1) / "scope.yaml").is_file()


def test_the_extract_holds_exactly_the_cohort(provisioned: Layout, snds: Dataset,
                                               tmp_path: Path) -> None:
    expected = _people(snds)
    with Workspace(provisioned.root) as ws:
        people = {r[0] for r in ws.sql("SELECT DISTINCT PSEUDO_ID FROM IR_BEN_R").fetchall()}
    assert len(people) == len(expected) > 20


def test_a_refresh_leaves_out_a_new_objector_and_becomes_current(
        provisioned: Layout, snds: Dataset, tmp_path: Path) -> None:
    register = OppositionRegister(tmp_path / "register.parquet")
    objector = sorted(_people(snds))[0]
    register.register(SECRET, [objector], on=dt.date(2023, 1, 1))
    provenance = provision(provisioned, 2, AUTHORISED, snds, secret=SECRET, register=register)
    assert provenance["opposed_people_dropped"] == 1
    assert provisioned.current() == provisioned.extract(2)
    with Workspace(provisioned.root) as ws:
        people = ws.sql("SELECT count(DISTINCT PSEUDO_ID) FROM IR_BEN_R").fetchall()[0][0]
    assert people == len(_people(snds)) - 1


def test_a_run_killed_before_its_extract_was_made_current_is_adopted(
        provisioned: Layout, snds: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = OppositionRegister(tmp_path / "register.parquet")
    (provisioned.data / "CURRENT").write_text("extract-0001\n")
    # Extract 2 was written, then the worker died before the pointer moved.
    import hygie.workspace.provision as module

    real = module.extract
    calls = []
    monkeypatch.setattr(module, "extract", lambda *a, **k: calls.append(1) or real(*a, **k))
    provision(provisioned, 2, AUTHORISED, snds, secret=SECRET, register=register)
    assert provisioned.current() == provisioned.extract(2) and calls == [1]
    (provisioned.data / "CURRENT").write_text("extract-0001\n")
    provision(provisioned, 2, AUTHORISED, snds, secret=SECRET, register=register)
    assert calls == [1], "a complete extract of the same scope is adopted, not redone"
    assert provisioned.current() == provisioned.extract(2)


def test_a_worker_killed_mid_extraction_leaves_no_visible_extract(
        tmp_path: Path, snds: Dataset) -> None:
    layout = Layout(tmp_path / "ws")
    script = textwrap.dedent(f"""
        import datetime as dt, os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parents[1])!r})
        import hygie.extract.run as run
        from hygie.engine.lake import Dataset
        from hygie.pseudo.oppositions import OppositionRegister
        from hygie.workspace.layout import Layout
        from hygie.workspace.provision import provision
        from tests.test_workspace import AUTHORISED, SECRET
        real = run._extract_table
        def dying(eng, scope, table, *a, **k):
            out = real(eng, scope, table, *a, **k)
            os.kill(os.getpid(), signal.SIGKILL)  # after the first table: parts on disk
        import hygie.workspace.provision as p
        run._extract_table = dying
        provision(Layout({str(layout.root)!r}), 1, AUTHORISED, Dataset.open({str(snds.path)!r}),
                  secret=SECRET, register=OppositionRegister({str(tmp_path / 'r.parquet')!r}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert layout.current() is None
    assert not layout.extract(1).exists()
    with pytest.raises(WorkspaceError, match="no extract"):
        Workspace(layout.root)
    # The job runs again and finishes.
    provision(layout, 1, AUTHORISED, snds, secret=SECRET,
              register=OppositionRegister(tmp_path / "r.parquet"))
    assert layout.current() == layout.extract(1)
    assert not [p for p in layout.data.iterdir() if p.name.startswith(".tmp")]


JOB = """\
import json, os, pathlib
from hygie.workspace.client import Workspace
ws = Workspace()
n = ws.sql("SELECT count(*) FROM IR_BEN_R").fetchall()[0][0]
ws.output("count.json").write_text(json.dumps({"n": n}))
probes = {}
for name, path in {"secret": SECRET_FILE, "other": OTHER}.items():
    try:
        pathlib.Path(path).read_bytes()
        probes[name] = "read"
    except OSError:
        probes[name] = "refused"
try:
    import socket
    socket.create_connection(("127.0.0.1", 5432), timeout=2)
    probes["network"] = "open"
except OSError:
    probes["network"] = "refused"
print(json.dumps(probes))
"""


@pytest.mark.skipif(not sandbox_available(), reason="bubblewrap is not installed")
def test_a_job_reads_its_extract_writes_its_files_and_nothing_else(
        provisioned: Layout, tmp_path: Path) -> None:
    secret_file = tmp_path / "master.key"
    secret_file.write_bytes(b"x" * 32)
    other = tmp_path / "other-ws" / "data.parquet"
    other.parent.mkdir()
    other.write_bytes(b"PAR1")
    (provisioned.files / "count.py").write_text(
        JOB.replace("SECRET_FILE", repr(str(secret_file))).replace("OTHER", repr(str(other))))
    outcome = run(provisioned, "count.py", "job-1")
    log = outcome.log.read_text()
    assert outcome.reason == "done", log
    assert json.loads(log.strip().splitlines()[-1]) == {
        "secret": "refused", "other": "refused", "network": "refused"}
    with Workspace(provisioned.root) as ws:
        assert json.loads(ws.output("count.json").read_text())["n"] == ws.rows("IR_BEN_R")


def test_a_job_past_its_time_is_stopped(provisioned: Layout) -> None:
    (provisioned.files / "loop.py").write_text("while True:\n    pass\n")
    sandbox = "bwrap" if sandbox_available() else "none"
    outcome = run(provisioned, "loop.py", "job-2", sandbox=sandbox,
                  limits=JobLimits(seconds=1.5))
    assert outcome.reason == "timeout" and outcome.returncode != 0


def test_a_job_runs_only_a_script_of_the_workspace(provisioned: Layout, tmp_path: Path) -> None:
    outside = tmp_path / "evil.py"
    outside.write_text("print(1)\n")
    for script in ("../../evil.py", str(outside), "missing.py", "outputs"):
        with pytest.raises(WorkspaceError):
            run(provisioned, script, "job-3", sandbox="none")


def test_retention_deletes_the_data_and_the_files(provisioned: Layout) -> None:
    (provisioned.outputs / "t.csv").write_text("a\n1\n")
    assert provisioned.delete_data() > 0
    assert provisioned.current() is None and not provisioned.files.exists()
    assert not shutil.which("nonexistent-binary") and os.path.exists(provisioned.root)
