"""The synthetic SNDS generator: validity, determinism, realism, truth apart, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from hygie.cli import app
from hygie.engine.lake import Dataset
from hygie.snds.nomenclatures import nomenclature
from hygie.snds.validate import validate_dataset
from hygie.synth import knowledge as K
from hygie.synth import tables as synth_tables
from hygie.synth.generator import SynthError, SynthParams, generate
from hygie.synth.report import DCIR_JOIN, prevalence

SHARED = Path(__file__).resolve().parents[2] / "shared" / "snds" / "schemas"
runner = CliRunner()


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, Dataset]:
    out = tmp_path_factory.mktemp("synth") / "snds"
    return generate(SynthParams(patients=6000, seed=7, first_year=2020, last_year=2022,
                                chunk_size=2000), out, workers=2)


def sql(ds: Dataset, query: str, **tables: str) -> list[tuple]:
    con = duckdb.connect()
    for alias, table in tables.items():
        con.read_parquet(ds.glob(table)).create_view(alias)
    return con.execute(query).fetchall()


def test_output_passes_the_validator(synth):
    snds, _ = synth
    report = validate_dataset(snds.path)
    assert report.ok, [i.message for i in report.issues[:5]]
    assert {"IR_BEN_R", "ER_PRS_F", "ER_PHA_F", "ER_CAM_F", "ER_BIO_F", "IR_IMB_R", "KI_CCI_R",
            "T_MCO20B", "T_MCO21C", "T_MCO22D", "T_MCO22A"} <= set(snds.tables)


def _shared_schema(table: str) -> dict:
    generic = table if not table.startswith("T_MCO") else f"T_MCOaa{table[7:]}"
    found = [p for p in SHARED.rglob(f"{generic}.json")]
    assert len(found) == 1, table
    return json.loads(found[0].read_text(encoding="utf-8"))


def test_independent_check_against_the_shared_schemas(synth):
    """Written apart from hygie.snds: field names, types, primary keys, foreign keys."""
    if not SHARED.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHARED} is missing")
        pytest.skip("../shared is not beside the checkout")
    snds, _ = synth
    con = duckdb.connect()
    for t in snds.tables:
        con.read_parquet(snds.glob(t)).create_view(t)
    duck_types = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE",
                  "boolean": "BOOLEAN", "datetime": "TIMESTAMP", "year": "INTEGER",
                  "yearmonth": "VARCHAR"}
    for t in snds.tables:
        raw = _shared_schema(t)
        cols = con.execute(f'DESCRIBE "{t}"').fetchall()
        assert [c[0] for c in cols] == [f["name"] for f in raw["fields"]], t
        for (name, dtype, *_), f in zip(cols, raw["fields"], strict=True):
            want = ("VARCHAR" if f.get("format") == "%m" else "DATE") if f["type"] == "date" \
                else duck_types[f["type"]]
            if t.startswith("T_MCO") and t[-1] in "BC" and name == "ETA_NUM":
                want = "VARCHAR"  # the one deliberate deviation (hygie.snds.schemas.DEVIATIONS)
            assert dtype == want, (t, name, dtype, f["type"])
        pk = raw.get("primaryKey")
        if pk:
            pk = [pk] if isinstance(pk, str) else pk
            keys = ", ".join(f'"{k}"' for k in pk)
            dup = con.execute(f'SELECT count(*) FROM (SELECT {keys} FROM "{t}" GROUP BY ALL '
                              "HAVING count(*) > 1)").fetchone()[0]
            assert dup == 0, (t, "duplicate primary key")
        for fk in raw.get("foreignKeys", []):
            ref = fk["reference"]["resource"].replace("aa", t[5:7], 1) \
                if fk["reference"]["resource"].startswith("T_MCO") else fk["reference"]["resource"]
            if ref not in snds.tables:
                continue
            src = [fk["fields"]] if isinstance(fk["fields"], str) else fk["fields"]
            dst = fk["reference"]["fields"]
            dst = [dst] if isinstance(dst, str) else dst
            on = " AND ".join(f'a."{s}"::VARCHAR = b."{d}"::VARCHAR' for s, d in zip(src, dst,
                                                                                    strict=True))
            notnull = " OR ".join(f'a."{s}" IS NOT NULL' for s in src)
            dangling = con.execute(
                f'SELECT count(*) FROM "{t}" a WHERE ({notnull}) AND NOT EXISTS '
                f'(SELECT 1 FROM "{ref}" b WHERE {on})').fetchone()[0]
            assert dangling == 0, (t, src, ref)


def test_same_seed_same_bytes_whatever_the_workers(synth, tmp_path):
    snds, _ = synth
    params = SynthParams(**snds.manifest["source"]["parameters"])
    again, _ = generate(params, tmp_path / "again", workers=1)
    assert again.manifest["tables"] == snds.manifest["tables"]
    other, _ = generate(SynthParams(**{**snds.manifest["source"]["parameters"], "seed": 8}),
                        tmp_path / "other", workers=2)
    assert other.manifest["tables"]["ER_PRS_F"] != snds.manifest["tables"]["ER_PRS_F"]


def test_identifier_quirks(synth):
    snds, truth = synth
    twins = sql(snds, "SELECT BEN_NIR_PSA, list(BEN_RNG_GEM ORDER BY BEN_RNG_GEM) FROM ben "
                      "GROUP BY 1 HAVING count(DISTINCT BEN_RNG_GEM) > 1", ben="IR_BEN_R")
    assert twins and all(r[1][:2] == [1, 2] for r in twins)
    several = sql(snds, "SELECT BEN_NIR_ANO FROM ben GROUP BY 1 "
                        "HAVING count(DISTINCT BEN_NIR_PSA) > 1", ben="IR_BEN_R")
    assert several
    # The truth knows which twin is which: two people behind one pseudo-NIR.
    shared = sql(truth, "SELECT ben_nir_psa FROM p GROUP BY 1 HAVING count(DISTINCT person_id) > 1",
                 p="pseudonym")
    assert {r[0] for r in shared} == {r[0] for r in twins}


def test_detail_lines_join_their_benefit_on_the_nine_keys(synth):
    snds, _ = synth
    for detail in ("ER_PHA_F", "ER_BIO_F", "ER_CAM_F"):
        con = duckdb.connect()
        con.read_parquet(snds.glob("ER_PRS_F")).create_view("prs")
        con.read_parquet(snds.glob(detail)).create_view("pha")
        total, joined = con.execute(
            f"SELECT count(*), count(prs.DCT_ORD_NUM) FROM pha LEFT JOIN prs ON {DCIR_JOIN}"
        ).fetchone()
        assert total > 0 and total == joined, detail


def test_data_quality_realism(synth):
    snds, _ = synth
    (info, negative, total), = sql(
        snds, "SELECT count(*) FILTER (DPN_QLF = 71), count(*) FILTER (PRS_ACT_QTE < 0), "
              "count(*) FROM prs", prs="ER_PRS_F")
    assert 0 < info < 0.06 * total and 0 < negative < 0.03 * total
    (flagged, stays), = sql(snds, "SELECT count(*) FILTER (NIR_RET OR SEJ_RET OR FHO_RET), "
                                  "count(*) FROM c", c="T_MCO21C")
    assert 0 < flagged < 0.05 * stays


def test_truth_is_apart_and_identities_never_reach_the_snds(synth):
    snds, truth = synth
    assert truth.path != snds.path and truth.manifest["kind"] == "truth"
    assert not set(truth.tables) & set(snds.tables)
    nirs = {r[0] for r in sql(truth, "SELECT nir FROM p", p="person")}
    assert all(len(n) == 15 and 97 - int(n[:13].replace("2A", "19").replace("2B", "18")) % 97
               == int(n[13:]) for n in nirs)
    names = {r[0] for r in sql(truth, "SELECT last_name FROM p", p="person")}
    for table in snds.tables:
        text_cols = sql(snds, "SELECT column_name FROM (DESCRIBE t) WHERE column_type = 'VARCHAR'",
                        t=table)
        for (col,) in text_cols:
            values = {r[0] for r in sql(snds, f'SELECT DISTINCT "{col}" FROM t', t=table)}
            assert not values & nirs, (table, col)
            assert not values & names, (table, col)


def test_prevalence_is_realistic_and_coding_imperfect(synth):
    snds, truth = synth
    rows = {r.condition: r for r in prevalence(snds, truth)}
    assert set(rows) == {c.key for c in K.CONDITIONS}
    t2d = rows["t2d"]
    assert 0.03 < t2d.prevalence < 0.10
    assert 0.5 < t2d.with_ald / t2d.people < 0.95  # some diabetics never get an ALD
    assert 0.5 < t2d.with_drug / t2d.people < 0.95  # some are never treated
    assert all(r.people > 0 for r in rows.values() if r.condition != "eskd")


def test_knowledge_codes_exist_in_the_nomenclatures():
    cim = nomenclature("MS_CIM_V").codes()
    ccam = nomenclature("IR_CCAM_V63").codes()
    nabm = nomenclature("IR_BIO_R").codes()
    for c in K.CONDITIONS:
        assert set(c.ald[1]) | set(c.dx) <= cim, c.key
        assert {a for a, _, _ in c.acts} <= ccam, c.key
    for s in K.STAYS.values():
        assert set(s.main) <= cim and set(s.acts) <= ccam and (not s.related or s.related in cim)
    assert {str(code) for panel in K.LAB_PANELS.values() for code in panel} <= nabm
    death_codes = nomenclature("IR_CIM_V").codes()
    assert {c.death_code for c in K.CONDITIONS if c.death_code} | {c for c, _ in K.BACKGROUND_DEATH_CODES} \
        <= death_codes


def test_cip13_codes_are_valid_ean13():
    for i in range(len(K.DRUGS)):
        code = str(K.cip13(i))
        assert code.startswith("34009") and len(code) == 13
        digits = [int(c) for c in code]
        assert sum(d * (3 if k % 2 else 1) for k, d in enumerate(digits)) % 10 == 0


@pytest.mark.parametrize("args, message", [
    (["--patients", "0"], "at least 1"),
    (["--patients", "10", "--years", "2023-2019"], "backwards"),
    (["--patients", "10", "--years", "19-2023"], "years must satisfy"),
    (["--patients", "10", "--years", "abc"], "years must look like"),
])
def test_bad_parameters_fail_before_any_work(tmp_path, args, message):
    out = tmp_path / "out"
    result = runner.invoke(app, ["synth", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists() and not list(tmp_path.iterdir())


def test_non_empty_or_unwritable_output_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = runner.invoke(app, ["synth", "--patients", "10", "--out", str(out)])
    assert result.exit_code == 2 and "--force" in result.output
    assert (out / "precious.txt").read_text() == "keep me"
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = runner.invoke(app, ["synth", "--patients", "10", "--out", str(blocker / "x")])
    assert result.exit_code == 2


def test_a_crash_mid_job_leaves_nothing_visible(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = synth_tables.deaths

    def crash_on_second_chunk(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash")
        return real(*args)

    monkeypatch.setattr("hygie.synth.generator.deaths", crash_on_second_chunk)
    with pytest.raises(RuntimeError):
        generate(SynthParams(patients=300, chunk_size=100), tmp_path / "snds", workers=1)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    snds, _ = generate(SynthParams(patients=300, chunk_size=100), tmp_path / "snds", workers=1)
    assert validate_dataset(snds.path).ok


def test_params_reject_too_many_chunks():
    with pytest.raises(SynthError, match="chunk"):
        SynthParams(patients=10_000_000, chunk_size=1)


def test_corrupted_manifest_is_a_clear_error(synth, tmp_path):
    import shutil

    snds, _ = synth
    copy = tmp_path / "copy"
    shutil.copytree(snds.path, copy)
    (copy / "manifest.json").write_text("{not json")
    result = runner.invoke(app, ["snds", "validate", str(copy)])
    assert result.exit_code == 2 and "manifest" in result.output


def test_packaged_drug_table_is_the_generators():
    """The engines read drugs.csv; the generator dispenses K.DRUGS: they must not drift apart."""
    import runpy

    tool = Path(__file__).resolve().parents[1] / "tools" / "drug_table.py"
    expected = runpy.run_path(str(tool))["table_text"]()
    packaged = (Path(K.__file__).parents[1] / "data" / "drugs.csv").read_bytes().decode()
    assert packaged == expected, "run python tools/drug_table.py"


def test_truth_is_consistent(synth):
    """No one has both diabetes types; a graft needs kidney failure before it; onsets are within
    life; newborns of the period are born to a mother's delivery stay."""
    _, truth = synth
    (both,), = sql(truth, "SELECT count(*) FROM (SELECT person_id FROM c WHERE condition IN "
                          "('t1d', 't2d') GROUP BY 1 HAVING count(*) > 1)", c="condition")
    assert both == 0
    (orphans,), = sql(truth, "SELECT count(*) FROM c g LEFT JOIN c e ON e.person_id = g.person_id "
                             "AND e.condition = 'eskd' WHERE g.condition = 'kidney_graft' "
                             "AND (e.onset_date IS NULL OR e.onset_date >= g.onset_date)",
                      c="condition")
    assert orphans == 0
    (late,), = sql(truth, "SELECT count(*) FROM c JOIN p USING (person_id) WHERE onset_date > "
                          "death_date OR onset_date < birth_date", c="condition", p="person")
    assert late == 0


def test_open_population(synth):
    """Births and arrivals join during the period, with their own person numbers."""
    snds, truth = synth
    (born, people, initial), = sql(truth, "SELECT count(*) FILTER (year(birth_date) >= 2020), "
                                          "count(*), max(person_id) FILTER (person_id < 6000) + 1 "
                                          "FROM p", p="person")
    assert initial == 6000 and 0.02 < born / people < 0.05  # about 11 births per 1,000 a year
    (newborn_stays,), = sql(snds, "SELECT count(*) FROM b WHERE DGN_PAL = 'Z380'", b="T_MCO21B")
    (deliveries,), = sql(snds, "SELECT count(*) FROM b WHERE DGN_PAL IN ('O800', 'O820')",
                         b="T_MCO21B")
    assert newborn_stays > 0 and abs(newborn_stays - deliveries) <= 0.3 * deliveries + 3


def test_ghm_suffix_follows_the_length_of_stay(synth):
    snds, _ = synth
    rows = sql(snds, "SELECT right(GRG_GHM, 1) s, substr(GRG_GHM, 3, 1) k, min(SEJ_NBJ), "
                     "max(SEJ_NBJ) FROM b GROUP BY 1, 2", b="T_MCO21B")
    for suffix, kind, shortest, longest in rows:
        if suffix == "J":
            assert kind in "CK" and longest == 0
        elif suffix == "T":
            assert kind == "M" and longest <= 1
        elif suffix in "234":
            assert shortest >= int(suffix) + 1, (suffix, shortest)


def test_screening_mammography_only_in_its_age_band(synth):
    snds, _ = synth
    (outside, inside), = sql(
        snds, "SELECT count(*) FILTER (year(EXE_SOI_DTD) - BEN_NAI_ANN NOT BETWEEN 49 AND 75), "
              "count(*) FROM cam JOIN prs USING (DCT_ORD_NUM, FLX_DIS_DTD, FLX_EMT_NUM, "
              "FLX_EMT_ORD, FLX_EMT_TYP, FLX_TRT_DTD, ORG_CLE_NUM, PRS_ORD_NUM, REM_TYP_AFF) "
              "WHERE CAM_PRS_IDE = 'QEQK004'", cam="ER_CAM_F", prs="ER_PRS_F")
    assert inside > 0 and outside == 0


def test_alds_are_renewed_while_the_person_lives(synth):
    """Periods of one ALD follow each other without a gap; the last covers the end of the period
    or the death."""
    snds, _ = synth
    (gaps,), = sql(snds, "SELECT count(*) FROM (SELECT IMB_ALD_DTD, lag(IMB_ALD_DTF) OVER (PARTITION "
                         "BY BEN_NIR_PSA, BEN_RNG_GEM, IMB_ALD_NUM, MED_MTF_COD ORDER BY "
                         "IMB_ALD_DTD) prev FROM i) WHERE prev IS NOT NULL AND "
                         "IMB_ALD_DTD <> prev + 1", i="IR_IMB_R")
    assert gaps == 0
    (lapsed, total), = sql(snds, "SELECT count(*) FILTER (last_end < least(coalesce(d, DATE "
                                 "'2022-12-31'), DATE '2022-12-31')), count(*) FROM (SELECT "
                                 "max(IMB_ALD_DTF) last_end, any_value(b.BEN_DCD_DTE) d FROM i "
                                 "JOIN b USING (BEN_NIR_PSA, BEN_RNG_GEM) GROUP BY BEN_NIR_PSA, "
                                 "BEN_RNG_GEM, IMB_ALD_NUM, MED_MTF_COD)",
                           i="IR_IMB_R", b="IR_BEN_R")
    assert total > 0 and lapsed <= 0.03 * total  # pseudonym changes split a few histories
