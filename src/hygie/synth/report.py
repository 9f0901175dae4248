"""What a synthetic SNDS holds, checked against its truth with DuckDB.

For each condition: how many people truly have it, and how many of those the SNDS would show
through an ALD registration, a specific drug dispensation, or a hospital stay coded with it.
The gap between the truth and each trace is what makes targeting programs imperfect.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from hygie.engine.lake import Dataset
from hygie.snds.persons import DCIR_KEYS
from hygie.synth import knowledge as K

DCIR_JOIN = " AND ".join(f"pha.{k} = prs.{k}" for k in DCIR_KEYS)


@dataclass(frozen=True)
class PrevalenceRow:
    condition: str
    label: str
    people: int
    prevalence: float  # share of the population
    with_ald: int
    with_drug: int
    with_stay: int


def connect(snds: Dataset, truth: Dataset) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per table of both datasets (PMSI years unioned)."""
    con = duckdb.connect()
    for ds in (snds, truth):
        for table in ds.tables:
            con.read_parquet(ds.glob(table)).create_view(table)
    for kind in "BCDA":
        years = sorted(t for t in snds.tables if t.startswith("T_MCO") and t.endswith(kind)
                       and len(t) == 8)
        if years:
            con.read_parquet([str(f) for t in years for f in snds.files(t)],
                             union_by_name=True).create_view(f"MCO_{kind}")
    con.register("drug", pa.table({
        "cip13": [K.cip13(i) for i in range(len(K.DRUGS))], "atc": [d.atc for d in K.DRUGS]}))
    rows = [(c.key, code, kind) for c in K.CONDITIONS
            for kind, codes in (("cim", c.codes), ("atc", c.marker_atc)) for code in codes]
    con.register("marker", pa.table({"condition": [r[0] for r in rows],
                                     "prefix": [r[1] for r in rows],
                                     "kind": [r[2] for r in rows]}))
    return con


def prevalence(snds: Dataset, truth: Dataset) -> list[PrevalenceRow]:
    con = connect(snds, truth)
    sql = f"""
    WITH who AS (SELECT ben_nir_psa, ben_rng_gem, person_id FROM pseudonym),
    ald AS (
        SELECT DISTINCT m.condition, w.person_id
        FROM IR_IMB_R i JOIN who w ON w.ben_nir_psa = i.BEN_NIR_PSA AND w.ben_rng_gem = i.BEN_RNG_GEM
        JOIN marker m ON m.kind = 'cim' AND starts_with(i.MED_MTF_COD, m.prefix)),
    drug_use AS (
        SELECT DISTINCT m.condition, w.person_id
        FROM ER_PHA_F pha JOIN ER_PRS_F prs ON {DCIR_JOIN}
        JOIN drug d ON d.cip13 = pha.PHA_PRS_C13
        JOIN marker m ON m.kind = 'atc' AND starts_with(d.atc, m.prefix)
        JOIN who w ON w.ben_nir_psa = prs.BEN_NIR_PSA AND w.ben_rng_gem = prs.BEN_RNG_GEM
        WHERE prs.DPN_QLF IS DISTINCT FROM 71),
    stay_codes AS (
        SELECT ETA_NUM::VARCHAR AS eta, RSA_NUM::VARCHAR AS rsa, DGN_PAL AS code FROM MCO_B
        UNION ALL SELECT ETA_NUM::VARCHAR, RSA_NUM::VARCHAR, DGN_REL FROM MCO_B
        UNION ALL SELECT ETA_NUM, RSA_NUM, ASS_DGN FROM MCO_D),
    stay AS (
        SELECT DISTINCT m.condition, w.person_id
        FROM stay_codes s JOIN MCO_C c ON c.ETA_NUM::VARCHAR = s.eta AND c.RSA_NUM::VARCHAR = s.rsa
        JOIN marker m ON m.kind = 'cim' AND starts_with(s.code, m.prefix)
        JOIN (SELECT DISTINCT ben_nir_psa, person_id FROM who) w ON w.ben_nir_psa = c.NIR_ANO_17),
    truth AS (SELECT condition, person_id FROM condition)
    SELECT t.condition, count(*) AS people,
           count(a.person_id) AS with_ald, count(d.person_id) AS with_drug,
           count(s.person_id) AS with_stay
    FROM truth t
    LEFT JOIN ald a USING (condition, person_id)
    LEFT JOIN drug_use d USING (condition, person_id)
    LEFT JOIN stay s USING (condition, person_id)
    GROUP BY t.condition
    """
    counts = {r[0]: r[1:] for r in con.execute(sql).fetchall()}
    (population,) = con.execute("SELECT count(*) FROM person").fetchone() or (0,)
    out = []
    for c in K.CONDITIONS:
        n, a, d, s = counts.get(c.key, (0, 0, 0, 0))
        out.append(PrevalenceRow(c.key, c.label, n, n / population if population else 0.0,
                                 a, d, s))
    return out
