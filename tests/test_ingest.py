"""`hygie snds ingest`: the packaged HDH-layout sample gets in and every command runs on it; bad
input is a clear error that leaves nothing behind."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from hygie.cli import app
from hygie.cohorts import Cohort
from hygie.engine.lake import Dataset
from hygie.pseudo.keys import Secret
from hygie.snds.ingest import IngestError, ingest
from hygie.snds.schemas import SCHEMA_VERSION, load_schemas
from hygie.snds.sources import CsvOptions, discover, resolve_name

SAMPLE = Path(str(resources.files("hygie") / "data" / "snds" / "sample-hdh"))
SECRET = Secret(bytes(range(50, 82)))
# Known by construction (the sample's README): people 1 (E11 stay in a Corsican establishment),
# 2 (two metformin dispensings) and 5 (both); not 7 (linkage flag), nor 8 (information line).
T2D = """\
name: sample_t2d
title: Type 2 diabetes in 2021
period: {start: 2021-01-01, end: 2021-12-31}
codelists:
  t2d: {system: CIM10, codes: ["E11*"]}
  antidiabetics: {system: ATC, codes: ["A10B*"]}
entry:
  any_of:
    - diagnosed: t2d
      in: [pmsi_main]
    - dispensed: antidiabetics
"""
EXPECTED_ROWS = {"BE_IDE_R": 3, "ER_PHA_F": 6, "ER_PRS_F": 10, "IR_BEN_R": 12, "KI_CCI_R": 1,
                 "T_MCO21B": 7, "T_MCO21C": 7, "T_MCO21D": 7, "T_MCO21E": 3}
runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return ingest(SAMPLE, tmp_path_factory.mktemp("lake") / "sample").dataset


def test_the_sample_gets_in_typed_with_its_provenance(lake: Dataset) -> None:
    assert {t: lake.rows(t) for t in lake.tables} == EXPECTED_ROWS
    lake.verify()
    m = lake.manifest
    assert (m["kind"], m["schema_version"]) == ("snds", SCHEMA_VERSION)
    files = {f["rel"]: f for f in m["source"]["files"]}
    b = files["PMSI/PMSI MCO/T_MCOaaB.csv"]
    assert b["table"] == "T_MCO21B" and len(b["sha256"]) == 64
    assert b["dialect"]["separator"] == "," and b["dialect"]["encoding"] == "utf-8"
    assert files["DCIR/ER_PRS_F.csv"]["dialect"]["date_format"] == "%Y-%m-%d"
    assert m["source"]["skipped"] == [{"rel": "README.md", "reason": "not a table file (.md)"}]
    for table in lake.tables:  # exactly the lake types of the schemas
        assert pq.read_schema(lake.files(table)[0]) == load_schemas().table(table).arrow_schema()
    stays = lake.arrow("T_MCO21B", ["ETA_NUM"])["ETA_NUM"].to_pylist()
    assert "2A0000001" in stays  # a Corsican FINESS: ETA_NUM is text (a documented deviation)


def test_cohort_count_extract_and_validate_run_on_it(lake: Dataset, tmp_path: Path) -> None:
    cohort = Cohort.from_yaml(T2D)
    assert cohort.count(lake) == 3
    assert sorted(cohort.people(lake)["PERSON_KEY"].to_pylist()) == [
        "ANO00000000000001", "ANO00000000000002", "ANO00000000000005"]
    definition = tmp_path / "cohort.yaml"
    definition.write_text(T2D)
    register = tmp_path / "opp.parquet"
    assert runner.invoke(app, ["oppositions", "init", str(register)]).exit_code == 0
    env = {"HYGIE_PSEUDO_SECRET": SECRET.value.hex(), "HYGIE_OPPOSITION_REGISTER": str(register)}
    count = runner.invoke(app, ["cohort", "count", str(definition), "--data", str(lake.path)],
                          env=env)
    assert count.exit_code == 0, count.output
    assert "<11" in count.output  # three people: under the secrecy threshold
    scope = tmp_path / "scope.yaml"
    scope.write_text("project: 2024-0001\ncohort: cohort.yaml\n"
                     "period: {start: 2021-01-01, end: 2021-12-31}\ntables:\n"
                     "  IR_BEN_R: [BEN_SEX_COD, BEN_NAI_ANN]\n  ER_PHA_F: [PHA_PRS_C13]\n"
                     "  T_MCO21B: [DGN_PAL]\n")
    out = tmp_path / "extract"
    result = runner.invoke(app, ["extract", str(scope), "--project", "2024-0001", "--data",
                                 str(lake.path), "--out", str(out), "--oppositions",
                                 str(register)], env=env)
    assert result.exit_code == 0, result.output
    extract = Dataset.open(out, verify=True)
    assert extract.rows("IR_BEN_R") == 3 and extract.rows("T_MCO21B") == 2
    assert extract.rows("ER_PHA_F") == 3  # persons 2 (twice) and 5
    check = runner.invoke(app, ["snds", "validate", str(lake.path)])
    assert check.exit_code == 0 and "OK: 9 tables, 56 rows" in check.output, check.output


@pytest.mark.postgres
def test_load_pg_on_the_ingested_sample(lake: Dataset, pg_dsn: str, pg_schema: str) -> None:
    result = runner.invoke(app, ["snds", "load-pg", str(lake.path), "--schema", pg_schema],
                           env={"HYGIE_PG_DSN": pg_dsn})
    assert result.exit_code == 0, result.output
    with psycopg.connect(pg_dsn) as conn:
        got = conn.execute(f'SELECT count(*) FROM "{pg_schema}"."T_MCO21B" '
                           "WHERE \"ETA_NUM\" LIKE '2A%'").fetchone()
        people = conn.execute(f'SELECT count(*) FROM "{pg_schema}"."IR_BEN_R"').fetchone()
    assert got == (2,) and people == (12,)


def test_cli_reports_dialects_years_and_skipped_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["snds", "ingest", str(SAMPLE), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "warning: skipped README.md" in result.output
    assert "T_MCO21B: 7 rows from PMSI/PMSI MCO/T_MCOaaB.csv [sep ',', utf-8" in result.output
    assert "year 2021 from its SOR_ANN column" in result.output
    assert "ingested 56 rows in 9 tables" in result.output
    again = runner.invoke(app, ["snds", "ingest", str(SAMPLE), "--out", str(tmp_path / "o")])
    assert again.exit_code == 2 and "--force" in again.output
    forced = runner.invoke(app, ["snds", "ingest", str(SAMPLE), "--out", str(tmp_path / "o"),
                                 "--force"])
    assert forced.exit_code == 0, forced.output


# --- names, years, formats --------------------------------------------------------------------


def test_names_in_their_usual_forms() -> None:
    assert resolve_name("er_prs_f") == "ER_PRS_F"
    assert resolve_name("T_MCO21b") == "T_MCO21B"
    assert resolve_name("T_MCOaaB") == resolve_name("t_mcoaab") == "T_MCOaaB"
    with pytest.raises(KeyError):
        resolve_name("T_MCOAAA_NOT")


def test_year_from_option_lower_case_names_upper_case_suffixes_and_parquet(tmp_path: Path) -> None:
    root = tmp_path / "src" / "deep" / "er"
    root.mkdir(parents=True)
    header = "ETA_NUM,RSA_NUM,DGN_PAL\n"
    (root / "t_mcoaab.CSV").write_text(header + "2B0000002,1,E119\n")  # no year in the data
    with pytest.raises(IngestError, match=r"cannot tell the year.*--year"):
        ingest(tmp_path / "src", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    pq.write_table(pa.table({"BEN_NIR_PSA": ["X" * 17], "BEN_RNG_GEM": pa.array([1.0])}),
                   root / "ir_ben_r.parquet")  # a float rank: typed as the schema's integer
    (root / "notes.txt").write_text("not a table")
    (root / "NOT_A_TABLE.csv").write_text("A,B\n1,2\n")
    result = ingest(tmp_path / "src", tmp_path / "out", year=2019)
    assert result.tables() == {"IR_BEN_R": 1, "T_MCO19B": 1}
    assert {s.rel for s in result.skipped} == {"deep/er/notes.txt", "deep/er/NOT_A_TABLE.csv"}
    assert result.dataset.arrow("IR_BEN_R")["BEN_RNG_GEM"].type == pa.int64()
    # the year may also be in a folder's name
    year_dir = tmp_path / "pmsi" / "MCO 2020"
    year_dir.mkdir(parents=True)
    (year_dir / "T_MCOaaB.csv").write_text(header + "750000001,1,E119\n")
    assert [f.table for f in discover(tmp_path / "pmsi").files] == ["T_MCO20B"]


def test_sas_dates_semicolons_and_latin1_are_detected(tmp_path: Path) -> None:
    (tmp_path / "IR_BEN_R.csv").write_bytes(
        b"BEN_NIR_PSA;BEN_RNG_GEM;BEN_DCD_DTE;BEN_RES_COM\n"
        + "AAAAAAAAAAAAAAAA1;1;15MAR2020:00:00:00;Ajaccio é\n".encode("latin-1"))
    result = ingest(tmp_path / "IR_BEN_R.csv", tmp_path / "out")
    d = result.files[0].dialect
    assert d is not None and (d["separator"], d["encoding"], d["date_format"]) == (
        ";", "latin-1", "%d%b%Y:%H:%M:%S")
    row = result.dataset.arrow("IR_BEN_R").to_pylist()[0]
    assert str(row["BEN_DCD_DTE"]) == "2020-03-15" and row["BEN_RES_COM"] == "Ajaccio é"


# --- bad input: a clear error, file line and column, nothing left ------------------------------


def _copy_sample(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(SAMPLE, src)
    return src


def _fails(tmp_path: Path, src: Path, *options: str) -> str:
    out = tmp_path / "lake" / "out"
    result = runner.invoke(app, ["snds", "ingest", str(src), "--out", str(out), *options])
    assert result.exit_code == 2, result.output
    assert not out.exists() and list((tmp_path / "lake").glob(".tmp-*")) == []
    assert "Traceback" not in result.output
    return result.output


def test_a_value_of_the_wrong_type(tmp_path: Path) -> None:
    src = _copy_sample(tmp_path)
    path = src / "DCIR" / "ER_PHA_F.csv"
    lines = path.read_text().splitlines()
    at = lines[0].split(",").index("PHA_ACT_QSN")
    cells = lines[3].split(",")
    cells[at] = "2x"
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    out = _fails(tmp_path, src)
    assert "DCIR/ER_PHA_F.csv: line 4, column PHA_ACT_QSN: '2x' is not an integer" in out


def test_a_truncated_file(tmp_path: Path) -> None:
    src = _copy_sample(tmp_path)
    path = src / "DCIR" / "ER_PRS_F.csv"
    text = path.read_text()
    path.write_text(text[: len(text) - 150])  # cut inside the last line
    out = _fails(tmp_path, src)
    assert "DCIR/ER_PRS_F.csv: line 11:" in out and "Expected Number of Columns" in out


def test_a_wrong_encoding(tmp_path: Path) -> None:
    src = _copy_sample(tmp_path)
    path = src / "Référentiels" / "BE_IDE_R.csv"
    path.write_bytes(path.read_bytes().replace(b"CH INVENTE B", "CH INVENTÉ B".encode("latin-1")))
    out = _fails(tmp_path, src, "--encoding", "utf-8")
    assert "BE_IDE_R.csv: line 3: not valid UTF-8" in out and "--encoding latin-1" in out


def test_a_wrong_separator(tmp_path: Path) -> None:
    out = _fails(tmp_path, _copy_sample(tmp_path), "--sep", ";", "--year", "2021")
    assert "line 1: wrong separator" in out and "on ','" in out


def test_a_sas_file_that_is_not_one(tmp_path: Path) -> None:
    src = _copy_sample(tmp_path)
    (src / "DCIR" / "ER_BIO_F.sas7bdat").write_bytes(b"this is not a SAS table" * 100)
    out = _fails(tmp_path, src)
    assert "DCIR/ER_BIO_F.sas7bdat: not a readable SAS table" in out


def test_the_python_api_raises_and_leaves_nothing(tmp_path: Path) -> None:
    src = _copy_sample(tmp_path)
    (src / "DCIR" / "ER_PHA_F.csv").write_text("DCT_ORD_NUM,FLX_DIS_DTD\n1,not a date\n")
    with pytest.raises(IngestError, match="line 2, column FLX_DIS_DTD: 'not a date' is not a date"):
        ingest(src, tmp_path / "out", csv=CsvOptions())
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".tmp-*"))
