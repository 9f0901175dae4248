"""Statistics of a lake dataset holding the SNDS, for its catalogue page, under statistical secrecy.

`compute(dataset, progress)` measures the dataset with DuckDB (`hygie.snds.views.attach_snds`) and
returns figures that may be published:

- `individuals`: people of the beneficiary table IR_BEN_R (one per BEN_NIR_ANO);
- `records`: care records, that is DCIR benefit lines (ER_PRS_F) and PMSI MCO stays (T_MCOaaC);
- `years`: per year, the records of the year (DCIR by care date EXE_SOI_DTD, PMSI by file year) and
  the people with at least one of them;
- `age_pyramid`: people by 5-year age band and sex, the age being the one reached in the last year
  with records (`age_year`), or in the year of death when earlier; `age_min` and `age_max` are the
  5th and 95th percentiles of that age;
- `top_codes`: the ten most frequent ATC substances (pharmacy), CIM-10 diagnoses (hospital stays
  and long-term illnesses) and CCAM acts (in town and in hospital), by people, with the event
  definitions and quality filters of the targeting language (`hygie.cohorts.events`).

Exact figures stay inside this module: `compute` measures them (`ExactFigures`), each count with
its cell key (the sum of its people's record keys, computed in the engine), and passes them through
`release`, which applies the SNDS rule and the cell key of feasibility counts (`hygie.sdc`):

- which counts are hidden is decided on the exact figures, as below; every count that is not hidden
  is then released by `CellKey.release_sum`: perturbed by its cell key and rounded to 5, and hidden
  when that is under 11 (zeros included). No exact count is published;
- every count of 1 to 10 is hidden (None);
- the age pyramid is protected as a table with its margins (`protect_table`), people of unknown age
  or sex included as cells of their own, so that no hidden cell can be recomputed from the totals;
  `individuals` is that table's grand total;
- records by year are a 1-way table whose total is `records`, protected the same way;
- counts of a subset of the individuals (people of a year, people with a code) are also hidden when
  they fall short of `individuals` by 1 to 10: the difference would count the few left out;
- top codes are chosen among codes with at least 11 people only, and listed by their released
  count (so that their order says nothing more than the released figures);
- an age percentile (an age, not a count) is shown only when at least 11 people are at or beyond it
  on each side.

Cell keys: a count of people has the sum of their record keys (each person once); a count of
records has the sum over its records of their person's record key, so that the records and the
people of a year get independent noise. Each person's record key is computed once
(`CellKey.query` grouped by person) and joined to the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hygie.engine.engines import Engine
from hygie.engine.lake import Dataset
from hygie.sdc import KEY_MODULUS, THRESHOLD, TOTAL, CellKey, SdcError, protect_table, suppress

Progress = Callable[[int, str], None]
"""progress(percent, step): called as the work advances; `step` is one of STEPS."""

STEPS = ("open", "people", "years", "ages", "codes:ATC", "codes:CIM10", "codes:CCAM", "secrecy",
         "done")
BAND_WIDTH = 5
OLDEST_BAND = 95  # the last band is open: 95+
BANDS = (*(f"{lo}-{lo + BAND_WIDTH - 1}" for lo in range(0, OLDEST_BAND, BAND_WIDTH)),
         f"{OLDEST_BAND}+")
UNKNOWN = "unknown"
SEXES = ("1", "2")  # BEN_SEX_COD: 1 male, 2 female; anything else counts as unknown
TOP = 10
PERCENTILES = (0.05, 0.95)
SECRECY = "cell-key"  # the `secrecy` of a result whose counts went through the cell key

# Event sources of the targeting language, by code system (see hygie.cohorts.events.SOURCES).
CODE_SOURCES: dict[str, tuple[str, ...]] = {
    "ATC": ("dcir_pharmacy",),
    "CIM10": ("pmsi_main", "pmsi_related", "pmsi_associated", "ald"),
    "CCAM": ("dcir_act", "pmsi_act"),
}


class StatsError(ValueError):
    """The dataset cannot be measured; the message says why."""


@dataclass(frozen=True)
class ExactFigures:
    """What the dataset holds, exactly: never published as such, only through `release`.

    `people_by_age_sex` maps (band, sex) to people, with UNKNOWN for a missing band or sex;
    `records_by_year` maps a year (UNKNOWN when undated) to records; `ages` is a histogram
    age -> people of the known ages; `codes` maps a system to (code, people) pairs, most
    frequent first. The `*_keys` mappings give the cell key of each count (the sum of its record
    keys modulo 2^32; 0 when absent).
    """

    people_by_age_sex: Mapping[tuple[str, str], int] = field(default_factory=dict)
    records_by_year: Mapping[int | str, int] = field(default_factory=dict)
    people_by_year: Mapping[int, int] = field(default_factory=dict)
    ages: Mapping[int, int] = field(default_factory=dict)
    age_year: int | None = None
    codes: Mapping[str, list[tuple[str, int]]] = field(default_factory=dict)
    people_keys: Mapping[tuple[str, str], int] = field(default_factory=dict)
    records_keys: Mapping[int | str, int] = field(default_factory=dict)
    people_by_year_keys: Mapping[int, int] = field(default_factory=dict)
    code_keys: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


def compute(dataset: Dataset, progress: Progress | None = None, *, cell_key: CellKey,
            top: int = TOP, threads: int | None = None,
            memory_limit: str | None = None) -> dict[str, Any]:
    """The published statistics of a lake dataset holding the SNDS (see the module's doc).
    `cell_key` is the platform's (`CellKey.from_secret`), the one feasibility counts use."""
    report = progress or (lambda percent, step: None)
    report(0, "open")
    if "IR_BEN_R" not in dataset.tables:
        raise StatsError(f"{dataset.path}: no IR_BEN_R table; statistics need the SNDS "
                         "beneficiary table")
    from hygie.snds.views import open_snds

    with open_snds(dataset, "duckdb", threads=threads, memory_limit=memory_limit) as engine:
        exact = measure(engine, dataset, report, cell_key=cell_key, top=top)
    report(95, "secrecy")
    out = release(exact, cell_key, top=top)
    report(100, "done")
    return out


def measure(engine: Engine, dataset: Dataset, report: Progress, *, cell_key: CellKey,
            top: int = TOP) -> ExactFigures:
    """The exact figures and their cell keys, from an engine where `attach_snds(engine, dataset)`
    has run."""
    from hygie.snds.views import pmsi_years

    report(5, "people")
    engine.materialize("STAT_PERSON", PERSON_SQL)
    # Each person's record key, hashed once: grouped by the person, the cell key's query gives
    # one row per person whose key sum is that person's record key. Only sums leave the engine.
    engine.materialize("STAT_KEY", cell_key.query(engine, "SELECT PERSON_KEY FROM STAT_PERSON",
                                                  "PERSON_KEY", by=["PERSON_KEY"]))
    report(15, "years")
    dcir = "ER_PRS_F" in dataset.tables
    pmsi = bool(pmsi_years(dataset, "C"))
    records: dict[int | str, int] = {}
    records_keys: dict[int | str, int] = {}
    people_by_year: dict[int, int] = {}
    people_by_year_keys: dict[int, int] = {}
    for row in engine.arrow(records_sql(dcir, pmsi)).to_pylist():
        year = UNKNOWN if row["YEAR"] is None else int(row["YEAR"])
        records[year], records_keys[year] = int(row["N"]), int(row["K"])
    for row in engine.arrow(people_by_year_sql(dcir, pmsi)).to_pylist():
        people_by_year[int(row["YEAR"])] = int(row["N"])
        people_by_year_keys[int(row["YEAR"])] = int(row["K"])
    known = [y for y in records if isinstance(y, int)]
    age_year = max(known) if known else None

    report(35, "ages")
    by_cell: dict[tuple[str, str], int] = {}
    cell_keys: dict[tuple[str, str], int] = {}
    ages: dict[int, int] = {}
    for row in engine.arrow(ages_sql(age_year)).to_pylist():
        age, sex, n = row["AGE"], row["SEX"], int(row["N"])
        band = UNKNOWN if age is None else band_of(int(age))
        key = (band, str(sex) if sex is not None else UNKNOWN)
        by_cell[key] = by_cell.get(key, 0) + n
        cell_keys[key] = (cell_keys.get(key, 0) + int(row["K"])) % KEY_MODULUS
        if age is not None:
            ages[int(age)] = ages.get(int(age), 0) + n

    codes: dict[str, list[tuple[str, int]]] = {}
    code_keys: dict[str, dict[str, int]] = {}
    for i, (system, sources) in enumerate(CODE_SOURCES.items()):
        report(45 + 15 * i, f"codes:{system}")
        available = [s for s in sources if _source_available(s, dataset)]
        if not available:
            codes[system], code_keys[system] = [], {}
            continue
        # Twice as many as shown: some may still be hidden by the difference rule.
        rows = engine.arrow(top_codes_sql(system, available, 2 * top)).to_pylist()
        codes[system] = [(str(r["CODE"]), int(r["PEOPLE"])) for r in rows]
        code_keys[system] = {str(r["CODE"]): int(r["K"]) for r in rows}
    engine.drop("STAT_KEY")
    return ExactFigures(by_cell, records, people_by_year, ages, age_year, codes,
                        people_keys=cell_keys, records_keys=records_keys,
                        people_by_year_keys=people_by_year_keys, code_keys=code_keys)


# --- SQL (DuckDB dialect, run through the engine) -------------------------------------------------

# One row per person (BEN_NIR_ANO): a birth year and a sex when the person's rows agree on one.
PERSON_SQL = """
SELECT BEN_NIR_ANO AS PERSON_KEY,
       min(BIRTH) AS BIRTH_YEAR,
       CASE WHEN min(SEX) = max(SEX) THEN min(SEX) END AS SEX,
       min(DEATH) AS DEATH_YEAR
FROM (SELECT BEN_NIR_ANO,
             CASE WHEN TRY_CAST(BEN_NAI_ANN AS INTEGER) BETWEEN 1850 AND 2200
                  THEN TRY_CAST(BEN_NAI_ANN AS INTEGER) END AS BIRTH,
             CASE WHEN TRY_CAST(BEN_SEX_COD AS INTEGER) IN (1, 2)
                  THEN TRY_CAST(BEN_SEX_COD AS INTEGER) END AS SEX,
             year(TRY_CAST(BEN_DCD_DTE AS DATE)) AS DEATH
      FROM IR_BEN_R WHERE BEN_NIR_ANO IS NOT NULL) AS b
GROUP BY BEN_NIR_ANO
"""


# The cell key of a group: its rows' record keys (STAT_KEY, joined as `k`) summed modulo 2^32.
KEY_SUM = f"CAST(coalesce(sum(k.key_sum), 0) % {KEY_MODULUS} AS BIGINT) AS K"
KEYS = "LEFT JOIN STAT_KEY AS k ON k.PERSON_KEY = r.PERSON_KEY"
NOTHING = "SELECT CAST(NULL AS INTEGER) AS YEAR, 0 AS N, 0 AS K WHERE FALSE"


def records_sql(dcir: bool, pmsi: bool) -> str:
    """Care records by year: every ER_PRS_F line by its care year, every MCO stay by file year;
    each record keyed by its person (0 when it reaches nobody)."""
    parts = []
    if dcir:  # one person per pseudo-NIR and rank, so that no line counts twice
        parts.append("SELECT year(TRY_CAST(p.EXE_SOI_DTD AS DATE)) AS YEAR, m.PERSON_KEY "
                     "FROM ER_PRS_F AS p LEFT JOIN (SELECT BEN_NIR_PSA, BEN_RNG_GEM, "
                     "min(PERSON_KEY) AS PERSON_KEY FROM PERSON_MAP GROUP BY ALL) AS m "
                     "ON m.BEN_NIR_PSA = p.BEN_NIR_PSA AND m.BEN_RNG_GEM = p.BEN_RNG_GEM")
    if pmsi:
        parts.append("SELECT c.PMSI_YEAR AS YEAR, m.PERSON_KEY FROM MCO_C AS c "
                     "LEFT JOIN PMSI_PERSON_MAP AS m ON m.NIR_ANO_17 = c.NIR_ANO_17")
    if not parts:
        return NOTHING
    return (f"SELECT r.YEAR, count(*) AS N, {KEY_SUM} FROM ({' UNION ALL '.join(parts)}) AS r "
            f"{KEYS} GROUP BY r.YEAR")


def people_by_year_sql(dcir: bool, pmsi: bool) -> str:
    """People with at least one dated care record, by year."""
    parts = []
    if dcir:
        parts.append("SELECT year(TRY_CAST(p.EXE_SOI_DTD AS DATE)) AS YEAR, m.PERSON_KEY "
                     "FROM ER_PRS_F AS p JOIN PERSON_MAP AS m ON m.BEN_NIR_PSA = p.BEN_NIR_PSA "
                     "AND m.BEN_RNG_GEM = p.BEN_RNG_GEM")
    if pmsi:
        parts.append("SELECT c.PMSI_YEAR AS YEAR, m.PERSON_KEY FROM MCO_C AS c "
                     "JOIN PMSI_PERSON_MAP AS m ON m.NIR_ANO_17 = c.NIR_ANO_17")
    if not parts:
        return NOTHING
    return (f"SELECT r.YEAR, count(*) AS N, {KEY_SUM} FROM (SELECT DISTINCT YEAR, PERSON_KEY "
            f"FROM ({' UNION ALL '.join(parts)}) AS u "
            f"WHERE YEAR IS NOT NULL AND PERSON_KEY IS NOT NULL) AS r {KEYS} GROUP BY r.YEAR")


def ages_sql(age_year: int | None) -> str:
    """People by age reached in `age_year` (or at death, when earlier) and sex."""
    if age_year is None:
        age = "CAST(NULL AS INTEGER)"
    else:
        y = int(age_year)  # an integer from the data, formatted as such
        age = (f"CASE WHEN BIRTH_YEAR IS NULL OR BIRTH_YEAR > {y} THEN NULL "
               f"ELSE least({y}, CASE WHEN DEATH_YEAR >= BIRTH_YEAR THEN DEATH_YEAR "
               f"ELSE {y} END) - BIRTH_YEAR END")
    return (f"SELECT r.AGE, r.SEX, count(*) AS N, {KEY_SUM} FROM (SELECT {age} AS AGE, SEX, "
            f"PERSON_KEY FROM STAT_PERSON) AS r {KEYS} GROUP BY r.AGE, r.SEX")


def top_codes_sql(system: str, sources: list[str], limit: int) -> str:
    """The codes of a system with at least THRESHOLD people, most people first."""
    from hygie.cohorts.events import events

    union = events(sources, system=system).sql(dialect="duckdb")
    return (f"SELECT r.CODE, count(*) AS PEOPLE, {KEY_SUM} FROM (SELECT DISTINCT CODE, "
            f"PERSON_KEY FROM ({union}) AS e WHERE CODE IS NOT NULL AND PERSON_KEY IS NOT NULL) "
            f"AS r {KEYS} GROUP BY r.CODE HAVING count(*) >= {int(THRESHOLD)} "
            f"ORDER BY PEOPLE DESC, r.CODE LIMIT {int(limit)}")


def _source_available(source: str, dataset: Dataset) -> bool:
    """Whether every table an event source reads is in the dataset (PMSI: some year of it)."""
    from hygie.cohorts.events import SOURCES
    from hygie.snds.views import pmsi_years

    for table in SOURCES[source].tables:
        if table.startswith("T_MCOaa"):
            if not pmsi_years(dataset, table[len("T_MCOaa"):]):
                return False
        elif table not in dataset.tables:
            return False
    return True


def band_of(age: int) -> str:
    if age < 0:
        return UNKNOWN
    return BANDS[min(age // BAND_WIDTH, len(BANDS) - 1)]


# --- secrecy --------------------------------------------------------------------------------------


def release(exact: ExactFigures, cell_key: CellKey, *, top: int = TOP) -> dict[str, Any]:
    """The figures that may be published, from the exact ones (see the module's doc): what to
    hide is decided on the exact counts; what is shown is the cell key's perturbed, rounded
    count."""
    population = sum(exact.people_by_age_sex.values())
    everyone_key = sum(exact.people_keys.values()) % KEY_MODULUS

    def shown(count: int, key: int) -> int | None:
        return cell_key.release_sum(count, key).value

    def part_of_everyone(count: int, key: int) -> int | None:
        """A count of some of the individuals: hidden when small, or when the rest is."""
        if suppress(count).hidden or 0 < population - count < THRESHOLD:
            return None
        return shown(count, key)

    pyramid, total_shown = _pyramid(exact.people_by_age_sex, exact.people_keys, shown)
    individuals = shown(population, everyone_key) if total_shown else None
    by_year, records = _records(exact.records_by_year, exact.records_keys, shown)
    years = [{"year": year,
              "people": part_of_everyone(exact.people_by_year.get(year, 0),
                                         exact.people_by_year_keys.get(year, 0)),
              "records": by_year.get(year)}
             for year in sorted(y for y in exact.records_by_year if isinstance(y, int))]
    low, high = _typical_ages(exact.ages)
    top_codes: dict[str, list[dict[str, Any]]] = {}
    for system in CODE_SOURCES:
        keys = exact.code_keys.get(system, {})
        chosen = [(code, n) for code, n in exact.codes.get(system, []) if n >= THRESHOLD][:top]
        labels = code_labels(system, tuple(code for code, _ in chosen))
        rows = [{"code": code, "label": labels.get(code, ""),
                 "people": part_of_everyone(n, keys.get(code, 0))} for code, n in chosen]
        # In the order of the released counts (hidden ones last), not of the exact ones.
        top_codes[system] = sorted(rows, key=lambda r: (r["people"] is None,
                                                        -(r["people"] or 0), r["code"]))
    return {"secrecy": SECRECY, "base": cell_key.base, "records": records,
            "individuals": individuals, "age_min": low, "age_max": high,
            "age_year": exact.age_year, "years": years, "age_pyramid": pyramid,
            "top_codes": top_codes}


Shown = Callable[[int, int], int | None]
"""shown(count, cell key): the released value of a count that the table leaves shown."""


def _pyramid(cells: Mapping[tuple[str, str], int], keys: Mapping[tuple[str, str], int],
             shown: Shown) -> tuple[list[dict[str, Any]], bool]:
    """Cells of known band and sex (bands up to the oldest one with people), and whether the
    grand total (`individuals`) may be shown."""
    if not any(cells.values()):
        return [], True
    bands = [*BANDS, UNKNOWN]
    counts = {(b, s): cells.get((b, s), 0) for b in bands for s in (*SEXES, UNKNOWN)}
    try:
        table = protect_table(counts)
    except SdcError:  # no protection found: publish nothing of the table
        return [{"band": b, "sex": int(s), "people": None} for b in BANDS for s in SEXES], False
    last = max((i for i, b in enumerate(BANDS)
                if any(cells.get((b, s), 0) for s in (*SEXES, UNKNOWN))), default=-1)
    out = [{"band": b, "sex": int(s),
            "people": None if table[(b, s)].hidden else shown(counts[(b, s)], keys.get((b, s), 0))}
           for b in BANDS[:last + 1] for s in SEXES]
    return out, not table[(TOTAL, TOTAL)].hidden


def _records(by_year: Mapping[int | str, int], keys: Mapping[int | str, int],
             shown: Shown) -> tuple[dict[int | str, int | None], int | None]:
    """Records by year, protected as a 1-way table with its total, and the total."""
    if not any(by_year.values()):
        return {y: None for y in by_year}, None
    try:
        table = protect_table({(str(y),): n for y, n in by_year.items()})
    except SdcError:
        return {y: None for y in by_year}, None
    out = {y: None if table[(str(y),)].hidden else shown(n, keys.get(y, 0))
           for y, n in by_year.items()}
    total = None if table[(TOTAL,)].hidden else shown(sum(by_year.values()),
                                                       sum(keys.values()) % KEY_MODULUS)
    return out, total


def _typical_ages(ages: Mapping[int, int]) -> tuple[int | None, int | None]:
    """The 5th and 95th percentiles (nearest rank) of the ages, each shown only when at least
    THRESHOLD people are at or below it and at or above it."""
    n = sum(ages.values())
    if not n:
        return None, None
    out: list[int | None] = []
    for q in PERCENTILES:
        rank = max(1, math.ceil(q * n))
        seen = 0
        for age in sorted(ages):
            seen += ages[age]
            if seen >= rank:
                below = seen
                above = n - seen + ages[age]
                out.append(age if below >= THRESHOLD and above >= THRESHOLD else None)
                break
    return out[0], out[1]


# --- labels ----------------------------------------------------------------------------------------


def code_labels(system: str, codes: tuple[str, ...]) -> dict[str, str]:
    """Labels of codes: ATC from the packaged drug table, CIM-10 and CCAM from the nomenclatures."""
    if not codes:
        return {}
    known = _labels(system)
    return {c: known[c] for c in codes if c in known}


@cache
def _labels(system: str) -> dict[str, str]:
    from hygie.snds.nomenclatures import nomenclature

    if system == "ATC":
        from hygie.snds.views import drug_table

        drugs = drug_table()
        out: dict[str, str] = {}
        for atc, substance in zip(drugs["ATC"].to_pylist(), drugs["SUBSTANCE"].to_pylist(),
                                  strict=True):
            out.setdefault(atc, substance)
        return out
    lists = {"CIM10": ("IR_CIM_V",), "CCAM": ("IR_CCAM_V63", "IR_CCAM_V54")}.get(system, ())
    out = {}
    for name in reversed(lists):  # the first list wins
        nom = nomenclature(name)
        if nom.available:
            out.update(nom.labels())
    return out
