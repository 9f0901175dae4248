"""How real the synthetic SNDS looks: each measure against its published French figure.

An independent judge of the generator: it reads the two datasets only (DuckDB over the Parquet
files) and never the generator's rates. The one referential it shares is the packaged CIP13 ->
ATC drug table, as a real study reads IR_PHA_R.

Each measure is taken where it can be: in the truth (what really is) and in the claims (what a
"cartographie des pathologies"-like algorithm sees in the SNDS tables). Definitions:

- The period is the SNDS manifest's `first_year`-`last_year`.
- Person-years: days from birth (or arrival, if the truth has `arrival_date`) to death (or
  `departure_date`), both days counted, clipped to the year, over the days of the year.
- Shares ("% of adults", "% of people") are taken among the people present on 1 July of the
  last year of the period, adults being 18 or more on that day; rates ("per 1,000 per year") are
  events over person-years, summed over the period (or per calendar year where the published
  figure is).
- Claims are linked to people through the truth's pseudonym table (pseudo-NIR and rank for the
  DCIR and ALD, pseudo-NIR only for the PMSI, which has no rank), so that truth and claims share
  one denominator; the data themselves are read as a study would.
- DCIR lines "for information" (`DPN_QLF = 71`) are left out; a line is negative when its
  quantity is or when `BSE_REM_SGN = 2`, so a cancelled-and-billed-again line counts once.
- Hospital stays are PMSI MCO stays (B joined to C within each year's files), sessions (GHM of
  CMD 28) left out unless said otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from hygie.engine.lake import Dataset
from hygie.synth import knowledge as K
from hygie.synth.published import UNIT_SCALE, Published, figure
from hygie.synth.report import DCIR_JOIN

ALD_NATURES = (41, 43, 45)  # IMB_ETM_NAT (IR_ETM_V): listed ALD, off-list, polypathology
GP_SPECIALTIES = (1, 22, 23)  # PSE_SPE_COD (IR_SPE_V): general practice
# PRS_NAT_REF (IR_NAT_V) of a doctor's encounter: consultations C, CS, G, GS, APC, COE,
# teleconsultations TC, TCG, visits V, VS, VG, VGS, VL, APV, VU. Counting natures, not the one
# code the generator happens to use, is what a cartographie-like count does.
GP_NATURES = (1103, 1104, 1109, 1110, 1111, 1112, 1191, 1192,
              1209, 1210, 1211, 1212, 1214, 1215, 1222)
BIG_PACK_UNITS = 84  # "grand conditionnement": a box of three months' tablets or more

# CIM-10 prefixes of the cartographie-like algorithms (ALD reasons and hospital diagnoses).
HEART_FAILURE = ("I50", "I110", "I130", "I132")
ISCHAEMIC = ("I20", "I21", "I22", "I23", "I24", "I25")
ACUTE_STROKE = ("I60", "I61", "I62", "I63", "I64")
STROKE = (*ACUTE_STROKE, "I69")
DIABETES = ("E10", "E11", "E12", "E13", "E14")
DEMENTIA = ("F00", "F01", "F02", "F03", "G30", "G310", "G311", "G318")
BREAST_CANCER = ("C50",)
DIALYSIS_DX = ("Z49",)
DIALYSIS_GHM = ("28Z01", "28Z02", "28Z03", "28Z04")
# Condition keys of the truth's `condition` table.
TRUTH_KEYS = {"heart_failure": ("heart_failure",), "ischaemic_heart_disease": ("coronary",),
              "stroke": ("stroke",), "diabetes": ("t1d", "t2d"), "dementia": ("dementia",),
              "dialysis": ("eskd",), "breast_cancer": ("breast_cancer",)}
# ... less these: end-stage kidney disease covers dialysis and grafts.
TRUTH_EXCLUDED = {"dialysis": ("kidney_graft",)}
NOISE_SE = 3.0  # standard errors of sampling noise allowed around the tolerance band


class RealismError(ValueError):
    """A dataset the measures cannot read (no period in its manifest, tables missing)."""


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # a key of published.UNIT_SCALE
    years: str  # the years measured: "2023", "2019-2023"
    definition: str  # what the truth and the claims count
    published: Published | None
    truth: float | None = None  # a plain share or rate; None where the truth cannot tell
    claims: float | None = None  # likewise for the SNDS tables
    denominator: float = 0.0  # people or person-years behind the values (sampling noise)

    def shown(self, value: float | None) -> float | None:
        return None if value is None else value * UNIT_SCALE[self.unit]

    def text(self, value: float | None) -> str:
        """A value in the measure's unit, three significant digits, "-" when not measured."""
        shown = self.shown(value)
        if shown is None:
            return "-"
        return f"{shown:.3g}%" if self.unit == "%" else f"{shown:.3g}"

    def ratios(self) -> str:
        """Synthetic / published, truth then claims; in brackets a side the figure does not
        judge."""
        if self.published is None:
            return "-"
        judged = {side for side, _ in self.values()}
        out = []
        for side, value in (("truth", self.truth), ("claims", self.claims)):
            r = self.ratio(value)
            text = "-" if r is None else f"{r:.2f}"
            out.append(text if r is None or side in judged else f"({text})")
        return " / ".join(out)

    def verdict(self) -> str:
        """yes / no / "~" (within only once sampling noise is allowed for) / "-" (no figure)."""
        strict, loose = self.within(), self.within(noise=True)
        if strict is None:
            return "-"
        return "yes" if strict else "~" if loose else "no"

    def ratio(self, value: float | None) -> float | None:
        if value is None or self.published is None or not self.published.share:
            return None
        return value / self.published.share

    def values(self) -> list[tuple[str, float]]:
        """(side, value) for each side measured that the published figure judges."""
        judged = self.published.judges if self.published else "both"
        return [(side, v) for side, v in (("truth", self.truth), ("claims", self.claims))
                if v is not None and judged in ("both", side)]

    def expected(self) -> float:
        """Events expected at this size if the published figure held."""
        return self.published.share * self.denominator if self.published else 0.0

    def _side_within(self, value: float, noise: bool) -> bool:
        assert self.published is not None
        slack = self.published.tolerance
        if noise:  # a Poisson count's relative standard error is 1/sqrt(expected events)
            expected = self.expected()
            slack += NOISE_SE / math.sqrt(expected) if expected > 0 else math.inf
        return abs(value / self.published.share - 1) <= slack

    def within(self, noise: bool = False) -> bool | None:
        """Whether every measured side lies within the tolerance of the published figure; with
        `noise`, the band is widened by NOISE_SE standard errors of the count of events the
        published figure predicts at this size.
        None when there is nothing to compare."""
        if self.published is None or not self.published.share or not self.values():
            return None
        return all(self._side_within(v, noise) for _, v in self.values())

    def gaps(self, noise: bool = False) -> list[str]:
        """One line per side out of tolerance, for failure messages."""
        if self.within(noise) is not False or self.published is None:
            return []
        return [f"{self.key} {self.years} ({side}): {self.text(v)} against "
                f"{self.published.value:g} {self.unit} published, ratio {self.ratio(v):.2f} "
                f"({v * self.denominator:,.0f} events, {self.expected():,.0f} expected)"
                for side, v in self.values() if not self._side_within(v, noise)]


def period(snds: Dataset, truth: Dataset) -> range:
    for ds in (snds, truth):
        params = (ds.manifest.get("source") or {}).get("parameters") or {}
        if "first_year" in params and "last_year" in params:
            return range(int(params["first_year"]), int(params["last_year"]) + 1)
    raise RealismError(f"{snds.path}: no first_year/last_year in the manifest's source")


def _any_prefix(column: str, prefixes: Iterable[str]) -> str:
    """A predicate: `column` starts with one of the (constant) prefixes."""
    return "(" + " OR ".join(f"starts_with({column}, '{p}')" for p in prefixes) + ")"


def _signed(quantity: str) -> str:
    return f"CASE WHEN prs.BSE_REM_SGN = 2 THEN -abs({quantity}) ELSE {quantity} END"


def _drug_table() -> pa.Table:
    units = [re.search(r"boite de (\d+)", d.presentation) for d in K.DRUGS]
    return pa.table({"cip13": pa.array([K.cip13(i) for i in range(len(K.DRUGS))], pa.int64()),
                     "atc": [d.atc for d in K.DRUGS],
                     "big": [bool(u and int(u.group(1)) >= BIG_PACK_UNITS) for u in units]})


def connect(snds: Dataset, truth: Dataset, years: range) -> duckdb.DuckDBPyConnection:
    """Views of both datasets, then the few tables every measure starts from."""
    con = duckdb.connect()
    for ds in (snds, truth):
        for table in ds.tables:
            if ds.files(table):
                con.read_parquet(ds.glob(table)).create_view(table)
    needed = {"IR_BEN_R", "ER_PRS_F", "ER_PHA_F", "IR_IMB_R", "person", "pseudonym",
              "condition"}
    missing = needed - set(snds.tables) - set(truth.tables)
    if missing:
        raise RealismError(f"tables missing: {', '.join(sorted(missing))}")
    con.register("drug_ref", _drug_table())
    first, last = years.start, years.stop - 1
    cols = {r[0] for r in con.execute("DESCRIBE person").fetchall()}
    arrival = "coalesce(arrival_date, birth_date)" if "arrival_date" in cols else "birth_date"
    departure = "departure_date" if "departure_date" in cols else "NULL"
    con.execute(f"""
    CREATE TEMP TABLE span AS
        SELECT y, make_date(y, 1, 1) AS y0, make_date(y, 12, 31) AS y1, make_date(y, 7, 1) AS mid,
               date_diff('day', make_date(y, 1, 1), make_date(y + 1, 1, 1)) AS days
        FROM range({first - 5}, {last + 1}) r(y);
    CREATE TEMP TABLE life AS
        SELECT person_id, sex, birth_date, death_date,
               greatest(birth_date, {arrival}) AS first_day,
               least(coalesce(death_date, DATE '9999-12-31'),
                     coalesce({departure}, DATE '9999-12-31')) AS last_day
        FROM person;
    -- One row per person and year of presence: person-years, presence on 1 July, adulthood.
    CREATE TEMP TABLE py AS
        SELECT l.person_id, l.sex, s.y,
               (date_diff('day', greatest(l.first_day, s.y0), least(l.last_day, s.y1)) + 1)
                   / s.days AS py,
               l.first_day <= s.mid AND l.last_day >= s.mid AS at_mid,
               l.birth_date + INTERVAL 18 YEAR <= s.mid AS adult
        FROM life l JOIN span s ON l.first_day <= s.y1 AND l.last_day >= s.y0
        WHERE s.y BETWEEN {first} AND {last};
    CREATE TEMP TABLE who AS
        SELECT DISTINCT ben_nir_psa AS psa, ben_rng_gem::INTEGER AS rng, person_id FROM pseudonym;
    CREATE TEMP TABLE who_psa AS SELECT DISTINCT psa, person_id FROM who;
    -- DCIR lines kept, each with its signed quantity.
    CREATE TEMP TABLE prs AS
        SELECT prs.BEN_NIR_PSA AS psa, prs.BEN_RNG_GEM::INTEGER AS rng,
               prs.EXE_SOI_DTD AS day, year(prs.EXE_SOI_DTD) AS y,
               prs.PSE_SPE_COD AS spe, prs.PRS_NAT_REF AS nature,
               {_signed('prs.PRS_ACT_QTE')} AS qty
        FROM ER_PRS_F prs WHERE prs.DPN_QLF IS DISTINCT FROM 71;
    CREATE TEMP TABLE pha AS
        SELECT prs.BEN_NIR_PSA AS psa, prs.BEN_RNG_GEM::INTEGER AS rng,
               prs.EXE_SOI_DTD AS day, year(prs.EXE_SOI_DTD) AS y, d.atc, d.big,
               {_signed('pha.PHA_ACT_QSN')} AS boxes
        FROM ER_PHA_F pha JOIN ER_PRS_F prs ON {DCIR_JOIN}
        LEFT JOIN drug_ref d ON d.cip13 = pha.PHA_PRS_C13
        WHERE prs.DPN_QLF IS DISTINCT FROM 71;
    CREATE TEMP TABLE ald AS
        SELECT w.person_id, i.MED_MTF_COD AS code, i.IMB_ALD_NUM AS num,
               i.IMB_ALD_DTD AS dtd,
               -- no end, or the SNDS's placeholder end before the start: still running
               CASE WHEN i.IMB_ALD_DTF IS NULL OR i.IMB_ALD_DTF < i.IMB_ALD_DTD
                    THEN DATE '9999-12-31' ELSE i.IMB_ALD_DTF END AS dtf
        FROM IR_IMB_R i JOIN who w ON w.psa = i.BEN_NIR_PSA AND w.rng = i.BEN_RNG_GEM::INTEGER
        WHERE i.IMB_ETM_NAT IN {ALD_NATURES};
    """)
    _stays(con, snds)
    return con


def _stays(con: duckdb.DuckDBPyConnection, snds: Dataset) -> None:
    """`stay`: one row per MCO stay with its discharge year (the year of its files), and `dx`:
    its main (dp), related (dr) and associated (da) diagnoses, with the people it links to."""
    parts, dx = [], []
    for b in sorted(t for t in snds.tables if re.fullmatch(r"T_MCO\d\dB", t)):
        yy, c, d = b[5:7], b[:7] + "C", b[:7] + "D"
        if c not in snds.tables or not snds.files(b) or not snds.files(c):
            continue
        parts.append(f"""
            SELECT {2000 + int(yy)} AS y, b.ETA_NUM::VARCHAR AS eta, b.RSA_NUM::VARCHAR AS rsa,
                   c.NIR_ANO_17 AS psa, b.DGN_PAL AS dp, b.DGN_REL AS dr, b.GRG_GHM AS ghm,
                   b.SOR_MOD AS sor_mod, starts_with(coalesce(b.GRG_GHM, ''), '28') AS session
            FROM {b} b JOIN {c} c
              ON c.ETA_NUM::VARCHAR = b.ETA_NUM::VARCHAR AND c.RSA_NUM::VARCHAR = b.RSA_NUM::VARCHAR""")
        if d in snds.tables and snds.files(d):
            dx.append(f"""
            SELECT s.y, s.eta, s.rsa, s.psa, s.session, 'da' AS kind, d.ASS_DGN AS code
            FROM {d} d JOIN stay s ON s.y = {2000 + int(yy)} AND s.eta = d.ETA_NUM::VARCHAR
                                  AND s.rsa = d.RSA_NUM::VARCHAR""")
    if not parts:
        parts.append("SELECT NULL::INTEGER AS y, NULL AS eta, NULL AS rsa, NULL AS psa, "
                     "NULL AS dp, NULL AS dr, NULL AS ghm, NULL AS sor_mod, NULL::BOOLEAN AS "
                     "session WHERE false")
    con.execute("CREATE TEMP TABLE stay AS " + " UNION ALL ".join(parts))
    dx = [f"SELECT y, eta, rsa, psa, session, '{k}' AS kind, {k} AS code FROM stay"
          for k in ("dp", "dr")] + dx
    con.execute(f"""
    CREATE TEMP TABLE dx AS
        SELECT x.*, w.person_id FROM ({' UNION ALL '.join(dx)}) x
        JOIN who_psa w ON w.psa = x.psa WHERE x.code IS NOT NULL""")


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int | float | None, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def _share(k: int | float | None, n: int | float | None) -> float | None:
    return float(k or 0) / float(n) if n else None


# --- population -------------------------------------------------------------------------------

def _demography(con: duckdb.DuckDBPyConnection, years: range) -> list[Measure]:
    """Births and deaths per 1,000 person-years, each calendar year."""
    out = []
    for y in years:
        (person_years, born, died) = _one(con, f"""
            SELECT (SELECT sum(py) FROM py WHERE y = {y}),
                   (SELECT count(*) FROM life WHERE year(birth_date) = {y}
                                                 AND first_day = birth_date),
                   (SELECT count(*) FROM life WHERE year(death_date) = {y}
                                                 AND death_date <= last_day)""")
        # The claims: beneficiaries born or dead in the year, one per person (a person whose
        # pseudo-NIR changed has two IR_BEN_R rows with one BEN_IDT_ANO).
        (ben_born, ben_died) = _one(con, f"""
            SELECT count(DISTINCT id) FILTER (WHERE BEN_NAI_ANN = {y}),
                   count(DISTINCT id) FILTER (WHERE year(BEN_DCD_DTE) = {y})
            FROM (SELECT *, coalesce(BEN_IDT_ANO, BEN_NIR_PSA || BEN_RNG_GEM::VARCHAR) AS id
                  FROM IR_BEN_R)""")
        for key, label, truth_n, claims_n, what in (
                ("birth_rate", "Births per 1,000 inhabitants", born, ben_born,
                 "truth: people born in the year; claims: IR_BEN_R beneficiaries with "
                 "BEN_NAI_ANN the year; over the year's person-years"),
                ("death_rate", "Deaths per 1,000 inhabitants", died, ben_died,
                 "truth: deaths in the year; claims: IR_BEN_R beneficiaries with BEN_DCD_DTE "
                 "in the year; over the year's person-years")):
            out.append(Measure(key, label, "per 1,000", str(y), what, figure(key, y),
                               _share(truth_n, person_years), _share(claims_n, person_years),
                               float(person_years or 0)))
    return out


# --- care volumes -----------------------------------------------------------------------------

def _volumes(con: duckdb.DuckDBPyConnection, years: range) -> list[Measure]:
    first, last = years.start, years.stop - 1
    span = f"{first}-{last}" if first != last else str(first)
    (person_years,) = _one(con, "SELECT sum(py) FROM py")
    (boxes,) = _one(con, f"SELECT sum(boxes) FROM pha WHERE y BETWEEN {first} AND {last}")
    (visits,) = _one(con, f"""
        SELECT sum(qty) FROM prs WHERE y BETWEEN {first} AND {last}
        AND spe IN {GP_SPECIALTIES} AND nature IN {GP_NATURES}""")
    (stays,) = _one(con, f"""
        SELECT count(*) FROM stay WHERE NOT session AND y BETWEEN {first} AND {last}""")
    (patients,) = _one(con, f"""
        SELECT count(*) FROM (SELECT DISTINCT s.y, w.person_id FROM stay s
                              JOIN who_psa w ON w.psa = s.psa
                              JOIN py ON py.person_id = w.person_id AND py.y = s.y
                              WHERE NOT s.session AND s.y BETWEEN {first} AND {last})""")
    # Deaths of the period (truth) that end an MCO stay (SOR_MOD 9, sessions included).
    (deaths, in_mco) = _one(con, f"""
        WITH dead AS (SELECT person_id FROM life
                      WHERE year(death_date) BETWEEN {first} AND {last}
                        AND death_date <= last_day)
        SELECT count(*), count(*) FILTER (WHERE person_id IN (
            SELECT w.person_id FROM stay s JOIN who_psa w ON w.psa = s.psa
            WHERE s.sor_mod = '9' AND s.y BETWEEN {first} AND {last}))
        FROM dead""")
    last_y = last
    (present, no_gp) = _one(con, f"""
        WITH seen AS (SELECT w.person_id FROM prs
                      JOIN who w ON w.psa = prs.psa AND w.rng = prs.rng
                      WHERE prs.y = {last_y} AND spe IN {GP_SPECIALTIES}
                        AND nature IN {GP_NATURES}
                      GROUP BY w.person_id HAVING sum(qty) > 0)
        SELECT count(*), count(*) FILTER (WHERE person_id NOT IN (SELECT person_id FROM seen))
        FROM py WHERE y = {last_y} AND at_mid""")

    def claims(key: str, label: str, unit: str, k: float | int | None, n: float | int | None,
               what: str, when: str = span) -> Measure:
        return Measure(key, label, unit, when, what, figure(key), None, _share(k, n),
                       float(n or 0))

    return [
        claims("drug_boxes", "Reimbursed drug boxes per person-year", "per person-year",
               boxes, person_years, "claims: boxes of ER_PHA_F (PHA_ACT_QSN, signed), care "
               "dates in the period, over the period's person-years"),
        claims("mco_stays", "MCO stays per 1,000 per year, sessions excluded", "per 1,000",
               stays, person_years, "claims: PMSI MCO stays discharged in the period, GHM "
               "CMD 28 left out, over person-years"),
        claims("hospitalised", "People with an MCO stay in the year, sessions excluded", "%",
               patients, person_years, "claims: people with a non-session stay in each year, "
               "over the year's person-years, summed over the period"),
        claims("gp_visits", "GP consultations and visits per person-year", "per person-year",
               visits, person_years, "claims: ER_PRS_F lines of GPs (PSE_SPE_COD 1, 22, 23) "
               "of a consultation, teleconsultation or visit nature, signed quantities"),
        claims("no_gp_visit", "People with no GP consultation in the year", "%", no_gp,
               present, "claims: people present on 1 July with no GP encounter in the year "
                        "(no published figure: a check of dispersion)", str(last_y)),
        claims("deaths_in_hospital", "Deaths ending an MCO stay (SOR_MOD 9)", "%", in_mco,
               deaths, "claims: of the period's deaths (truth), those the PMSI shows as an "
                       "MCO stay ending with death"),
    ]


# --- conditions -------------------------------------------------------------------------------

def _truth_prevalence(con: duckdb.DuckDBPyConnection, key: str, pop: str,
                      y: int) -> tuple[int, int]:
    def having(keys: tuple[str, ...]) -> str:
        names = ", ".join(f"'{k}'" for k in keys) or "NULL"
        return f"""SELECT person_id FROM condition
                   WHERE condition IN ({names}) AND onset_date <= make_date({y}, 12, 31)"""

    n, k = _one(con, f"""
        SELECT count(*), count(*) FILTER (WHERE person_id IN ({having(TRUTH_KEYS[key])})
                                            AND person_id NOT IN (
                                                {having(TRUTH_EXCLUDED.get(key, ()))}))
        FROM ({pop})""")
    return int(n or 0), int(k or 0)


def _treated(atc: str, y0: int, y1: int) -> str:
    """People with >= 3 dispensing days of `atc` drugs in one year of [y0, y1] (2 if one box
    is a big pack): the cartographie's rule for a drug-treated chronic disease."""
    return f"""
        SELECT DISTINCT person_id FROM (
            SELECT w.person_id, pha.y, count(*) AS days, bool_or(big) AS big FROM (
                SELECT psa, rng, y, day, bool_or(big) AS big FROM pha
                WHERE starts_with(atc, '{atc}') AND y BETWEEN {y0} AND {y1}
                GROUP BY psa, rng, y, day HAVING sum(boxes) > 0) pha
            JOIN who w ON w.psa = pha.psa AND w.rng = pha.rng
            GROUP BY w.person_id, pha.y)
        WHERE days >= 3 OR (days >= 2 AND big)"""


def _ald(codes: tuple[str, ...], y: int, extra: str = "") -> str:
    return f"""
        SELECT person_id FROM ald
        WHERE ({_any_prefix('code', codes)} {extra})
          AND dtd <= make_date({y}, 12, 31) AND dtf >= make_date({y}, 1, 1)"""


def _hospital(codes: tuple[str, ...], y0: int, y1: int, kinds: str = "'dp', 'dr'") -> str:
    return f"""
        SELECT person_id FROM dx
        WHERE kind IN ({kinds}) AND y BETWEEN {y0} AND {y1} AND {_any_prefix('code', codes)}"""


def _conditions(con: duckdb.DuckDBPyConnection, years: range) -> list[Measure]:
    y = years.stop - 1
    adults = f"SELECT person_id FROM py WHERE y = {y} AND at_mid AND adult"
    everyone = f"SELECT person_id FROM py WHERE y = {y} AND at_mid"
    diabetes_claims = " UNION ".join((
        _treated("A10", y - 1, y), _ald(DIABETES, y, "OR num = 8"),
        _hospital(DIABETES, y - 1, y, "'dp', 'dr', 'da'")))
    dementia_claims = " UNION ".join((
        _treated("N06D", y, y), _ald(DEMENTIA, y),
        _hospital(DEMENTIA, y - 4, y, "'dp', 'dr', 'da'")))
    dialysis_claims = f"""
        SELECT w.person_id FROM stay s JOIN who_psa w ON w.psa = s.psa
        WHERE s.y = {y} AND ({_any_prefix('s.dp', DIALYSIS_DX)}
                             OR {_any_prefix('s.ghm', DIALYSIS_GHM)})
        GROUP BY w.person_id HAVING count(*) >= 3"""
    specs = (
        ("heart_failure", "Heart failure, people of 18 or more", adults,
         _ald(HEART_FAILURE, y) + " UNION " + _hospital(HEART_FAILURE, y - 4, y),
         "ALD I50 running in the year, or a stay with I50 as main or related diagnosis in the "
         "year or the 4 before"),
        ("ischaemic_heart_disease", "Ischaemic heart disease, people of 18 or more", adults,
         _ald(ISCHAEMIC, y) + " UNION " + _hospital(ISCHAEMIC, y - 4, y),
         "ALD I20-I25 running, or a stay with I20-I25 as main or related diagnosis in 5 years"),
        ("stroke", "Stroke (history of), people of 18 or more", adults,
         _ald(STROKE, y) + " UNION " + _hospital(STROKE, y - 4, y),
         "ALD I60-I64/I69 running, or a stay with one as main or related diagnosis in 5 years"),
        ("diabetes", "Diabetes (cartographie-like), all ages", everyone, diabetes_claims,
         ">= 3 A10 dispensing days in the year or the one before (2 with a big pack), or ALD "
         "8/E10-E14 running, or a stay with E10-E14 in 2 years"),
        ("dementia", "Dementia (cartographie-like), all ages", everyone, dementia_claims,
         ">= 3 N06D dispensing days, or ALD for dementia running, or a stay with a dementia "
         "code in 5 years"),
        ("dialysis", "People on dialysis, all ages", everyone, dialysis_claims,
         ">= 3 dialysis sessions (main diagnosis Z49 or GHM 28Z01-28Z04) in the year"),
    )
    out = []
    for key, label, pop, claims_sql, what in specs:
        n, k = _truth_prevalence(con, key, pop, y)
        (c,) = _one(con, f"SELECT count(*) FROM ({pop}) WHERE person_id IN ({claims_sql})")
        out.append(Measure(key, label, "%", str(y), f"truth: condition, onset by the end of "
                           f"the year, among people present on 1 July; claims: {what}",
                           figure(key), _share(k, n), _share(c, n), n))

    # Drug-treated diabetics with an ALD for diabetes (claims only).
    (treated, with_ald) = _one(con, f"""
        WITH t AS ({_treated('A10', y, y)})
        SELECT count(*), count(*) FILTER (WHERE person_id IN ({_ald(DIABETES, y, 'OR num = 8')}))
        FROM t WHERE person_id IN ({everyone})""")
    out.append(Measure("diabetics_with_ald", "Drug-treated diabetics with an ALD for diabetes",
                       "%", str(y), "claims: of the people with >= 3 A10 dispensing days (2 with "
                       "a big pack) in the year, those with ALD 8/E10-E14 running",
                       figure("diabetics_with_ald"), None, _share(with_ald, treated),
                       float(treated or 0)))
    (present, any_ald) = _one(con, f"""
        SELECT count(*), count(*) FILTER (WHERE person_id IN (
            SELECT person_id FROM ald
            WHERE dtd <= make_date({y}, 12, 31) AND dtf >= make_date({y}, 1, 1)))
        FROM ({everyone})""")
    out.append(Measure("ald", "People with an ALD running in the year", "%", str(y),
                       "claims: people present on 1 July with an IR_IMB_R line (IMB_ETM_NAT 41, "
                       "43, 45) running in the year", figure("ald"), None,
                       _share(any_ald, present), float(present or 0)))
    return out + _incidences(con, years)


def _incidences(con: duckdb.DuckDBPyConnection, years: range) -> list[Measure]:
    """First events per person-year over the period: strokes in hospital, breast cancers."""
    first, last = years.start, years.stop - 1
    span = f"{first}-{last}" if first != last else str(first)
    (adult_py, stroke_truth, stroke_claims) = _one(con, f"""
        SELECT (SELECT sum(py) FROM py WHERE adult),
               (SELECT count(*) FROM condition c JOIN py ON py.person_id = c.person_id
                AND py.y = year(c.onset_date) AND py.adult WHERE c.condition = 'stroke'),
               (SELECT count(*) FROM (
                    SELECT DISTINCT dx.y, dx.person_id FROM dx
                    JOIN py ON py.person_id = dx.person_id AND py.y = dx.y AND py.adult
                    WHERE dx.kind = 'dp' AND NOT dx.session
                      AND {_any_prefix('dx.code', ACUTE_STROKE)}))""")
    (women_py, breast_truth, breast_claims) = _one(con, f"""
        SELECT (SELECT sum(py) FROM py WHERE sex = 2),
               (SELECT count(*) FROM condition c JOIN py ON py.person_id = c.person_id
                AND py.y = year(c.onset_date) AND py.sex = 2
                WHERE c.condition = 'breast_cancer'),
               (SELECT count(*) FROM (
                    SELECT person_id, min(dtd) AS since FROM ald
                    WHERE {_any_prefix('code', BREAST_CANCER)} GROUP BY person_id) a
                JOIN py ON py.person_id = a.person_id AND py.y = year(a.since) AND py.sex = 2)""")
    return [
        Measure("stroke_hospitalised", "People hospitalised for stroke per 100,000 adults "
                "per year", "per 100,000", span, "truth: first strokes (onset) in the year; "
                "claims: people with a stay with I60-I64 as main diagnosis in the year; over "
                "adult person-years", figure("stroke_hospitalised"),
                _share(stroke_truth, adult_py), _share(stroke_claims, adult_py),
                float(adult_py or 0)),
        Measure("breast_cancer_incidence", "New breast cancers per 100,000 women per year",
                "per 100,000", span, "truth: onsets in the year; claims: first ALD line with "
                "C50 starting in the year; over women's person-years",
                figure("breast_cancer_incidence"), _share(breast_truth, women_py),
                _share(breast_claims, women_py), float(women_py or 0)),
    ]


def measure(snds: Dataset, truth: Dataset) -> list[Measure]:
    """Every measure of realism of a synthetic SNDS and its truth."""
    years = period(snds, truth)
    con = connect(snds, truth, years)
    try:
        return _demography(con, years) + _volumes(con, years) + _conditions(con, years)
    finally:
        con.close()


def out_of_tolerance(measures: list[Measure], noise: bool = True) -> list[str]:
    return [gap for m in measures for gap in m.gaps(noise)]
