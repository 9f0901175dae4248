"""The synthetic DCIR claims look like real ones: ALD exoneration, pharmacy décomptes of several
lines, hospital outpatient care reported for information, dated tariffs and coding.

Checked with hand-written SQL over the generated files, apart from the generator's code.
"""

from __future__ import annotations

import duckdb
import pytest

from hygie.engine.lake import Dataset
from hygie.snds.persons import DCIR_KEYS
from hygie.snds.validate import validate_dataset
from hygie.synth import knowledge as K
from hygie.synth.generator import SynthParams, generate

KEYS = ", ".join(DCIR_KEYS)
JOIN = " AND ".join(f"d.{k} = prs.{k}" for k in DCIR_KEYS)  # a detail d of its line prs
# Each line's person (BEN_NIR_ANO): pseudo-NIRs change, and ALD rows carry the one of their start.
LINES = """
    WITH person AS (SELECT DISTINCT BEN_NIR_PSA, BEN_RNG_GEM, BEN_NIR_ANO FROM ben)
    SELECT person.BEN_NIR_ANO AS who, prs.* FROM prs JOIN person USING (BEN_NIR_PSA, BEN_RNG_GEM)
"""
ALD = """
    WITH person AS (SELECT DISTINCT BEN_NIR_PSA, BEN_RNG_GEM, BEN_NIR_ANO FROM ben)
    SELECT person.BEN_NIR_ANO AS who, IMB_ALD_NUM AS number, IMB_ALD_DTD AS d0,
           coalesce(IMB_ALD_DTF, DATE '2999-12-31') AS d1
    FROM imb JOIN person USING (BEN_NIR_PSA, BEN_RNG_GEM)
"""


@pytest.fixture(scope="module")
def snds(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    out = tmp_path_factory.mktemp("claims") / "snds"
    ds, _ = generate(SynthParams(patients=4000, seed=5, first_year=2022, last_year=2024,
                                 chunk_size=1500), out, workers=2)
    return ds


@pytest.fixture(scope="module")
def con(snds: Dataset) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    for alias, table in (("prs", "ER_PRS_F"), ("pha", "ER_PHA_F"), ("bio", "ER_BIO_F"),
                         ("ete", "ER_ETE_F"), ("ben", "IR_BEN_R"), ("imb", "IR_IMB_R"),
                         ("ide", "BE_IDE_R")):
        c.read_parquet(snds.glob(table)).create_view(alias)
    c.execute(f"CREATE TABLE line AS {LINES}")
    c.execute(f"CREATE TABLE ald AS {ALD}")
    return c


def one(con: duckdb.DuckDBPyConnection, query: str) -> tuple:
    row = con.execute(query).fetchone()
    assert row is not None
    return row


def test_claims_pass_the_validator(snds):
    report = validate_dataset(snds.path)
    assert report.ok, [i.message for i in report.issues[:5]]
    assert "ER_ETE_F" in snds.tables


def test_exoneration_only_within_an_ald_period(con):
    exonerated, outside, partial = one(con, """
        SELECT count(*),
               count(*) FILTER (NOT EXISTS (SELECT 1 FROM ald a WHERE a.who = l.who
                                            AND l.EXE_SOI_DTD BETWEEN a.d0 AND a.d1)),
               count(*) FILTER (RGO_REM_TAU <> 100 OR BSE_REM_MNT <> BSE_REM_BSE)
        FROM line l WHERE EXO_MTF = 42""")
    assert exonerated > 0 and outside == 0 and partial == 0
    # Nobody without an ALD ever has an exonerated line, nor any other motif.
    assert one(con, "SELECT count(*) FROM prs WHERE EXO_MTF NOT IN (0, 42)") == (0,)


def test_diabetes_care_of_a_diabetic_in_ald_is_exonerated(con):
    antidiabetics = ", ".join(str(K.cip13(i)) for i, d in enumerate(K.DRUGS)
                              if d.atc.startswith("A10"))
    exonerated, lines = one(con, f"""
        SELECT count(*) FILTER (EXO_MTF = 42), count(*)
        FROM line prs JOIN pha d ON {JOIN}
        WHERE d.PHA_PRS_C13 IN ({antidiabetics}) AND prs.DPN_QLF = 0
          AND EXISTS (SELECT 1 FROM ald a WHERE a.who = prs.who AND a.number = 8
                      AND prs.EXE_SOI_DTD BETWEEN a.d0 AND a.d1)""")
    assert lines > 100 and exonerated > 0.9 * lines
    # People in an ALD have both exonerated care (of the ALD) and ordinary care.
    share, = one(con, """
        SELECT avg((EXO_MTF = 42)::INT) FROM line l
        WHERE EXISTS (SELECT 1 FROM ald a WHERE a.who = l.who
                      AND l.EXE_SOI_DTD BETWEEN a.d0 AND a.d1)""")
    assert 0.2 < share < 0.98


def test_pharmacy_decomptes_have_several_lines_that_join_their_details(con):
    decompte = ", ".join(k for k in DCIR_KEYS if k != "PRS_ORD_NUM")
    several, total, coherent = one(con, f"""
        SELECT count(*) FILTER (n > 1), count(*),
               count(*) FILTER (people = 1 AND days = 1 AND first = 1 AND last = n)
        FROM (SELECT count(*) AS n, count(DISTINCT (BEN_NIR_PSA, BEN_RNG_GEM)) AS people,
                     count(DISTINCT EXE_SOI_DTD) AS days, min(PRS_ORD_NUM) AS first,
                     max(PRS_ORD_NUM) AS last
              FROM prs WHERE PRS_NAT_REF BETWEEN 3300 AND 3399 GROUP BY {decompte})""")
    # One person's dispensings of one day, numbered 1..n (the nine keys are unique, below).
    assert coherent == total and several > 0.1 * total
    assert one(con, f"SELECT count(*) - count(DISTINCT ({KEYS})) FROM prs") == (0,)
    for detail in ("pha", "bio", "ete"):
        rows, joined = one(con, f"SELECT (SELECT count(*) FROM {detail}), count(*) "
                                f"FROM {detail} d JOIN prs ON {JOIN}")
        assert rows > 0 and rows == joined, detail


def test_information_lines_are_hospital_outpatient_care(con):
    info, total = one(con, "SELECT count(*) FILTER (DPN_QLF = 71), count(*) FROM prs")
    assert 0.01 * total < info < 0.2 * total
    bad, = one(con, f"""
        SELECT count(*) FROM prs LEFT JOIN ete d ON {JOIN}
        WHERE prs.DPN_QLF = 71 AND (prs.PRS_DPN_QLP <> 71 OR d.ETB_EXE_FIN IS NULL
              OR prs.PFS_EXE_NUM IS NOT NULL OR prs.PRS_PPU_SEC <> 1
              OR prs.PRS_NAT_REF IN (1110, 1111) OR prs.PRS_NAT_REF BETWEEN 3300 AND 3399
              OR d.ETB_EXE_FIN NOT IN (SELECT IDE_ETA_NU8 FROM ide))""")
    assert bad == 0
    # Reported instead of billed: no private line of the same person, day and nature (apart from
    # the odd second lab visit on the same day).
    twin, = one(con, """
        SELECT count(*) FROM prs i WHERE i.DPN_QLF = 71 AND EXISTS (
            SELECT 1 FROM prs b WHERE b.DPN_QLF = 0 AND b.BEN_NIR_PSA = i.BEN_NIR_PSA
              AND b.BEN_RNG_GEM = i.BEN_RNG_GEM AND b.EXE_SOI_DTD = i.EXE_SOI_DTD
              AND b.PRS_NAT_REF = i.PRS_NAT_REF)""")
    assert twin < 0.05 * info
    # Specialist visits, acts and labs are all partly outpatient care; GP visits never.
    shares = dict(con.execute("""
        SELECT PRS_NAT_REF, avg((DPN_QLF = 71)::INT) FROM prs GROUP BY 1""").fetchall())
    assert 0.15 < shares[1112] < 0.35 and 0.1 < shares[3211] < 0.3 and shares[1110] == 0


def test_gp_consultation_is_g_at_its_dated_tariff(con):
    rows = con.execute("""
        SELECT PRS_NAT_REF, CASE WHEN EXE_SOI_DTD < DATE '2023-11-01' THEN 'before'
                                 WHEN EXE_SOI_DTD < DATE '2024-12-22' THEN 'between'
                                 ELSE 'after' END AS period,
               min(BSE_REM_PRU), max(BSE_REM_PRU), min(abs(BSE_REM_BSE)), max(abs(BSE_REM_BSE))
        FROM prs WHERE PRS_NAT_REF IN (1110, 1111) GROUP BY ALL""").fetchall()
    prices = {r[1]: r[2:] for r in rows}
    assert {r[0] for r in rows} == {1110}  # G, never C, since May 2017
    assert prices["before"] == (25.0, 25.0, 25.0, 25.0)
    assert prices["between"] == (26.5, 26.5, 26.5, 26.5)
    assert prices["after"] == (30.0, 30.0, 30.0, 30.0)
    # Refunded at 70%, or 100% in ALD.
    assert {r[0] for r in con.execute(
        "SELECT DISTINCT RGO_REM_TAU FROM prs WHERE PRS_NAT_REF = 1110").fetchall()} == {70, 100}


def test_lab_amounts_are_the_b_coefficients_of_their_tests(con):
    # B coefficients of the NABM tests (approximate NABM values, see hygie.synth.tariffs).
    b = {1577: 20, 552: 5, 592: 7, 996: 20, 1104: 25, 1804: 8, 1208: 26, 1821: 70, 1610: 12,
         1133: 25, 127: 10}
    values = ", ".join(f"({code}, {coef})" for code, coef in b.items())
    wrong, lines, distinct = one(con, f"""
        WITH nabm(code, b) AS (VALUES {values}),
        panel AS (SELECT {KEYS}, sum(nabm.b) AS b FROM bio d JOIN nabm ON d.BIO_PRS_IDE = nabm.code
                  GROUP BY ALL)
        SELECT count(*) FILTER (abs(prs.BSE_REM_BSE - round(d.b * 0.27, 2)) > 0.005
                                OR prs.BSE_REM_PRU <> 0.27 OR prs.PRS_ACT_CFT <> d.b),
               count(*), count(DISTINCT prs.BSE_REM_BSE)
        FROM prs JOIN panel d ON {JOIN} WHERE prs.PRS_NAT_REF = 3211""")
    assert lines > 100 and wrong == 0 and distinct > 3
    assert one(con, "SELECT count(*) FROM bio WHERE BIO_PRS_IDE NOT IN ("
               + ", ".join(map(str, b)) + ")") == (0,)
