"""The SNDS validator: a clean dataset passes, and each planted defect is reported where it is."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from hygie.cli import app
from hygie.engine.lake import MANIFEST, CorruptDataset, DatasetWriter
from hygie.snds.schemas import load_schemas
from hygie.snds.sources import CsvOptions
from hygie.snds.validate import (
    Issue,
    Report,
    ValidationInputError,
    validate_dataset,
    validate_table,
)

NIRS = ["A" * 16 + "1", "A" * 16 + "2", "A" * 16 + "3"]
DCIR_KEYS = ("DCT_ORD_NUM", "FLX_DIS_DTD", "FLX_EMT_NUM", "FLX_EMT_ORD", "FLX_EMT_TYP",
             "FLX_TRT_DTD", "ORG_CLE_NUM", "PRS_ORD_NUM", "REM_TYP_AFF")
Columns = dict[str, list[Any]]


def _dcir_keys(n: int) -> Columns:
    return {"DCT_ORD_NUM": list(range(1, n + 1)), "FLX_DIS_DTD": [date(2019, 2, 1)] * n,
            "FLX_EMT_NUM": [1] * n, "FLX_EMT_ORD": [0] * n, "FLX_EMT_TYP": [1] * n,
            "FLX_TRT_DTD": [date(2019, 1, 15)] * n, "ORG_CLE_NUM": ["01A011010"] * n,
            "PRS_ORD_NUM": [1] * n, "REM_TYP_AFF": [1] * n}


def valid_tables() -> dict[str, Columns]:
    """A tiny consistent SNDS extract; columns not named here are null."""
    return {
        "IR_BEN_R": {"BEN_NIR_PSA": list(NIRS), "BEN_RNG_GEM": [1, 1, 2], "BEN_SEX_COD": [1, 2, 1],
                     "BEN_NAI_ANN": [1950, 1984, 2001], "BEN_NAI_MOI": ["01", "07", "12"],
                     "BEN_DCD_DTE": [None, date(2020, 3, 15), None],
                     "BEN_DCD_AME": [None, "202003", None], "BEN_TOP_CNS": [True, False, None]},
        "ER_PRS_F": {**_dcir_keys(4), "BEN_NIR_PSA": [NIRS[0], NIRS[0], NIRS[1], NIRS[2]],
                     "BEN_RNG_GEM": [1, 1, 1, 2], "PRS_PAI_MNT": [25.0, 12.5, 0.0, 7.25],
                     "PFS_EXE_NUM": ["123456789", None, "12345", None]},
        "ER_PHA_F": {k: v[:2] for k, v in _dcir_keys(4).items()},
        "T_MCO21B": {"ETA_NUM": ["10", "10"], "RSA_NUM": [1, 2], "SOR_ANN": [2021, 2021],
                     "SOR_MOI": ["03", "11"]},
        "T_MCO21C": {"ETA_NUM": ["10", "10"], "RSA_NUM": [1, 2], "NIR_ANO_17": [NIRS[0], NIRS[2]],
                     "ENT_DAT": [date(2021, 3, 1), date(2021, 11, 2)],
                     "EXE_SOI_DTD": [datetime(2021, 3, 1, 10, 30), datetime(2021, 11, 2)]},
    }


def arrow_table(name: str, columns: Columns) -> pa.Table:
    schema = load_schemas().table(name).arrow_schema()
    n = len(next(iter(columns.values())))
    return pa.Table.from_arrays(
        [pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(n, f.type)
         for f in schema], schema=schema)


def write_parquet(root: Path, tables: dict[str, Columns]) -> Path:
    for name, columns in tables.items():
        (root / name).mkdir(parents=True)
        pq.write_table(arrow_table(name, columns), root / name / "part-00000.parquet")
    return root


def _sas(value: Any, fmt: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.strftime("%d%b%Y:%H:%M:%S").upper()
    if isinstance(value, date):
        return value.strftime(fmt).upper() if fmt not in ("default", "%m") \
            else value.strftime("%d%b%Y:00:00:00").upper()
    if isinstance(value, float):
        return str(value).replace(".", ",")  # decimal comma, as in French exports
    return str(value)


def write_csv(path: Path, name: str, columns: Columns) -> Path:
    """An SNDS-style export: `;`, a header, SAS dates, decimal comma, empty = missing."""
    table = arrow_table(name, columns)
    fields = load_schemas().table(name).fields
    lines = [";".join(table.column_names)]
    for row in table.to_pylist():
        lines.append(";".join(_sas(row[f.name], f.format) for f in fields))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def only(report: Report) -> Issue:
    assert len(report.issues) == 1, report.issues
    return report.issues[0]


def test_valid_dataset_is_clean(tmp_path: Path) -> None:
    report = validate_dataset(write_parquet(tmp_path / "ds", valid_tables()))
    assert report.ok, report.issues
    assert report.tables == {"ER_PHA_F": 2, "ER_PRS_F": 4, "IR_BEN_R": 3, "T_MCO21B": 2,
                             "T_MCO21C": 2}
    assert "ER_PRS_F(PFS_EXE_NUM) -> DA_PRA_R(PFS_PFS_NUM)" in report.fks_skipped
    assert "T_MCO21B(ETA_NUM) -> T_MCO21E(ETA_NUM)" in report.fks_skipped
    # the yearly FK T_MCO21C -> T_MCOaaB resolves to T_MCO21B, which is present: checked
    assert not [s for s in report.fks_skipped if s.startswith("T_MCO21C")]


def test_lake_dataset_with_manifest(tmp_path: Path) -> None:
    with DatasetWriter(tmp_path / "lake" / "v0001", kind="snds") as w:
        for name, columns in valid_tables().items():
            pq.write_table(arrow_table(name, columns), w.part_path(name, 0))
        ds = w.commit()
    assert validate_dataset(ds.path).ok
    (ds.path / "IR_BEN_R" / "part-00000.parquet").write_bytes(b"not parquet")
    with pytest.raises(CorruptDataset, match="sha256"):
        validate_dataset(ds.path)


def test_duplicate_primary_key(tmp_path: Path) -> None:
    tables = valid_tables()
    for values in tables["IR_BEN_R"].values():
        values.append(values[0])  # row 3 repeats row 0
    issue = only(validate_dataset(write_parquet(tmp_path, tables)))
    assert (issue.table, issue.column, issue.check) == ("IR_BEN_R", "BEN_NIR_PSA,BEN_RNG_GEM",
                                                        "primary-key")
    assert (issue.file, issue.row, issue.count) == ("IR_BEN_R/part-00000.parquet", 3, 1)
    assert issue.value == f"BEN_NIR_PSA={NIRS[0]}, BEN_RNG_GEM=1"
    assert "first at row 0" in issue.message


def test_null_in_primary_key(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["ER_PRS_F"]["FLX_EMT_ORD"][3] = None  # row 3 is not referenced by ER_PHA_F
    issue = only(validate_dataset(write_parquet(tmp_path, tables)))
    assert (issue.table, issue.column, issue.check, issue.row) == (
        "ER_PRS_F", "FLX_EMT_ORD", "required", 3)


def test_dangling_foreign_key_on_the_nine_dcir_keys(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["ER_PHA_F"]["DCT_ORD_NUM"][1] = 99
    issue = only(validate_dataset(write_parquet(tmp_path, tables)))
    assert (issue.table, issue.check, issue.row) == ("ER_PHA_F", "foreign-key", 1)
    assert issue.column == ",".join(DCIR_KEYS)
    assert issue.file == "ER_PHA_F/part-00000.parquet"
    assert issue.value is not None and issue.value.startswith("DCT_ORD_NUM=99, FLX_DIS_DTD=2019")
    assert "ER_PRS_F" in issue.message


def test_foreign_key_all_null_is_not_checked(tmp_path: Path) -> None:
    tables = valid_tables()
    for key in DCIR_KEYS:
        tables["ER_PHA_F"][key][0] = None
    assert validate_dataset(write_parquet(tmp_path / "a", tables)).ok
    tables["ER_PHA_F"]["FLX_EMT_NUM"][0] = 1  # one key column set: now checked, and dangling
    assert only(validate_dataset(write_parquet(tmp_path / "b", tables))).check == "foreign-key"


def test_dangling_yearly_pmsi_foreign_key(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["T_MCO21C"]["RSA_NUM"][1] = 3
    issue = only(validate_dataset(write_parquet(tmp_path, tables)))
    assert (issue.table, issue.column, issue.row, issue.value) == (
        "T_MCO21C", "ETA_NUM,RSA_NUM", 1, "ETA_NUM=10, RSA_NUM=3")
    assert "T_MCO21B" in issue.message


def test_code_not_in_nomenclature(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["IR_BEN_R"]["BEN_SEX_COD"][2] = 7
    issue = only(validate_dataset(write_parquet(tmp_path, tables)))
    assert (issue.table, issue.column, issue.check, issue.row, issue.value) == (
        "IR_BEN_R", "BEN_SEX_COD", "nomenclature", 2, "7")
    assert "IR_SEX_V" in issue.message


def test_wrong_parquet_type(tmp_path: Path) -> None:
    root = write_parquet(tmp_path, valid_tables())
    path = root / "IR_BEN_R" / "part-00000.parquet"
    table = pq.read_table(path)
    i = table.schema.get_field_index("BEN_RNG_GEM")
    table = table.set_column(i, "BEN_RNG_GEM", table["BEN_RNG_GEM"].cast(pa.string()))
    pq.write_table(table, path)
    issue = only(validate_dataset(root))  # the FK from ER_PRS_F still matches "1" with 1
    assert (issue.table, issue.column, issue.check) == ("IR_BEN_R", "BEN_RNG_GEM", "type")
    assert (issue.file, issue.row, issue.value) == ("IR_BEN_R/part-00000.parquet", None, "string")


def test_codes_compare_as_normalised_values(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["T_MCO21B"]["ENT_PRV"] = ["1", " "]  # blank: missing, not a code
    root = write_parquet(tmp_path, tables)
    # ENT_MOD is a string field (codes '6', '7', '8', ...), BEN_SEX_COD an integer one
    for name, column, values in [("T_MCO21B", "ENT_MOD", [8.0, 8.5]),
                                 ("IR_BEN_R", "BEN_SEX_COD", [1.0, 2.0, 1.0])]:
        path = root / name / "part-00000.parquet"
        table = pq.read_table(path)
        i = table.schema.get_field_index(column)
        pq.write_table(table.set_column(i, column, pa.array(values, pa.float64())), path)
    report = validate_dataset(root)  # 8.0 == '8' and 1.0 == 1; 8.5 is no code
    assert {(i.table, i.column, i.check, i.row, i.value) for i in report.issues} == {
        ("T_MCO21B", "ENT_MOD", "type", None, "double"),
        ("IR_BEN_R", "BEN_SEX_COD", "type", None, "double"),
        ("T_MCO21B", "ENT_MOD", "nomenclature", 1, "8.5")}


def test_missing_and_unexpected_column(tmp_path: Path) -> None:
    root = write_parquet(tmp_path, valid_tables())
    path = root / "IR_BEN_R" / "part-00000.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["BEN_SEX_COD"]), path)
    issue = only(validate_dataset(root))
    assert (issue.table, issue.column, issue.check, issue.file) == (
        "IR_BEN_R", "BEN_SEX_COD", "missing-column", "IR_BEN_R/part-00000.parquet")
    pq.write_table(pq.read_table(path).append_column("EXTRA", pa.array([1, 2, 3])), path)
    checks = {(i.column, i.check) for i in validate_dataset(root).issues}
    assert checks == {("BEN_SEX_COD", "missing-column"), ("EXTRA", "unexpected-column")}


def test_string_too_long_in_second_part_file(tmp_path: Path) -> None:
    root = write_parquet(tmp_path, valid_tables())
    extra = {**_dcir_keys(2), "BEN_NIR_PSA": [NIRS[0]] * 2, "BEN_RNG_GEM": [1, 1],
             "PFS_EXE_NUM": ["123456789", "1234567890"]}
    extra["DCT_ORD_NUM"] = [5, 6]
    pq.write_table(arrow_table("ER_PRS_F", extra), root / "ER_PRS_F" / "part-00001.parquet")
    issue = only(validate_dataset(root))
    assert (issue.table, issue.column, issue.check) == ("ER_PRS_F", "PFS_EXE_NUM", "length")
    assert (issue.file, issue.row, issue.value) == ("ER_PRS_F/part-00001.parquet", 1, "1234567890")


def test_examples_are_capped_but_counted(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["IR_BEN_R"]["BEN_SEX_COD"] = [5, 6, 7]
    report = validate_dataset(write_parquet(tmp_path, tables), max_examples=2)
    assert [(i.row, i.value, i.count) for i in report.issues] == [(0, "5", 3), (1, "6", 3)]
    assert report.violations == 3


def test_csv_round_trip_with_sas_dates(tmp_path: Path) -> None:
    for name, columns in valid_tables().items():
        write_csv(tmp_path / f"{name}.csv", name, columns)
    text = (tmp_path / "IR_BEN_R.csv").read_text()
    assert "15MAR2020:00:00:00" in text and ";202003;" in text
    mco = (tmp_path / "T_MCO21C.csv").read_text()
    assert ";01032021;" in mco and ";01MAR2021:10:30:00;" in mco  # ENT_DAT %d%m%Y, EXE_SOI_DTD
    assert "12,5" in (tmp_path / "ER_PRS_F.csv").read_text()
    report = validate_dataset(tmp_path)
    assert report.ok, report.issues
    assert report.tables["ER_PRS_F"] == 4 and "T_MCO21C(ETA_NUM, RSA_NUM) -> T_MCO21B" \
        "(ETA_NUM, RSA_NUM)" not in report.fks_skipped


def test_csv_date_forms_and_dangling_key_row_numbers(tmp_path: Path) -> None:
    lines = ["BEN_NIR_PSA;BEN_RNG_GEM;BEN_DCD_DTE;BEN_DCD_AME;BEN_NAI_MOI",
             f"{NIRS[0]};1;01JAN2019:00:00:00;201901;01", f"{NIRS[1]};1;01jan2019;2019-01;12",
             f"{NIRS[2]};1;2019-01-01;;"]
    (tmp_path / "IR_BEN_R.csv").write_text("\n".join(lines) + "\n")
    report = validate_table(tmp_path / "IR_BEN_R.csv")
    assert {i.check for i in report.issues} == {"missing-column"}  # only the absent columns
    prs = {**_dcir_keys(2), "BEN_NIR_PSA": [NIRS[0], "B" * 17], "BEN_RNG_GEM": [1, 1]}
    write_csv(tmp_path / "ER_PRS_F.csv", "ER_PRS_F", prs)
    fk = [i for i in validate_dataset(tmp_path).issues if i.check == "foreign-key"]
    assert [(i.table, i.file, i.row) for i in fk] == [("ER_PRS_F", "ER_PRS_F.csv", 2)]


def test_bad_sas_date_in_csv(tmp_path: Path) -> None:
    columns = valid_tables()["IR_BEN_R"]
    path = write_csv(tmp_path / "IR_BEN_R.csv", "IR_BEN_R", columns)
    path.write_text(path.read_text().replace("15MAR2020:00:00:00", "32MAR2020:00:00:00"))
    issue = only(validate_table(path))
    assert (issue.table, issue.column, issue.check) == ("IR_BEN_R", "BEN_DCD_DTE", "type")
    assert (issue.file, issue.row, issue.value) == ("IR_BEN_R.csv", 2, "32MAR2020:00:00:00")


@pytest.mark.parametrize("bad", ["1.5", "1x", "1e3"])
def test_unparsable_integer_in_csv(tmp_path: Path, bad: str) -> None:
    path = write_csv(tmp_path / "IR_BEN_R.csv", "IR_BEN_R", valid_tables()["IR_BEN_R"])
    lines = path.read_text().splitlines()
    at = lines[0].split(";").index("BEN_SEX_COD")
    cells = lines[3].split(";")
    cells[at] = bad
    lines[3] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n")
    issue = only(validate_table(path))
    assert (issue.table, issue.column, issue.check, issue.row, issue.value) == (
        "IR_BEN_R", "BEN_SEX_COD", "type", 3, bad)


def test_unknown_files_are_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "NOT_A_TABLE.csv").write_text("A;B\n1;2\n")
    with pytest.raises(ValidationInputError, match=r"no table found.*NOT_A_TABLE"):
        validate_dataset(tmp_path)
    write_csv(tmp_path / "IR_BEN_R.csv", "IR_BEN_R", valid_tables()["IR_BEN_R"])
    report = validate_dataset(tmp_path)
    assert report.ok and [(s.rel, s.reason) for s in report.skipped] == [
        ("NOT_A_TABLE.csv", "'NOT_A_TABLE' names no SNDS table")]


runner = CliRunner(env={"COLUMNS": "200"})


def test_cli_exit_codes(tmp_path: Path) -> None:
    root = write_parquet(tmp_path / "ok", valid_tables())
    result = runner.invoke(app, ["snds", "validate", str(root)])
    assert result.exit_code == 0, result.output
    assert "OK: 5 tables, 13 rows checked" in result.output
    single = runner.invoke(app, ["snds", "validate", str(root / "IR_BEN_R")])
    assert single.exit_code == 0 and "OK: 1 table, 3 rows" in single.output

    tables = valid_tables()
    tables["IR_BEN_R"]["BEN_SEX_COD"][2] = 7
    bad = write_parquet(tmp_path / "bad", tables)
    result = runner.invoke(app, ["snds", "validate", str(bad), "--max-examples", "1"])
    assert result.exit_code == 1
    assert "BEN_SEX_COD" in result.output and "nomenclature" in result.output

    missing = runner.invoke(app, ["snds", "validate", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no such" in missing.output
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "README.csv").write_text("x\n")
    unknown = runner.invoke(app, ["snds", "validate", str(tmp_path / "odd")])
    assert unknown.exit_code == 2 and "'README' names no SNDS table" in unknown.output


def test_cli_corrupt_manifest(tmp_path: Path) -> None:
    with DatasetWriter(tmp_path / "v0001", kind="snds") as w:
        pq.write_table(arrow_table("IR_BEN_R", valid_tables()["IR_BEN_R"]),
                       w.part_path("IR_BEN_R", 0))
        ds = w.commit()
    assert runner.invoke(app, ["snds", "validate", str(ds.path)]).exit_code == 0
    manifest = ds.path / MANIFEST
    manifest.write_text(manifest.read_text()[:40])
    result = runner.invoke(app, ["snds", "validate", str(ds.path)])
    assert result.exit_code == 2
    assert "unreadable manifest" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    manifest.write_text(json.dumps({"format": "something else", "tables": {}}))
    result = runner.invoke(app, ["snds", "validate", str(ds.path)])
    assert result.exit_code == 2 and "manifest" in result.output


# --- hostile input: links out of the folder, files that are not SNDS, deep manifests -------------


def test_links_out_of_the_dataset_folder_are_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("root:SECRET-HASH:0:0:root:/root:/bin/bash\nsecond:line\n")
    root = write_parquet(tmp_path / "ds", valid_tables())
    (root / "KI_CCI_R.csv").symlink_to(secret)
    result = runner.invoke(app, ["snds", "validate", str(root)])
    assert result.exit_code == 2, result.output
    assert "symbolic link" in result.output and "SECRET" not in result.output
    with pytest.raises(ValidationInputError, match="symbolic link"):
        validate_table(root / "KI_CCI_R.csv")
    (root / "KI_CCI_R.csv").unlink()
    # A table folder, or a part file, linked out of the dataset.
    outside = write_parquet(tmp_path / "outside", {"IR_BEN_R": valid_tables()["IR_BEN_R"]})
    (root / "IR_BEN_R" / "part-00001.parquet").symlink_to(outside / "IR_BEN_R" /
                                                        "part-00000.parquet")
    with pytest.raises(ValidationInputError, match="symbolic link"):
        validate_dataset(root)
    (root / "IR_BEN_R" / "part-00001.parquet").unlink()
    (root / "ER_PHA_F").rename(tmp_path / "ER_PHA_F")
    (root / "ER_PHA_F").symlink_to(tmp_path / "ER_PHA_F")
    with pytest.raises(ValidationInputError, match="symbolic link"):
        validate_dataset(root)
    # A link that stays inside the folder is followed.
    (root / "ER_PHA_F").unlink()
    (tmp_path / "ER_PHA_F").rename(root / ".stash")  # hidden: not a table itself
    (root / "ER_PHA_F").symlink_to(root / ".stash")
    assert validate_dataset(root).ok


def test_what_is_not_an_snds_row_is_not_echoed(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    root.mkdir()
    header = "password=hunter2-" + "x" * 5000 + ";BEN_IDT_ANO;token=abcdef\n"
    (root / "KI_CCI_R.csv").write_text(header + "a;b;c\n", encoding="utf-8")
    result = runner.invoke(app, ["snds", "validate", str(root)])
    assert result.exit_code == 1, result.output
    assert "hunter2" not in result.output and "abcdef" not in result.output
    assert "into 3 columns, 1 of them" in result.output  # the header's shape, not its text
    report = validate_dataset(root)
    assert all(len(i.message) < 300 and len(i.value or "") <= 100 for i in report.issues)
    # Values of SNDS columns are examples, each cut short.
    (root / "KI_CCI_R.csv").write_text("BEN_IDT_ANO;DCD_IDT_TOP\nA;" + "9" * 10_000 + "\n",
                                       encoding="utf-8")
    report = validate_dataset(root)
    issue = next(i for i in report.issues if i.check == "type")
    assert issue.value is not None and len(issue.value) <= 100 and len(issue.message) < 300


def test_cli_deep_or_hostile_manifest_is_a_clean_error(tmp_path: Path) -> None:
    with DatasetWriter(tmp_path / "v0001", kind="snds") as w:
        pq.write_table(arrow_table("IR_BEN_R", valid_tables()["IR_BEN_R"]),
                       w.part_path("IR_BEN_R", 0))
        ds = w.commit()
    manifest = ds.path / MANIFEST
    for text in ("[" * 100_000 + "]" * 100_000, '{"format": ' + "9" * 5000 + "}",
                 json.dumps({"format": "hygie-dataset/1", "tables": {"IR_BEN_R": {
                     "rows": 3, "files": [{"path": "../../../etc/passwd", "rows": 1,
                                           "bytes": 1, "sha256": "x"}]}}})):
        manifest.write_text(text)
        result = runner.invoke(app, ["snds", "validate", str(ds.path)])
        assert result.exit_code == 2, result.output
        assert "manifest" in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) <= 2
        with pytest.raises(CorruptDataset):
            validate_dataset(ds.path)


# --- issue 11: real extracts (the HDH sample's layout), one issue per cause ----------------------


def _hdh(root: Path) -> Path:
    """The valid tables as the HDH lays them out: product folders, commas, ISO dates, generic
    PMSI names with their year in SOR_ANN."""
    for name, columns in valid_tables().items():
        folder = {"IR_BEN_R": "Référentiels", "T_MCO21B": "PMSI/PMSI MCO",
                  "T_MCO21C": "PMSI/PMSI MCO"}.get(name, "DCIR")
        path = root / folder / f"{name.replace('21', 'aa')}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = arrow_table(name, columns)
        if name == "T_MCO21C":
            table = table.set_column(table.schema.get_field_index("SOR_ANN"), "SOR_ANN",
                                     pa.array([2021, 2021], pa.int32()))
        lines = [",".join(table.column_names)]
        for row in table.to_pylist():
            lines.append(",".join("" if v is None else str(int(v) if isinstance(v, bool) else v)
                                  for v in row.values()))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_product_folders_generic_pmsi_names_commas_and_iso_dates(tmp_path: Path) -> None:
    root = _hdh(tmp_path / "hdh")
    (root / "LISEZMOI.pdf").write_bytes(b"%PDF")
    report = validate_dataset(root)
    assert report.ok, report.issues
    assert set(report.tables) == {"ER_PHA_F", "ER_PRS_F", "IR_BEN_R", "T_MCO21B", "T_MCO21C"}
    assert "DCIR/ER_PRS_F.csv" in report.dialects and "','" in report.dialects["DCIR/ER_PRS_F.csv"]
    assert [s.rel for s in report.skipped] == ["LISEZMOI.pdf"]
    result = runner.invoke(app, ["snds", "validate", str(root)])
    assert result.exit_code == 0 and "warning: skipped LISEZMOI.pdf" in result.output


def test_a_wrong_separator_is_one_issue_on_the_first_line(tmp_path: Path) -> None:
    root = _hdh(tmp_path / "hdh")
    report = validate_dataset(root, csv=CsvOptions(sep=";"), year=2021)
    assert {(i.check, i.count) for i in report.issues} == {("separator", 1)}
    assert len(report.issues) == 5  # one per file, no missing columns
    result = runner.invoke(app, ["snds", "validate", str(root), "--sep", ";", "--year", "2021"])
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("separator:") and "wrong separator" in first and "on ','" in first
    assert "missing-column" not in result.output


def test_a_wrong_encoding_is_one_issue(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "IR_BEN_R.csv", "IR_BEN_R", valid_tables()["IR_BEN_R"])
    names = load_schemas().table("IR_BEN_R").field_names
    cells = ["B" * 16 + "9", "1"] + [""] * (len(names) - 2)
    cells[names.index("ORG_AFF_BEN")] = "Montréal"
    path.write_bytes(path.read_bytes() + (";".join(cells) + "\n").encode("latin-1"))
    report = validate_table(path, csv=CsvOptions(encoding="utf-8"))
    issue = only(report)
    assert (issue.check, issue.file) == ("encoding", "IR_BEN_R.csv")
    assert "line 5" in issue.message and "--encoding latin-1" in issue.message
    result = runner.invoke(app, ["snds", "validate", str(path), "--encoding", "utf-8"])
    assert result.output.splitlines()[0].startswith("encoding: IR_BEN_R.csv: not valid utf-8")
    detected = validate_table(path)  # latin-1, read right: the value is checked as a code
    assert [(i.check, i.value) for i in detected.issues] == [("nomenclature", "Montréal")]


def test_a_type_failure_is_one_issue_without_key_or_foreign_key_noise(tmp_path: Path) -> None:
    tables = valid_tables()
    for name, columns in tables.items():
        write_csv(tmp_path / f"{name}.csv", name, columns)
    path = tmp_path / "T_MCO21B.csv"
    lines = path.read_text().splitlines()
    at = lines[0].split(";").index("RSA_NUM")
    cells = lines[1].split(";")
    cells[at] = "1x"
    lines[1] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n")
    report = validate_dataset(tmp_path)
    issue = only(report)  # not also "primary-key field RSA_NUM is empty", nor dangling T_MCO21C
    assert (issue.table, issue.column, issue.check, issue.row, issue.value) == (
        "T_MCO21B", "RSA_NUM", "type", 1, "1x")
    assert any("T_MCO21C(ETA_NUM, RSA_NUM) -> T_MCO21B" in s and "failed its type check" in s
               for s in report.fks_skipped)


def test_corsican_finess_is_accepted(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["T_MCO21B"]["ETA_NUM"] = ["2A0000001", "2B0000002"]
    tables["T_MCO21C"]["ETA_NUM"] = ["2A0000001", "2B0000002"]
    for name, columns in tables.items():
        write_csv(tmp_path / f"{name}.csv", name, columns)
    assert validate_dataset(tmp_path).ok
    assert load_schemas().table("T_MCO21B").field("ETA_NUM").type == "string"


def test_summary_by_check_before_the_details(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["IR_BEN_R"]["BEN_SEX_COD"] = [5, 6, 7]
    tables["ER_PHA_F"]["DCT_ORD_NUM"][1] = 99
    root = write_parquet(tmp_path, tables)
    assert validate_dataset(root).summary() == {"nomenclature": 3, "foreign-key": 1}
    out = runner.invoke(app, ["snds", "validate", str(root)]).output
    assert out.index("issues by check") < out.index("BEN_SEX_COD")
