"""Loading a lake dataset into PostgreSQL: DDL, keys, values, and all-or-nothing failures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hygie.engine.lake import Dataset, DatasetWriter
from hygie.engine.postgres import PostgresLoadError, load_dataset, plan_load, redact_values
from hygie.snds.schemas import load_schemas

psycopg = pytest.importorskip("psycopg")
from psycopg import sql  # noqa: E402

TWIN = "TWINS000000000001"  # two beneficiaries (twins) share this BEN_NIR_PSA
SOLO = "SOLO0000000000002"
D_DIS, D_TRT = dt.date(2021, 2, 1), dt.date(2021, 1, 28)

Rows = dict[str, list[dict[str, Any]]]


def prs_key(i: int) -> dict[str, Any]:
    """The 9 columns of ER_PRS_F's primary key (also ER_PHA_F's link to it)."""
    return {"DCT_ORD_NUM": 1000 + i, "FLX_DIS_DTD": D_DIS, "FLX_EMT_NUM": 1, "FLX_EMT_ORD": i,
            "FLX_EMT_TYP": 1, "FLX_TRT_DTD": D_TRT, "ORG_CLE_NUM": "01C751000",
            "PRS_ORD_NUM": 1, "REM_TYP_AFF": 1}


def base_rows() -> Rows:
    return {
        "IR_BEN_R": [
            {"BEN_NIR_PSA": TWIN, "BEN_RNG_GEM": 1, "BEN_SEX_COD": 1, "BEN_NAI_ANN": 1980,
             "BEN_NAI_MOI": "03", "BEN_IDT_TOP": True, "BEN_RES_COM": ""},
            {"BEN_NIR_PSA": TWIN, "BEN_RNG_GEM": 2, "BEN_SEX_COD": 2, "BEN_NAI_ANN": 1980,
             "BEN_NAI_MOI": "03", "BEN_IDT_TOP": False, "ORG_AFF_BEN": 'a"b,c\nd'},
            {"BEN_NIR_PSA": SOLO, "BEN_RNG_GEM": 1, "BEN_SEX_COD": 2, "BEN_NAI_ANN": 1955,
             "BEN_NAI_MOI": "11", "BEN_DCD_DTE": dt.date(2021, 6, 30), "BEN_DCD_AME": "202106"},
        ],
        "ER_PRS_F": [
            {**prs_key(0), "BEN_NIR_PSA": TWIN, "BEN_RNG_GEM": 1, "PRS_NAT_REF": 1111,
             "EXE_SOI_DTD": dt.date(2021, 1, 15), "PRS_PAI_MNT": 12.34, "BSE_REM_MNT": 0.1 + 0.2},
            {**prs_key(1), "BEN_NIR_PSA": TWIN, "BEN_RNG_GEM": 2, "PRS_NAT_REF": 3317,
             "EXE_SOI_DTD": dt.date(2021, 1, 16), "PRS_PAI_MNT": 7.5, "EXE_SOI_AMD": "202101"},
            {**prs_key(2), "BEN_NIR_PSA": SOLO, "BEN_RNG_GEM": 1, "PRS_NAT_REF": 3317,
             "EXE_SOI_DTD": dt.date(2021, 1, 20), "PRS_PAI_MNT": -3.0},
        ],
        "ER_PHA_F": [
            {**prs_key(1), "PHA_PRS_C13": 3400930000001, "PHA_ACT_QSN": 2, "PHA_ACT_PRU": 4.5},
            {**prs_key(2), "PHA_PRS_C13": 3400930000002, "PHA_ACT_QSN": 1, "PHA_ACT_PRU": 9.99},
        ],
        "T_MCO21B": [
            {"ETA_NUM": "750000001", "RSA_NUM": 1, "DGN_PAL": "I21", "SEJ_NBJ": 3,
             "SOR_ANN": 2021, "SOR_MOI": "04", "GRG_RET": False},
            {"ETA_NUM": "750000001", "RSA_NUM": 2, "DGN_PAL": "J18", "SEJ_NBJ": 0,
             "SOR_ANN": 2021, "SOR_MOI": "05"},
        ],
        "T_MCO21C": [
            {"ETA_NUM": "750000001", "RSA_NUM": 1, "NIR_ANO_17": TWIN, "NIR_RET": False,
             "EXE_SOI_DTD": dt.datetime(2021, 4, 1, 8, 30, 5), "ENT_DAT": dt.date(2021, 4, 1),
             "SOR_AM": "202104"},
            {"ETA_NUM": "750000001", "RSA_NUM": 2, "NIR_ANO_17": SOLO,
             "EXE_SOI_DTD": dt.datetime(2021, 5, 2, 0, 0, 0)},
        ],
    }


def write_dataset(target: Path, rows: Rows) -> Dataset:
    """A lake dataset; ER_PRS_F is split in two parts to load more than one file per table."""
    schemas = load_schemas()
    with DatasetWriter(target, kind="snds", source={"test": "postgres"}) as w:
        for table, table_rows in rows.items():
            schema = schemas.table(table).arrow_schema()
            parts = [table_rows[:2], table_rows[2:]] if table == "ER_PRS_F" else [table_rows]
            for i, part in enumerate(parts):
                pq.write_table(pa.Table.from_pylist(part, schema=schema), w.part_path(table, i))
        return w.commit()


@pytest.fixture
def make_dataset(tmp_path: Path) -> Callable[..., Dataset]:
    counter = iter(range(1000))

    def make(edit: Callable[[Rows], None] | None = None) -> Dataset:
        rows = base_rows()
        if edit:
            edit(rows)
        return write_dataset(tmp_path / f"ds{next(counter)}", rows)

    return make


def tables_in(dsn: str, schema: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", (schema,))]


def query(dsn: str, stmt: sql.Composable | str, params: tuple[Any, ...] = ()) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(stmt, params).fetchall()


EXPECTED_COUNTS = {"IR_BEN_R": 3, "ER_PRS_F": 3, "ER_PHA_F": 2, "T_MCO21B": 2, "T_MCO21C": 2}


# --- the plan: no database needed -------------------------------------------------------------

def test_plan_types_order_and_keys(make_dataset: Callable[..., Dataset]) -> None:
    plan = plan_load(make_dataset(), 'odd "schema"')
    order = plan.order
    assert order.index("IR_BEN_R") < order.index("ER_PRS_F") < order.index("ER_PHA_F")
    assert order.index("T_MCO21B") < order.index("T_MCO21C")

    ben = plan.create_table("IR_BEN_R").as_string(None)
    assert ben.startswith('CREATE TABLE "odd ""schema"""."IR_BEN_R" (')  # quoted, never pasted
    for col in ['"BEN_NIR_PSA" varchar(17)', '"BEN_RNG_GEM" bigint', '"BEN_NAI_ANN" integer',
                '"BEN_NAI_MOI" text', '"BEN_DCD_AME" text', '"BEN_DCD_DTE" date',
                '"BEN_IDT_TOP" boolean']:
        assert col in ben
    assert '"PRS_PAI_MNT" double precision' in plan.create_table("ER_PRS_F").as_string(None)
    mco_c = plan.create_table("T_MCO21C").as_string(None)
    assert '"EXE_SOI_DTD" timestamp' in mco_c and '"ENT_DAT" date' in mco_c

    assert {(k.table, k.fields) for k in plan.primary_keys} == {
        (t, load_schemas().table(t).primary_key)
        for t in ("IR_BEN_R", "ER_PRS_F", "T_MCO21B", "T_MCO21C")}
    assert {(k.table, k.ref_table) for k in plan.foreign_keys} == {
        ("ER_PRS_F", "IR_BEN_R"), ("ER_PHA_F", "ER_PRS_F"), ("T_MCO21C", "T_MCO21B")}
    skipped = {(s.table, s.fields, s.ref_table): s.reason for s in plan.skipped}
    # Twins share BEN_NIR_PSA: it is not a key of IR_BEN_R, PostgreSQL cannot enforce this link.
    assert "not a key of IR_BEN_R" in skipped[("T_MCO21C", ("NIR_ANO_17",), "IR_BEN_R")]
    assert skipped[("ER_PRS_F", ("PFS_EXE_NUM",), "DA_PRA_R")] == \
        "referenced table not in the dataset"
    assert "T_MCO21E" in {s.ref_table for s in plan.skipped}  # the yearly name was resolved


def test_unknown_table_refused(tmp_path: Path) -> None:
    with DatasetWriter(tmp_path / "ds", kind="snds") as w:
        pq.write_table(pa.table({"x": [1]}), w.part_path("NOT_SNDS", 0))
        ds = w.commit()
    with pytest.raises(PostgresLoadError, match="NOT_SNDS: no SNDS schema"):
        plan_load(ds, "s")


def test_redact_values() -> None:
    assert redact_values('Key (A, B)=(TWINS0001, 2) is duplicated.') == \
        "Key (A, B)=(...) is duplicated."
    assert redact_values('invalid input syntax for type bigint: "abc"') == \
        "invalid input syntax for type bigint: (value not shown)"
    assert redact_values('COPY T, line 3, column C: "TWINS0001"') == "COPY T, line 3, column C"


def test_connection_errors_never_show_the_password(make_dataset: Callable[..., Dataset]) -> None:
    ds = make_dataset()
    for dsn in ("postgresql://someone:s3cretpw@127.0.0.1:1/test",  # nothing listens on port 1
                "host=127.0.0.1 port=1 password=s3cretpw bogus"):  # unparsable
        with pytest.raises(PostgresLoadError, match=r"cannot connect|invalid DSN") as info:
            load_dataset(ds, dsn, "s")
        assert "s3cretpw" not in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__


# --- against PostgreSQL -----------------------------------------------------------------------

@pytest.mark.postgres
def test_load_round_trip(make_dataset: Callable[..., Dataset], pg_dsn: str,
                         pg_schema: str) -> None:
    seen: dict[str, tuple[int, int]] = {}
    counts = load_dataset(make_dataset(), pg_dsn, pg_schema,
                          progress=lambda step, done, total: seen.__setitem__(step, (done, total)))
    assert counts == EXPECTED_COUNTS
    assert seen["ER_PRS_F"] == (3, 3) and seen["constraints"] == (7, 7)
    assert tables_in(pg_dsn, pg_schema) == sorted(EXPECTED_COUNTS)
    for table, n in EXPECTED_COUNTS.items():
        stmt = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(pg_schema, table))
        assert query(pg_dsn, stmt) == [(n,)]

    # The constraints, from the catalog: name, kind, table, referenced table, columns.
    cons = query(pg_dsn, """
        SELECT c.conname, c.contype, c.conrelid::regclass::text, c.confrelid,
               c.confrelid::regclass::text,
               array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                     ORDER BY k.i)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = %s AND c.contype IN ('p', 'f')""", (pg_schema,))
    by_name = {name: (kind, ref if refoid else None, cols)
               for name, kind, _table, refoid, ref, cols in cons}
    q = f'{pg_schema}."{{}}"'
    assert by_name == {
        "IR_BEN_R_pkey": ("p", None, ["BEN_NIR_PSA", "BEN_RNG_GEM"]),
        "ER_PRS_F_pkey": ("p", None, list(load_schemas().table("ER_PRS_F").primary_key)),
        "T_MCO21B_pkey": ("p", None, ["ETA_NUM", "RSA_NUM"]),
        "T_MCO21C_pkey": ("p", None, ["ETA_NUM", "RSA_NUM"]),
        "ER_PRS_F_IR_BEN_R_fkey": ("f", q.format("IR_BEN_R"), ["BEN_NIR_PSA", "BEN_RNG_GEM"]),
        "ER_PHA_F_ER_PRS_F_fkey": ("f", q.format("ER_PRS_F"),
                                   list(load_schemas().table("ER_PHA_F").foreign_keys[0].fields)),
        "T_MCO21C_T_MCO21B_fkey": ("f", q.format("T_MCO21B"), ["ETA_NUM", "RSA_NUM"]),
    }

    # Column types as PostgreSQL reports them.
    types = dict(query(pg_dsn, """
        SELECT table_name || '.' || column_name,
               data_type || coalesce('(' || character_maximum_length || ')', '')
        FROM information_schema.columns WHERE table_schema = %s""", (pg_schema,)))
    assert types["IR_BEN_R.BEN_NIR_PSA"] == "character varying(17)"
    assert types["ER_PRS_F.PRS_PAI_MNT"] == "double precision"
    assert types["IR_BEN_R.BEN_NAI_ANN"] == "integer"
    assert types["T_MCO21C.EXE_SOI_DTD"] == "timestamp without time zone"

    # Values round-trip: dates, numbers (bit for bit), strings ("" is not NULL), twins apart.
    def one(table: str, cols: str, where: str, *params: Any) -> tuple:
        stmt = sql.SQL(f"SELECT {cols} FROM {{}} WHERE {where}").format(
            sql.Identifier(pg_schema, table))
        rows = query(pg_dsn, stmt, params)
        assert len(rows) == 1, rows
        return rows[0]

    assert one("ER_PRS_F", '"EXE_SOI_DTD", "PRS_PAI_MNT", "BSE_REM_MNT", "ORG_CLE_NUM", '
               '"FLX_DIS_DTD", "EXE_SOI_AMD"', '"BEN_NIR_PSA" = %s AND "BEN_RNG_GEM" = 1',
               TWIN) == (dt.date(2021, 1, 15), 12.34, 0.1 + 0.2, "01C751000", D_DIS, None)
    assert one("ER_PRS_F", '"PRS_PAI_MNT", "EXE_SOI_AMD"', '"BEN_RNG_GEM" = 2') == (7.5, "202101")
    assert one("IR_BEN_R", '"BEN_RES_COM", "BEN_NAI_MOI", "BEN_IDT_TOP", "ORG_AFF_BEN"',
               '"BEN_RNG_GEM" = 1 AND "BEN_NIR_PSA" = %s', TWIN) == ("", "03", True, None)
    assert one("IR_BEN_R", '"BEN_RES_COM", "ORG_AFF_BEN"', '"BEN_RNG_GEM" = 2') == \
        (None, 'a"b,c\nd')
    assert one("IR_BEN_R", '"BEN_DCD_DTE", "BEN_DCD_AME", "BEN_NAI_ANN"', '"BEN_NIR_PSA" = %s',
               SOLO) == (dt.date(2021, 6, 30), "202106", 1955)
    assert one("T_MCO21C", '"EXE_SOI_DTD", "ENT_DAT", "NIR_RET", "SOR_AM"', '"RSA_NUM" = 1') == \
        (dt.datetime(2021, 4, 1, 8, 30, 5), dt.date(2021, 4, 1), False, "202104")
    assert one("ER_PHA_F", '"PHA_PRS_C13", "PHA_ACT_PRU"', '"FLX_EMT_ORD" = 2') == \
        (3400930000002, 9.99)

    # The link PostgreSQL cannot enforce is documented where readers of the database look.
    [(comment,)] = query(pg_dsn, "SELECT obj_description(%s::regclass, 'pg_class')",
                         (f'{pg_schema}."T_MCO21C"',))
    assert "not enforced" in comment and "NIR_ANO_17" in comment


def assert_failed_cleanly(exc: PostgresLoadError, dsn: str, schema: str, *names: str) -> None:
    msg = str(exc)
    for name in names:
        assert name in msg, msg
    assert "the whole load was rolled back" in msg
    assert tables_in(dsn, schema) == []


@pytest.mark.postgres
def test_dangling_foreign_key_rolls_back_everything(
        make_dataset: Callable[..., Dataset], pg_dsn: str, pg_schema: str) -> None:
    def dangling(rows: Rows) -> None:
        rows["ER_PHA_F"].append({**prs_key(7), "DCT_ORD_NUM": 987654, "PHA_PRS_C13": 1})

    with pytest.raises(PostgresLoadError) as info:
        load_dataset(make_dataset(dangling), pg_dsn, pg_schema)
    assert_failed_cleanly(info.value, pg_dsn, pg_schema, "ER_PHA_F_ER_PRS_F_fkey", "ER_PHA_F",
                          "is not present in table")
    assert "987654" not in str(info.value)  # the offending key is personal data: not shown
    assert isinstance(info.value.__cause__, psycopg.errors.ForeignKeyViolation)


@pytest.mark.postgres
def test_duplicate_primary_key_rolls_back_everything(
        make_dataset: Callable[..., Dataset], pg_dsn: str, pg_schema: str) -> None:
    def duplicate(rows: Rows) -> None:
        rows["ER_PRS_F"].append({**rows["ER_PRS_F"][0], "PRS_PAI_MNT": 1.0})

    new_schema = f"{pg_schema}_new"  # does not exist yet: its creation must be rolled back too
    with pytest.raises(PostgresLoadError) as info:
        load_dataset(make_dataset(duplicate), pg_dsn, new_schema)
    assert_failed_cleanly(info.value, pg_dsn, new_schema, "ER_PRS_F_pkey", "is duplicated")
    assert query(pg_dsn, "SELECT 1 FROM pg_namespace WHERE nspname = %s", (new_schema,)) == []


@pytest.mark.postgres
def test_value_that_does_not_fit_rolls_back_everything(
        make_dataset: Callable[..., Dataset], pg_dsn: str, pg_schema: str) -> None:
    def too_long(rows: Rows) -> None:
        rows["T_MCO21B"][1]["DGN_PAL"] = "J18ABCDE"  # varchar(6)

    with pytest.raises(PostgresLoadError) as info:
        load_dataset(make_dataset(too_long), pg_dsn, pg_schema)
    assert_failed_cleanly(info.value, pg_dsn, pg_schema, "T_MCO21B", "DGN_PAL", "line 2",
                          "character varying(6)")


@pytest.mark.postgres
def test_existing_tables_need_replace(make_dataset: Callable[..., Dataset], pg_dsn: str,
                                      pg_schema: str) -> None:
    load_dataset(make_dataset(), pg_dsn, pg_schema)
    fewer = make_dataset(lambda rows: rows["ER_PHA_F"].pop())
    with pytest.raises(PostgresLoadError, match=r"already holds 5 table\(s\).*replace"):
        load_dataset(fewer, pg_dsn, pg_schema)
    pha = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(pg_schema, "ER_PHA_F"))
    assert query(pg_dsn, pha) == [(2,)]  # untouched

    # A failing replacement leaves the old tables as they were ...
    def broken(rows: Rows) -> None:
        rows["IR_BEN_R"].append(dict(rows["IR_BEN_R"][0]))

    with pytest.raises(PostgresLoadError, match="IR_BEN_R_pkey"):
        load_dataset(make_dataset(broken), pg_dsn, pg_schema, replace=True)
    assert query(pg_dsn, pha) == [(2,)]
    # ... and a good one replaces them.
    assert load_dataset(fewer, pg_dsn, pg_schema, replace=True)["ER_PHA_F"] == 1
    assert query(pg_dsn, pha) == [(1,)]
    assert tables_in(pg_dsn, pg_schema) == sorted(EXPECTED_COUNTS)


@pytest.mark.postgres
def test_cli_load_pg(make_dataset: Callable[..., Dataset], pg_dsn: str, pg_schema: str) -> None:
    from typer.testing import CliRunner

    from hygie.cli import app

    ds = make_dataset()
    runner = CliRunner()
    args = ["snds", "load-pg", str(ds.path), "--schema", pg_schema]
    ok = runner.invoke(app, args, env={"HYGIE_PG_DSN": pg_dsn})
    assert ok.exit_code == 0, ok.output
    assert "ER_PRS_F" in ok.output and "12 rows" in ok.output
    assert tables_in(pg_dsn, pg_schema) == sorted(EXPECTED_COUNTS)

    again = runner.invoke(app, [*args, "--dsn", pg_dsn])
    assert again.exit_code == 2
    assert again.output.strip().count("\n") == 0 and "already holds" in again.output

    assert runner.invoke(app, [*args, "--dsn", pg_dsn, "--replace"]).exit_code == 0

    no_dsn = runner.invoke(app, args, env={"HYGIE_PG_DSN": ""})
    assert no_dsn.exit_code == 2 and "HYGIE_PG_DSN" in no_dsn.output

    secret = runner.invoke(app, args, env={"HYGIE_PG_DSN": "postgresql://u:s3cretpw@127.0.0.1:1/x"})
    assert secret.exit_code == 2 and "s3cretpw" not in secret.output
