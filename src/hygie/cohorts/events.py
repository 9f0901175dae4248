"""The events layer: every coded event of the SNDS in one shape.

    (PERSON_KEY, EVENT_DATE, SYSTEM, CODE, SOURCE)

built from the views of `hygie.snds.views.attach_snds`. One SELECT per source, each filtering its
codes in the scan (so a cohort reads only the rows of its code lists), and only the sources a
definition names are read: a cohort on ALD alone never touches the DCIR or the PMSI.

SNDS quality filters, applied by default (`quality_filters: false` in a definition turns them off
for a sensitivity analysis):

- DCIR: information-only lines are dropped (`DPN_QLF = 71` or `PRS_DPN_QLP = 71`: care reported
  "for information" by public hospitals, paid elsewhere); billing corrections are netted: the
  quantities of the detail lines are summed by person, care date (`EXE_SOI_DTD`) and code, and only
  positive totals are events (a cancelled then re-billed dispensation is one event, a cancelled
  one is none). Detail tables (ER_PHA_F, ER_BIO_F, ER_CAM_F) join ER_PRS_F on the nine DCIR keys.
- PMSI MCO: a stay is used only when its linkage quality flags are all OK (NIR_RET, NAI_RET,
  SEX_RET, SEJ_RET, FHO_RET, PMS_RET false, NAI_RET, DAT_RET '0'); its pseudo-NIR must name one person
  (PMSI_PERSON_MAP: stays under a pseudo-NIR shared by twins cannot be attributed and are left
  out, whatever the filters).
- ALD: only exonerations for a long-term illness (IMB_ETM_NAT 41 listed, 43 off-list, 45
  polypathology), dated by their start IMB_ALD_DTD.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlglot import exp

from hygie.cohorts.model import Codelist
from hygie.cohorts.sql import (
    Dates,
    as_date,
    col,
    date_literal,
    in_dates,
    named,
    subquery,
    table,
    text,
)
from hygie.engine.engines import parse
from hygie.snds.persons import DCIR_KEYS, PMSI_FLAGS

ALD_NATURES = (41, 43, 45)  # IR_ETM_V: listed ALD, off-list ALD, polypathology
INFORMATION_ONLY = 71
PMSI_SOURCES = frozenset({"pmsi_main", "pmsi_related", "pmsi_associated", "pmsi_act"})


@dataclass(frozen=True)
class Source:
    name: str
    systems: tuple[str, ...]
    tables: tuple[str, ...]  # dataset tables read (T_MCOaaX: the PMSI tables of every year)
    date: str
    description: str


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("pmsi_main", ("CIM10",), ("T_MCOaaB", "T_MCOaaC", "IR_BEN_R"), "stay start",
           "main diagnosis of a hospital stay (DGN_PAL)"),
    Source("pmsi_related", ("CIM10",), ("T_MCOaaB", "T_MCOaaC", "IR_BEN_R"), "stay start",
           "related diagnosis of a hospital stay (DGN_REL)"),
    Source("pmsi_associated", ("CIM10",), ("T_MCOaaD", "T_MCOaaC", "IR_BEN_R"), "stay start",
           "associated diagnosis of a hospital stay (ASS_DGN)"),
    Source("ald", ("CIM10",), ("IR_IMB_R", "IR_BEN_R"), "ALD start (IMB_ALD_DTD)",
           "long-term illness (ALD) diagnosis (MED_MTF_COD)"),
    Source("death_cause", ("CIM10",), ("KI_CCI_R", "IR_BEN_R"), "death (BEN_DCD_DTE)",
           "underlying cause of death (DCD_CIM_COD)"),
    Source("dcir_pharmacy", ("ATC", "CIP13"), ("ER_PHA_F", "ER_PRS_F", "IR_BEN_R"),
           "care date (EXE_SOI_DTD)", "drug dispensed in a pharmacy (PHA_PRS_C13; ATC by the "
           "packaged drug table)"),
    Source("dcir_act", ("CCAM",), ("ER_CAM_F", "ER_PRS_F", "IR_BEN_R"), "care date (EXE_SOI_DTD)",
           "medical act billed in town (CAM_PRS_IDE)"),
    Source("pmsi_act", ("CCAM",), ("T_MCOaaA", "T_MCOaaC", "IR_BEN_R"),
           "stay start + ENT_DAT_DEL", "medical act of a hospital stay (CDC_ACT)"),
    Source("dcir_lab", ("NABM",), ("ER_BIO_F", "ER_PRS_F", "IR_BEN_R"), "care date (EXE_SOI_DTD)",
           "laboratory test billed in town (BIO_PRS_IDE)"),
)}


@dataclass(frozen=True)
class Codes:
    """The codes to keep: exact codes and prefixes of one system (None: every code)."""

    system: str
    exact: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    @classmethod
    def of(cls, codelist: Codelist) -> Codes:
        return cls(codelist.system, codelist.exact, codelist.prefixes)


def code_match(column: exp.Expr, codes: Codes, numeric_width: int | None = None) \
        -> exp.Expr:
    """`column IN (...) OR STARTS_WITH(column, ...)`; numeric codes compare as numbers, and their
    prefixes on the zero-padded text (a NABM prefix `05*` matches 0552)."""
    parts: list[exp.Expr] = []
    if codes.exact:
        values = [exp.Literal.number(int(c)) if numeric_width else exp.Literal.string(c)
                  for c in codes.exact]
        parts.append(exp.EQ(this=column.copy(), expression=values[0]) if len(values) == 1
                     else exp.In(this=column.copy(), expressions=values))
    for prefix in codes.prefixes:
        shown = column.copy() if not numeric_width else exp.func(
            "LPAD", text(column.copy()), exp.Literal.number(numeric_width), exp.Literal.string("0"))
        parts.append(exp.StartsWith(this=shown, expression=exp.Literal.string(prefix)))
    if not parts:
        return exp.false()
    return exp.or_(*parts, copy=False) if len(parts) > 1 else parts[0]


def _event(person: exp.Expr, date: exp.Expr, system: str, code: exp.Expr,
           source: str) -> list[exp.Expr]:
    return [named(person, "PERSON_KEY"), named(date, "EVENT_DATE"),
            named(exp.Literal.string(system), "SYSTEM"), named(code, "CODE"),
            named(exp.Literal.string(source), "SOURCE")]


def _on(*pairs: tuple[str, str]) -> exp.Expr:
    """`a.X = b.X AND ...` for fixed column names of ours."""
    conds = []
    for left, right in pairs:
        lt, lc = left.split(".")
        rt, rc = right.split(".")
        conds.append(exp.EQ(this=col(lc, lt), expression=col(rc, rt)))
    return exp.and_(*conds, copy=False)


@cache
def field_type(table: str, field: str) -> str:
    """The type of a field in the packaged SNDS schema (`T_MCOaaC`, `NIR_RET` -> boolean): the
    lake's tables follow it (`hygie snds validate`), so the SQL can be written for it."""
    from hygie.snds.schemas import load_schemas

    return next(f.type for f in load_schemas().table(table).fields if f.name == field)


# --- DCIR ---------------------------------------------------------------------------------------


def _dcir(source: str, system: str, detail: str, raw_code: exp.Expr, code: exp.Expr,
          quantity: exp.Expr, where: list[exp.Expr], dates: Dates,
          quality_filters: bool, atc: exp.Expr | None = None) -> exp.Select:
    """A DCIR detail table joined to ER_PRS_F on the nine keys, then to the person; `atc`: also
    join the drug table (CIP13 -> ATC) on this condition."""
    care_date = as_date(col("EXE_SOI_DTD", "p"))
    q = (exp.select(*_event(col("PERSON_KEY", "m"), care_date, system, code, source))
         .from_(table(detail, "d"), copy=False))
    if atc is not None:  # first, so that engines joining in the written order filter early
        q = q.join(table("DRUG", "k"), on=atc, copy=False)
    q = (q.join(table("ER_PRS_F", "p"), on=_on(*((f"d.{k}", f"p.{k}") for k in DCIR_KEYS)),
                copy=False)
         .join(table("PERSON_MAP", "m"), on=_on(("m.BEN_NIR_PSA", "p.BEN_NIR_PSA"),
                                                ("m.BEN_RNG_GEM", "p.BEN_RNG_GEM")), copy=False))
    conds = list(where) + in_dates(col("EXE_SOI_DTD", "p"), dates)
    if quality_filters:
        conds += [_not_information(flag) for flag in ("DPN_QLF", "PRS_DPN_QLP")]
    if conds:
        q = q.where(exp.and_(*conds), copy=False)
    if quality_filters:  # net the corrections: one event per person, date and code if positive
        keys = [col("PERSON_KEY", "m"), care_date.copy(), raw_code.copy()]
        if atc is not None:
            keys.append(col("ATC", "k"))
        q = q.group_by(*keys, copy=False).having(
            exp.GT(this=exp.func("SUM", quantity), expression=exp.Literal.number(0)), copy=False)
    return q


def _not_information(flag: str) -> exp.Expr:
    """An ER_PRS_F line that is not information-only. `flag IS NULL OR flag <> 71` rather than
    COALESCE: Spark pushes it into the Parquet scan."""
    return exp.paren(exp.or_(
        exp.Is(this=col(flag, "p"), expression=exp.Null()),
        exp.NEQ(this=col(flag, "p"), expression=exp.Literal.number(INFORMATION_ONLY))))


def atc_presentations(codes: Codes) -> dict[str, list[int]]:
    """ATC code -> its CIP13 presentations in the drug table packaged with Hygie (the table that
    `attach_snds` registers as DRUG), for the ATC codes and prefixes of `codes`."""
    from hygie.snds.views import drug_table

    drugs = drug_table()
    out: dict[str, list[int]] = {}
    for cip, atc in zip(drugs["CIP13"].to_pylist(), drugs["ATC"].to_pylist(), strict=True):
        if atc in codes.exact or atc.startswith(codes.prefixes):
            out.setdefault(atc, []).append(cip)
    return dict(sorted(out.items()))


def _pharmacy(codes: Codes | None, system: str, dates: Dates, qf: bool) -> exp.Select:
    raw = col("PHA_PRS_C13", "d")
    quantity = col("PHA_ACT_QSN", "d")
    if system == "ATC" and codes is None:  # every drug: through the DRUG view
        return _dcir("dcir_pharmacy", "ATC", "ER_PHA_F", raw, col("ATC", "k"), quantity, [],
                     dates, qf, atc=_on(("k.CIP13", "d.PHA_PRS_C13")))
    if system == "ATC":
        # ATC codes become the list of their presentations, filtered in the ER_PHA_F scan (a
        # join to DRUG first would hide the filter from planners without statistics); the ATC
        # of each presentation is given back by a CASE.
        assert codes is not None
        by_atc = atc_presentations(codes)
        cips = Codes("CIP13", tuple(str(c) for cs in by_atc.values() for c in cs))
        atc = exp.Case()
        for code, cs in by_atc.items():
            atc = atc.when(code_match(raw, Codes("CIP13", tuple(map(str, cs))), numeric_width=13),
                           exp.Literal.string(code), copy=False)
        return _dcir("dcir_pharmacy", "ATC", "ER_PHA_F", raw, atc if by_atc else exp.Null(),
                     quantity, [code_match(raw, cips, numeric_width=13)], dates, qf)
    where = [code_match(raw, codes, numeric_width=13)] if codes else []
    return _dcir("dcir_pharmacy", "CIP13", "ER_PHA_F", raw, text(raw), quantity, where, dates, qf)


def _lab(codes: Codes | None, dates: Dates, qf: bool) -> exp.Select:
    raw = col("BIO_PRS_IDE", "d")
    padded = exp.func("LPAD", text(raw), exp.Literal.number(4), exp.Literal.string("0"))
    where = [code_match(raw, codes, numeric_width=4)] if codes else []
    return _dcir("dcir_lab", "NABM", "ER_BIO_F", raw, padded, col("BIO_ACT_QSN", "d"), where,
                 dates, qf)


def _town_act(codes: Codes | None, dates: Dates, qf: bool) -> exp.Select:
    raw = col("CAM_PRS_IDE", "d")
    where = [code_match(raw, codes)] if codes else []
    return _dcir("dcir_act", "CCAM", "ER_CAM_F", raw, raw.copy(), col("PRS_ACT_QTE", "p"), where,
                 dates, qf)


# --- PMSI ---------------------------------------------------------------------------------------


def stays(dates: Dates, quality_filters: bool) -> exp.Select:
    """PMSI MCO stays attributed to one person: ETA_NUM, RSA_NUM, PMSI_YEAR, PERSON_KEY,
    STAY_DATE (start of the stay)."""
    q = (exp.select(col("ETA_NUM", "c"), col("RSA_NUM", "c"), col("PMSI_YEAR", "c"),
                    col("PERSON_KEY", "m"),
                    named(as_date(col("EXE_SOI_DTD", "c")), "STAY_DATE"))
         .from_(table("MCO_C", "c"), copy=False)
         .join(table("PMSI_PERSON_MAP", "m"),
               on=_on(("m.NIR_ANO_17", "c.NIR_ANO_17")), copy=False))
    conds = in_dates(col("EXE_SOI_DTD", "c"), dates)
    if quality_filters:  # every flag OK: false for the boolean ones, '0' for the text ones
        conds += [exp.Not(this=col(f, "c")) if field_type("T_MCOaaC", f) == "boolean"
                  else exp.EQ(this=col(f, "c"), expression=exp.Literal.string("0"))
                  for f in PMSI_FLAGS]
    return q.where(exp.and_(*conds), copy=False) if conds else q


def _pmsi(source: str, pmsi_table: str, code: exp.Expr, codes: Codes | None, dates: Dates,
          qf: bool, stays_table: str | None) -> exp.Select:
    """A PMSI table joined to the attributed stays (a subquery, or a named table of them)."""
    keys = []  # the stay key; D and A keep ETA_NUM and RSA_NUM as text where C has integers
    for key in ("ETA_NUM", "RSA_NUM"):
        mine: exp.Expr = col(key, "x")
        if field_type(f"T_MCOaa{pmsi_table[-1]}", key) != field_type("T_MCOaaC", key):
            mine = exp.TryCast(this=mine, to=exp.DataType.build("BIGINT"))
        keys.append(exp.EQ(this=col(key, "s"), expression=mine))
    on = exp.and_(*keys, _on(("s.PMSI_YEAR", "x.PMSI_YEAR")), copy=False)
    date: exp.Expr = col("STAY_DATE", "s")
    stay_dates = dates
    if source == "pmsi_act":  # the act's own date: stay start + days since entry
        date = as_date(exp.DateAdd(
            this=date, unit=exp.Var(this="DAY"),
            expression=exp.func("COALESCE", exp.cast(col("ENT_DAT_DEL", "x"),
                                                     exp.DataType.build("INT")),
                                exp.Literal.number(0))))
        stay_dates = Dates(None, dates.end)  # an act may fall after a stay that began earlier
    stay_rows = (table(stays_table, "s") if stays_table
                 else subquery(stays(stay_dates, qf), "s"))
    q = (exp.select(*_event(col("PERSON_KEY", "s"), date, "CIM10" if source != "pmsi_act"
                            else "CCAM", code, source))
         .from_(table(pmsi_table, "x"), copy=False)
         .join(stay_rows, on=on, copy=False))
    conds = ([code_match(code, codes)] if codes else [])
    if source == "pmsi_act":
        conds += in_dates(date, dates)
    elif stays_table:  # a shared table of stays spans the dates of every PMSI source
        conds += in_dates(col("STAY_DATE", "s"), dates)
    return q.where(exp.and_(*conds), copy=False) if conds else q


# --- ALD and causes of death --------------------------------------------------------------------


def _ald(codes: Codes | None, dates: Dates) -> exp.Select:
    code = col("MED_MTF_COD", "i")
    conds: list[exp.Expr] = [exp.In(this=col("IMB_ETM_NAT", "i"),
                                    expressions=[exp.Literal.number(n) for n in ALD_NATURES])]
    conds += [code_match(code, codes)] if codes else []
    conds += in_dates(col("IMB_ALD_DTD", "i"), dates)
    return (exp.select(*_event(col("PERSON_KEY", "m"), as_date(col("IMB_ALD_DTD", "i")), "CIM10",
                               code, "ald"))
            .from_(table("IR_IMB_R", "i"), copy=False)
            .join(table("PERSON_MAP", "m"),
                  on=_on(("m.BEN_NIR_PSA", "i.BEN_NIR_PSA"), ("m.BEN_RNG_GEM", "i.BEN_RNG_GEM")), copy=False)
            .where(exp.and_(*conds), copy=False))


def ald_spans(codes: Codes, starts: Dates) -> exp.Select:
    """The exonerations for a long-term illness of a code list as spans: PERSON_KEY, EVENT_DATE
    (start, IMB_ALD_DTD) and END_DATE (IMB_ALD_DTF; NULL when open, and for dates before 1900,
    the SNDS's "no date"), for the exonerations starting within `starts`; renewals joined."""
    start = as_date(col("IMB_ALD_DTD", "i"))
    end = as_date(col("IMB_ALD_DTF", "i"))
    open_end = exp.Case().when(exp.GTE(this=end, expression=date_literal(dt.date(1900, 1, 1))),
                               end.copy())
    conds: list[exp.Expr] = [
        exp.In(this=col("IMB_ETM_NAT", "i"), expressions=[exp.Literal.number(n) for n in ALD_NATURES]),
        code_match(col("MED_MTF_COD", "i"), codes), *in_dates(col("IMB_ALD_DTD", "i"), starts)]
    spans = (exp.select(col("PERSON_KEY", "m"), named(start, "EVENT_DATE"),
                        named(open_end, "END_DATE"))
             .distinct(copy=False)
             .from_(table("IR_IMB_R", "i"), copy=False)
             .join(table("PERSON_MAP", "m"),
                   on=_on(("m.BEN_NIR_PSA", "i.BEN_NIR_PSA"), ("m.BEN_RNG_GEM", "i.BEN_RNG_GEM")),
                   copy=False)
             .where(exp.and_(*conds), copy=False))
    islands = parse(_ISLANDS)
    placeholder = islands.find(exp.Table)
    assert isinstance(islands, exp.Select) and placeholder is not None
    placeholder.replace(subquery(spans, "s"))
    return islands


# Exonerations that overlap or follow each other (renewals: the next starts at most the day after
# the last one ends) are joined into one span: a fixed template of ours around the spans.
_ISLANDS = """
SELECT PERSON_KEY, MIN(EVENT_DATE) AS EVENT_DATE,
       NULLIF(MAX(COALESCE(END_DATE, DATE '9999-12-31')), DATE '9999-12-31') AS END_DATE
FROM (
  SELECT PERSON_KEY, EVENT_DATE, END_DATE,
         SUM(CASE WHEN PREV_END IS NULL OR EVENT_DATE > PREV_END + INTERVAL 1 DAY THEN 1 ELSE 0 END)
           OVER (PARTITION BY PERSON_KEY ORDER BY EVENT_DATE, END_DATE
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ISLAND
  FROM (
    SELECT PERSON_KEY, EVENT_DATE, END_DATE,
           MAX(COALESCE(END_DATE, DATE '9999-12-31'))
             OVER (PARTITION BY PERSON_KEY ORDER BY EVENT_DATE, END_DATE
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS PREV_END
    FROM SPANS
  ) AS o
) AS g
GROUP BY PERSON_KEY, ISLAND"""


def real_date(column: exp.Expr) -> exp.Expr:
    """The date, or NULL for the SNDS's "no date" (1600-01-01, any day before 1900)."""
    return exp.Case().when(exp.GT(this=column, expression=date_literal(dt.date(1900, 1, 1))),
                           column.copy())


def registered_on(day: dt.date) -> exp.Select:
    """(PERSON_KEY, INDEX_DATE = day) of everyone registered in IR_BEN_R on or before the day (the
    earliest registration of any of their pseudo-NIRs) and not dead before it."""
    since = exp.func("MIN", real_date(col("BEN_DTE_INS", "b")))
    death = exp.func("MIN", real_date(col("BEN_DCD_DTE", "b")))
    return (exp.select(named(col("BEN_NIR_ANO", "b"), "PERSON_KEY"),
                       named(date_literal(day), "INDEX_DATE"))
            .from_(table("IR_BEN_R", "b"), copy=False)
            .group_by(col("BEN_NIR_ANO", "b"), copy=False)
            .having(exp.and_(
                exp.LTE(this=since, expression=date_literal(day)),
                exp.paren(exp.or_(exp.Is(this=death, expression=exp.Null()),
                                  exp.GTE(this=death.copy(), expression=date_literal(day))))),
                    copy=False))


def care_days(dates: Dates, quality_filters: bool) -> exp.Select:
    """(PERSON_KEY, EVENT_DATE) of the days with reimbursed care (any ER_PRS_F line) within the
    dates; with the quality filters, information-only lines are dropped and corrections netted by
    person, day and nature of benefit (PRS_NAT_REF)."""
    day = as_date(col("EXE_SOI_DTD", "p"))
    conds = in_dates(col("EXE_SOI_DTD", "p"), dates)
    q = (exp.select(col("PERSON_KEY", "m"), named(day, "EVENT_DATE"))
         .from_(table("ER_PRS_F", "p"), copy=False)
         .join(table("PERSON_MAP", "m"), on=_on(("m.BEN_NIR_PSA", "p.BEN_NIR_PSA"),
                                                ("m.BEN_RNG_GEM", "p.BEN_RNG_GEM")), copy=False))
    if quality_filters:
        conds += [_not_information(flag) for flag in ("DPN_QLF", "PRS_DPN_QLP")]
    if conds:
        q = q.where(exp.and_(*conds), copy=False)
    if quality_filters:
        q = q.group_by(col("PERSON_KEY", "m"), day.copy(), col("PRS_NAT_REF", "p"), copy=False).having(
            exp.GT(this=exp.func("SUM", col("PRS_ACT_QTE", "p")), expression=exp.Literal.number(0)),
            copy=False)
    return exp.select(col("PERSON_KEY"), col("EVENT_DATE")).distinct(copy=False).from_(
        subquery(q, "c"), copy=False)


def _death_cause(codes: Codes | None, dates: Dates) -> exp.Select:
    people = (exp.select(col("BEN_IDT_ANO"), named(col("BEN_NIR_ANO"), "PERSON_KEY"))
              .distinct(copy=False).from_(table("IR_BEN_R"), copy=False))
    code = col("DCD_CIM_COD", "k")
    conds = ([code_match(code, codes)] if codes else []) + in_dates(col("BEN_DCD_DTE", "k"), dates)
    q = (exp.select(*_event(col("PERSON_KEY", "m"), as_date(col("BEN_DCD_DTE", "k")), "CIM10",
                            code, "death_cause"))
         .from_(table("KI_CCI_R", "k"), copy=False)
         .join(subquery(people, "m"),
               on=_on(("m.BEN_IDT_ANO", "k.BEN_IDT_ANO")), copy=False))
    return q.where(exp.and_(*conds), copy=False) if conds else q


# --- the layer ----------------------------------------------------------------------------------


def source_events(source: str, codes: Codes | None = None, *, system: str | None = None,
                  dates: Dates = Dates(), quality_filters: bool = True,
                  stays_table: str | None = None) -> exp.Select:
    """The events of one source, with their codes (None: all) and dates filtered in the scan.

    PMSI sources join the stays of `stays()`, inline, or from `stays_table` when the caller
    has made it a named step (a CTE) of its own query."""
    if source not in SOURCES:
        raise ValueError(f"unknown event source {source!r}; sources: {', '.join(SOURCES)}")
    system = codes.system if codes else (system or SOURCES[source].systems[0])
    if system not in SOURCES[source].systems:
        raise ValueError(f"source {source} has {' or '.join(SOURCES[source].systems)} codes, "
                         f"not {system}")
    qf = quality_filters
    match source:
        case "dcir_pharmacy":
            return _pharmacy(codes, system, dates, qf)
        case "dcir_lab":
            return _lab(codes, dates, qf)
        case "dcir_act":
            return _town_act(codes, dates, qf)
        case "pmsi_main":
            return _pmsi(source, "MCO_B", col("DGN_PAL", "x"), codes, dates, qf, stays_table)
        case "pmsi_related":
            return _pmsi(source, "MCO_B", col("DGN_REL", "x"), codes, dates, qf, stays_table)
        case "pmsi_associated":
            return _pmsi(source, "MCO_D", col("ASS_DGN", "x"), codes, dates, qf, stays_table)
        case "pmsi_act":
            return _pmsi(source, "MCO_A", col("CDC_ACT", "x"), codes, dates, qf, stays_table)
        case "ald":
            return _ald(codes, dates)
        case _:
            return _death_cause(codes, dates)


def events(sources: Sequence[str], codes: Codes | None = None, *, system: str | None = None,
           dates: Dates = Dates(), quality_filters: bool = True,
           stays_table: str | None = None) -> exp.Query:
    """The events of several sources, as one UNION ALL (PERSON_KEY, EVENT_DATE, SYSTEM, CODE,
    SOURCE)."""
    if not sources:
        raise ValueError("no event source given")
    parts = [source_events(s, codes, system=system, dates=dates, quality_filters=quality_filters,
                           stays_table=stays_table) for s in sources]
    out: exp.Query = parts[0]
    for part in parts[1:]:
        out = exp.union(out, part, distinct=False, copy=False)
    return out


def tables_read(sources: Sequence[str]) -> set[str]:
    return {t for s in sources for t in SOURCES[s].tables}
