"""Shared fixtures.

PostgreSQL tests (`@pytest.mark.postgres`) use the server named by HYGIE_TEST_PG_DSN (default
postgresql://postgres@127.0.0.1:5432/test). Without a reachable server they are skipped, except in
CI (CI=true), where a missing server is a failure rather than a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """A DSN for the test database; skip (fail in CI) when the server cannot be reached."""
    psycopg = pytest.importorskip("psycopg")
    dsn = os.environ.get("HYGIE_TEST_PG_DSN") or DEFAULT_PG_DSN
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        # The DSN may hold a password: say which variable to look at, not its value.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = "HYGIE_TEST_PG_DSN" if "HYGIE_TEST_PG_DSN" in os.environ else DEFAULT_PG_DSN
        msg = f"PostgreSQL not reachable ({where}): {first}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{msg}; CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(msg)
    return dsn


@pytest.fixture
def pg_schema(pg_dsn: str) -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL schema, dropped after the test.

    Schemas whose names start with this one (a test may create `<name>_new`) are dropped too.
    """
    import psycopg
    from psycopg import sql

    name = f"hygie_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            rows = conn.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)",
                                (name,)).fetchall()
            for (schema,) in rows:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


# --- engines and synthetic data shared by the engine, cohort and extraction tests ----------------


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[object]:
    """One Spark session (local mode) for the whole test run: starting one costs ~15 s."""
    from hygie.engine.engines import SparkEngine

    engine = SparkEngine("local[2]")
    yield engine
    engine.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs Spark carries the `spark` marker (`make test-fast` leaves them out)."""
    for item in items:
        if "spark_engine" in getattr(item, "fixturenames", ()) or "[spark" in item.name:
            item.add_marker(pytest.mark.spark)


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> Iterator[object]:
    """Each engine in turn: tests using it must give the same results on both."""
    if request.param == "spark":
        yield request.getfixturevalue("spark_engine")
        return
    from hygie.engine.engines import DuckDBEngine

    duck = DuckDBEngine()
    yield duck
    duck.close()


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    """A small synthetic SNDS with its truth (4,000 people, 2019-2022), made once per run."""
    from hygie.synth.generator import SynthParams, generate

    out = tmp_path_factory.mktemp("synthetic") / "snds"
    return generate(SynthParams(patients=4000, seed=11, first_year=2019, last_year=2022,
                                chunk_size=2000), out, workers=2)


@pytest.fixture(scope="session")
def snds(synthetic: tuple[object, object]) -> object:
    return synthetic[0]


@pytest.fixture(scope="session")
def duck(snds: object) -> Iterator[object]:
    """A DuckDB engine with the SNDS views of the synthetic dataset."""
    from hygie.engine.engines import DuckDBEngine
    from hygie.snds.views import attach_snds

    engine = DuckDBEngine()
    attach_snds(engine, snds)  # type: ignore[arg-type]
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def raw(synthetic: tuple[object, object]) -> Iterator[object]:
    """A plain DuckDB connection on the raw tables and the truth, for hand-written queries: the
    PMSI tables of every year as raw_mco_B, _C, _D, _A (with their year `yr`), the packaged drug
    table as raw_drug, and each truth table as truth_<name>."""
    import duckdb

    from hygie.snds.views import drug_table, pmsi_years

    snds, truth = synthetic
    con = duckdb.connect()
    for table in snds.tables:  # type: ignore[attr-defined]
        con.read_parquet(snds.glob(table)).create_view(table)  # type: ignore[attr-defined]
    for suffix in "BCDA":
        years = pmsi_years(snds, suffix)  # type: ignore[arg-type]
        if years:
            con.execute(f"CREATE VIEW raw_mco_{suffix} AS " + " UNION ALL ".join(
                f"SELECT *, {year} AS yr FROM {table}" for year, table in years.items()))
    con.register("raw_drug", drug_table())
    for table in truth.tables:  # type: ignore[attr-defined]
        con.read_parquet(truth.glob(table)).create_view(f"truth_{table}")  # type: ignore[attr-defined]
    yield con
    con.close()
