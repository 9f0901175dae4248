"""Dialects render the core's SQL for each engine without running anything: no Spark session,
not even pyspark, is needed to see or test the Spark SQL of a cohort or of a keyed hash."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sqlglot import exp

from hygie.engine.dialects import DIALECTS, DialectError, dialect


def test_spark_sql_of_a_cohort_and_of_a_keyed_hash_without_pyspark():
    code = textwrap.dedent("""
        import sys
        sys.modules["pyspark"] = None  # importing pyspark now fails
        from sqlglot import exp
        from hygie.cohorts import Cohort
        from hygie.engine.dialects import dialect
        cohort = Cohort.from_yaml('''
        name: c
        period: {start: 2021-01-01, end: 2021-12-31}
        codelists: {m: {system: ATC, codes: [A10BA02]}, t1d: {system: CIM10, codes: [E10*]}}
        entry: {dispensed: m}
        exclude: [{diagnosed: t1d}]
        ''')
        print(cohort.sql("spark", pretty=False))
        spark = dialect("spark")
        print(spark.render(spark.hmac_sha256(exp.Placeholder(this="i"), exp.Placeholder(this="o"),
                                             exp.column("PERSON_KEY"))))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    cohort_sql, hmac_sql = out.stdout.strip().splitlines()
    assert "DATEDIFF(" in cohort_sql and "COUNT(CASE WHEN" in cohort_sql
    assert hmac_sql == ("SHA2(CONCAT(:o, UNHEX(SHA2(CONCAT(:i, ENCODE(PERSON_KEY, 'UTF-8')), 256)))"
                        ", 256)")


def test_duckdb_keyed_hash_and_record_key_text():
    duck = DIALECTS["duckdb"]
    hashed = duck.hmac_sha256(exp.Placeholder(this="i"), exp.Placeholder(this="o"),
                              exp.column("PERSON_KEY"))
    assert duck.render(hashed) == "SHA256($o || UNHEX(SHA256($i || ENCODE(PERSON_KEY))))"
    assert duck.render(duck.record_key(exp.column("H"), 8)) == \
        "CAST('0x' || SUBSTRING(H, 1, 8) AS BIGINT)"


def test_an_unknown_dialect_names_the_known_ones():
    with pytest.raises(DialectError, match="choose one of duckdb, spark"):
        dialect("oracle")
