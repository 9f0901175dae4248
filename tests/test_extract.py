"""Extraction: cohort, allowed columns, period, project pseudonyms, objectors out, provenance."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hygie.cli import app
from hygie.engine.engines import DuckDBEngine
from hygie.engine.lake import Dataset
from hygie.extract.run import extract
from hygie.extract.scope import Scope, ScopeError
from hygie.pseudo.keys import Secret
from hygie.pseudo.oppositions import OppositionRegister
from hygie.pseudo.pseudonyms import pseudonym

SECRET = Secret(bytes(range(100, 132)))
COHORT = """\
name: metformin_users
title: Metformin users, 2020-2021
period: {start: 2020-01-01, end: 2021-12-31}
codelists:
  metformin: {system: ATC, codes: ["A10BA02"]}
entry:
  any_of:
    - dispensed: metformin
"""
TABLES = {
    "IR_BEN_R": ["BEN_SEX_COD", "BEN_NAI_ANN", "BEN_RES_DPT"],
    "ER_PRS_F": ["EXE_SOI_DTD", "PRS_NAT_REF", "PRS_ACT_QTE"],
    "ER_PHA_F": ["PHA_PRS_C13", "PHA_ACT_QSN"],
    "IR_IMB_R": ["MED_MTF_COD", "IMB_ALD_DTD"],
    "T_MCO21B": ["DGN_PAL", "SEJ_NBJ"],
    "T_MCO21D": ["ASS_DGN"],
}


def write_scope(folder: Path, project: str = "2024-0042", tables: dict | None = None,
                period: str = "{start: 2020-01-01, end: 2021-12-31}", **extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cohort.yaml").write_text(COHORT)
    lines = [f"project: {project}", "cohort: cohort.yaml", f"period: {period}", "tables:"]
    for t, cols in (tables or TABLES).items():
        lines.append(f"  {t}: [{', '.join(cols)}]")
    lines += [f"{k}: {v}" for k, v in extra.items()]
    path = folder / "scope.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def person_keys(ds: Dataset) -> list[str]:
    con = duckdb.connect()
    return [r[0] for r in con.execute(
        f"SELECT DISTINCT BEN_NIR_ANO FROM read_parquet('{ds.glob('IR_BEN_R')}') ORDER BY 1"
    ).fetchall()]


@pytest.fixture(scope="module")
def baseline(synthetic, tmp_path_factory):
    snds, _ = synthetic
    root = tmp_path_factory.mktemp("extract")
    scope = Scope.from_yaml(write_scope(root / "scope"))
    register = OppositionRegister(root / "oppositions.parquet")
    duck = DuckDBEngine()
    try:
        ds, report = extract(scope, snds, root / "out", secret=SECRET, register=register,
                             engine=duck)
    finally:
        duck.close()
    return scope, ds, report, root


def released_pseudonyms(ds: Dataset) -> set[str]:
    con = duckdb.connect()
    out: set[str] = set()
    for t in ds.tables:
        out |= {r[0] for r in con.execute(
            f"SELECT DISTINCT PSEUDO_ID FROM read_parquet('{ds.glob(t)}')").fetchall()}
    return out


def test_extract_holds_only_the_cohort_the_columns_and_the_period(baseline, synthetic):
    scope, ds, report, _ = baseline
    snds, _ = synthetic
    assert set(ds.tables) == set(TABLES)
    con = duckdb.connect()
    for table, cols in TABLES.items():
        got = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{ds.glob(table)}')")
               .fetchall()]
        key = {"ER_PRS_F": ["LINE_ID"], "ER_PHA_F": ["LINE_ID"], "T_MCO21B": ["STAY_ID"],
               "T_MCO21D": ["STAY_ID"]}.get(table, [])
        assert got == ["PSEUDO_ID", *key, *cols], table
    dates = con.execute(f"SELECT min(EXE_SOI_DTD), max(EXE_SOI_DTD) FROM "
                        f"read_parquet('{ds.glob('ER_PRS_F')}')").fetchone()
    assert str(dates[0]) >= "2020-01-01" and str(dates[1]) <= "2021-12-31"
    assert report.cohort_people > 50 and report.opposed_people == 0
    # Every pseudonym is the project's HMAC of a cohort member's person key.
    key = SECRET.project_key(scope.project)
    expected = {pseudonym(key, k) for k in person_keys(snds)}
    assert released_pseudonyms(ds) <= expected
    assert len(released_pseudonyms(ds)) == report.released_people
    prov = ds.manifest["provenance"]
    assert prov["cohort_people"] == report.cohort_people
    assert ds.manifest["source"]["scope_sha256"] == scope.digest()
    assert ds.manifest["source"]["input"]["manifest_sha256"]


def test_no_identifier_ever_leaves(baseline, synthetic):
    _, ds, _, _ = baseline
    snds, truth = synthetic
    con = duckdb.connect()
    secret_values: set[str] = set()
    for t, cols in {"IR_BEN_R": ["BEN_NIR_PSA", "BEN_NIR_ANO", "BEN_IDT_ANO", "ASS_NIR_ANO"]}.items():
        for c in cols:
            secret_values |= {r[0] for r in con.execute(
                f"SELECT DISTINCT {c} FROM read_parquet('{snds.glob(t)}')").fetchall()}
    secret_values |= {r[0] for r in con.execute(
        f"SELECT nir FROM read_parquet('{truth.glob('person')}')").fetchall()}
    raw = b"".join(p.read_bytes() for t in ds.tables for p in ds.files(t))
    raw += (ds.path / "manifest.json").read_bytes()
    for v in secret_values:
        assert v.encode() not in raw


def test_same_bytes_on_spark_and_on_a_rerun(baseline, synthetic, spark_engine, tmp_path):
    scope, ds, _, root = baseline
    snds, _ = synthetic
    register = OppositionRegister(root / "oppositions.parquet")
    again, _ = extract(scope, snds, tmp_path / "spark", secret=SECRET, register=register,
                       engine=spark_engine)
    files = {t: [f["sha256"] for f in ds.manifest["tables"][t]["files"]] for t in ds.tables}
    assert {t: [f["sha256"] for f in again.manifest["tables"][t]["files"]]
            for t in again.tables} == files
    assert again.manifest["provenance"]["tables"] == ds.manifest["provenance"]["tables"]


def test_big_tables_leave_in_parts_with_the_same_rows_on_both_engines(
        baseline, synthetic, spark_engine, tmp_path):
    scope, whole, _, root = baseline
    snds, _ = synthetic
    register = OppositionRegister(root / "oppositions.parquet")
    runs = {}
    for name, engine in (("duckdb", None), ("spark", spark_engine)):
        runs[name], _ = extract(scope, snds, tmp_path / name, secret=SECRET, register=register,
                                engine=engine, rows_per_part=2_000)
    parts, again = runs["duckdb"], runs["spark"]
    files = {t: [f["sha256"] for f in parts.manifest["tables"][t]["files"]] for t in parts.tables}
    assert files == {t: [f["sha256"] for f in again.manifest["tables"][t]["files"]]
                     for t in again.tables}
    con = duckdb.connect()
    rows = whole.manifest["provenance"]["tables"]["ER_PRS_F"]["rows_released"]
    assert len(files["ER_PRS_F"]) == -(-rows // 2_000) > 1
    for table in whole.tables:
        # The parts hold the same rows, each part sorted, their pseudonym ranges disjoint.
        assert con.execute(f"SELECT * FROM read_parquet('{parts.glob(table)}')").fetchall() == \
            con.execute(f"SELECT * FROM read_parquet('{whole.glob(table)}')").fetchall()
        bounds = [con.execute(f"SELECT min(PSEUDO_ID), max(PSEUDO_ID) FROM read_parquet('{f}')")
                  .fetchone() for f in parts.files(table)]
        assert all(hi < lo for (_, hi), (lo, _) in itertools.pairwise(bounds) if hi and lo)


def test_objections_apply_to_the_next_refresh(baseline, synthetic, tmp_path):
    scope, first, report, _ = baseline
    snds, _ = synthetic
    register = OppositionRegister(tmp_path / "oppositions.parquet")
    released = released_pseudonyms(first)
    key = SECRET.project_key(scope.project)
    members = [k for k in person_keys(snds) if pseudonym(key, k) in released][:3]
    register.register(SECRET, members)
    duck = DuckDBEngine()
    try:
        refreshed, rep = extract(scope, snds, tmp_path / "refresh", secret=SECRET,
                                 register=register, engine=duck)
    finally:
        duck.close()
    assert rep.opposed_people == 3 and rep.released_people == report.released_people - 3
    assert not {pseudonym(key, k) for k in members} & released_pseudonyms(refreshed)
    assert refreshed.manifest["provenance"]["opposed_people_dropped"] == 3
    assert sum(t["rows_of_opposed_people"] for t in rep.tables.values()) > 0


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_no_opposed_person_and_per_project_pseudonyms(baseline, synthetic, tmp_path, data):
    scope, first, _, _ = baseline
    snds, _ = synthetic
    keys = person_keys(snds)
    opposed = data.draw(st.lists(st.sampled_from(keys), max_size=40, unique=True))
    project = data.draw(st.sampled_from(["2024-0042", "2025-0001", "X.y_z-1"]))
    folder = tmp_path / f"run-{abs(hash((tuple(opposed), project)))}"
    path = write_scope(folder, project=project, tables={"IR_BEN_R": ["BEN_SEX_COD"],
                                                        "ER_PHA_F": ["PHA_PRS_C13"]})
    register = OppositionRegister(folder / "opp.parquet")
    register.register(SECRET, opposed)
    duck = DuckDBEngine()
    try:
        ds, _ = extract(Scope.from_yaml(path), snds, folder / "out", secret=SECRET,
                        register=register, engine=duck)
    finally:
        duck.close()
    released = released_pseudonyms(ds)
    pkey = SECRET.project_key(project)
    assert not {pseudonym(pkey, k) for k in opposed} & released
    if project != scope.project:
        assert not released & released_pseudonyms(first)


def test_a_crash_mid_extraction_leaves_nothing_and_a_rerun_gives_the_same_bytes(
        baseline, synthetic, tmp_path, monkeypatch):
    scope, ds, _, root = baseline
    snds, _ = synthetic
    register = OppositionRegister(root / "oppositions.parquet")
    import hygie.extract.run as run

    real = run.write_parquet
    calls = {"n": 0}

    def crash(table, path):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        real(table, path)

    monkeypatch.setattr(run, "write_parquet", crash)
    duck = DuckDBEngine()
    try:
        with pytest.raises(RuntimeError):
            extract(scope, snds, tmp_path / "out", secret=SECRET, register=register, engine=duck)
        assert list(tmp_path.iterdir()) == []
        monkeypatch.setattr(run, "write_parquet", real)
        again, _ = extract(scope, snds, tmp_path / "out", secret=SECRET, register=register,
                           engine=duck)
    finally:
        duck.close()
    assert again.manifest["tables"] == ds.manifest["tables"]


@pytest.mark.parametrize("change, message", [
    ({"tables": {"NOPE_R": ["X"]}}, "unknown SNDS table"),
    ({"tables": {"IR_BEN_R": ["NOT_A_COLUMN"]}}, "no such column"),
    ({"tables": {"IR_BEN_R": ["BEN_NIR_PSA"]}}, "person identifiers are never extracted"),
    ({"tables": {"ER_PRS_F": ["DCT_ORD_NUM"]}}, "row keys"),
    ({"tables": {"T_MCO21E": ["SOC_RAI"]}}, "cannot be linked"),
    ({"period": "{start: 2022-01-01, end: 2021-01-01}"}, "before it starts"),
    ({"project": "'bad project'"}, "project ids"),
])
def test_bad_scopes_are_refused_before_any_work(synthetic, tmp_path, change, message):
    snds, _ = synthetic
    with pytest.raises(ScopeError, match=message):
        scope = Scope.from_yaml(write_scope(tmp_path / "s", **change))
        scope.check(snds)
    assert not (tmp_path / "out").exists()


def test_cli_extract_checks_project_secret_and_register(synthetic, tmp_path, monkeypatch):
    snds, _ = synthetic
    runner = CliRunner()
    scope = write_scope(tmp_path / "s")
    register = tmp_path / "opp.parquet"
    args = ["extract", str(scope), "--project", "2024-0042", "--data", str(snds.path),
            "--out", str(tmp_path / "out"), "--oppositions", str(register)]
    monkeypatch.delenv("HYGIE_PSEUDO_SECRET", raising=False)
    monkeypatch.delenv("HYGIE_PSEUDO_SECRET_FILE", raising=False)
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "no opposition register" in r.output
    assert runner.invoke(app, ["oppositions", "init", str(register)]).exit_code == 0
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "no pseudonymisation secret" in r.output
    monkeypatch.setenv("HYGIE_PSEUDO_SECRET", SECRET.value.hex())
    r = runner.invoke(app, [*args[:2], "--project", "other", *args[4:]])
    assert r.exit_code == 2 and "not the scope's project" in r.output
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert SECRET.value.hex() not in r.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert SECRET.value.hex() not in json.dumps(manifest)
    assert not list(tmp_path.glob(".tmp-*"))
    shutil.rmtree(tmp_path / "out")


def test_force_never_replaces_an_input_nor_anything_but_an_earlier_extract(
        synthetic, tmp_path, monkeypatch):
    """`--data D --out D --force` replaced the SNDS dataset D with the extract."""
    snds, _ = synthetic
    data = tmp_path / "lake" / "snds"
    shutil.copytree(snds.path, data)  # the session's dataset stays out of harm's way
    runner = CliRunner()
    scope = write_scope(tmp_path / "s")
    register = tmp_path / "registers" / "opp.parquet"
    assert runner.invoke(app, ["oppositions", "init", str(register)]).exit_code == 0
    secret_file = tmp_path / "keys" / "secret"
    secret_file.parent.mkdir()
    secret_file.write_text(SECRET.value.hex())
    monkeypatch.delenv("HYGIE_PSEUDO_SECRET", raising=False)
    monkeypatch.setenv("HYGIE_PSEUDO_SECRET_FILE", str(secret_file))

    def run(out: Path, *extra: str):
        return runner.invoke(app, ["extract", str(scope), "--project", "2024-0042", "--data",
                                   str(data), "--out", str(out), "--oppositions", str(register),
                                   "--force", *extra])

    before = sorted(p.name for p in data.rglob("*"))
    for out in (data, data / "IR_BEN_R", data / "new", tmp_path / "lake", tmp_path, register,
                register.parent, secret_file.parent, scope.parent, scope):
        r = run(out)
        assert r.exit_code == 2, (out, r.output)
        assert "input" in r.output, r.output
    assert Dataset.open(data, verify=True).manifest["kind"] == "snds"
    assert sorted(p.name for p in data.rglob("*")) == before
    assert register.is_file() and secret_file.read_text() == SECRET.value.hex()
    # Not inputs, but not earlier extracts of this project either.
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.md").write_text("years of work")
    other_snds = tmp_path / "other_snds"
    shutil.copytree(snds.path, other_snds)
    for out in (notes, other_snds):
        r = run(out)
        assert r.exit_code == 2 and "not an earlier output" in r.output, r.output
    assert (notes / "thesis.md").read_text() == "years of work"
    Dataset.open(other_snds, verify=True)
    # An earlier extract of the same project is replaced; another project's is not.
    out = tmp_path / "extracts" / "2024-0042"
    assert run(out).exit_code == 0
    assert run(out).exit_code == 0
    other_scope = write_scope(tmp_path / "s2", project="2024-0099")
    r = runner.invoke(app, ["extract", str(other_scope), "--project", "2024-0099", "--data",
                            str(data), "--out", str(out), "--oppositions", str(register),
                            "--force"])
    assert r.exit_code == 2 and "not an earlier output" in r.output, r.output
    assert Dataset.open(out).manifest["source"]["project"] == "2024-0042"


def test_hostile_scope_files_are_clean_errors(tmp_path):
    path = tmp_path / "scope.yaml"
    for content in (b"tables: " + b"[" * 100_000, b"project: \xff\xfe", b"a: &a [1]\n" +
                    b"".join(b"%c: &%c [*%c, *%c, *%c, *%c]\n" % (k, k, k - 1, k - 1, k - 1, k - 1)
                             for k in range(98, 118)) + b"tables: *t\n"):
        path.write_bytes(content)
        with pytest.raises(ScopeError):
            Scope.from_yaml(path)


def test_an_extract_reads_as_duckdb_relations_and_arrow_tables(baseline):
    _, ds, report, _ = baseline
    reopened = Dataset.open(ds.path)
    relation = reopened.relation("ER_PRS_F", duckdb.connect())
    released = report.tables["ER_PRS_F"]["rows_released"]
    assert relation.aggregate("count(*)").fetchall()[0][0] == released > 0
    table = reopened.arrow("ER_PRS_F", columns=["PSEUDO_ID"])
    assert table.num_rows == released and table.column_names == ["PSEUDO_ID"]
    assert set(table.column("PSEUDO_ID").to_pylist()) <= released_pseudonyms(ds)


def test_only_the_person_maps_the_tables_link_through_are_built():
    from hygie.snds.persons import COHORT_MAP, COHORT_PMSI_MAP, cohort_maps

    assert set(cohort_maps("PSEUDONYMS", ["ER_PRS_F", "ER_PHA_F"])) == {COHORT_MAP}
    assert set(cohort_maps("PSEUDONYMS", ["T_MCO21B"])) == {COHORT_PMSI_MAP}
    assert set(cohort_maps("PSEUDONYMS", TABLES)) == {COHORT_MAP, COHORT_PMSI_MAP}
    assert cohort_maps("PSEUDONYMS", ["KI_CCI_R"]) == {}  # through IR_BEN_R directly
    with pytest.raises(ValueError, match="not a view name"):
        cohort_maps("P; DROP TABLE X", ["ER_PRS_F"])
