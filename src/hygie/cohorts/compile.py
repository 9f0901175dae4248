"""Compile a cohort definition into one SQL query (DuckDB dialect, SQLGlot expressions).

The query is a chain of named steps (CTEs):

- `SCAN_<SOURCE>_<SYSTEM>` (when several code lists read one DCIR source): the source read once
  for all their codes; a shared step, computed before the rest (`Compiled.shared`);
- `EVENTS_n`: the (PERSON_KEY, EVENT_DATE) of one code list in its sources, distinct, from the
  events layer (codes and dates filtered in the scans; a code list used twice is read once); also
  the spans of ALD exonerations (`ald_active`, with END_DATE), the index dates of another cohort
  (`in_cohort`, its whole query nested) and the days of reimbursed care (a population entry);
- `ENTRY`: per person, the first date in the study period on which an entry criterion is met
  (for `at_least: N within: W`, the date of the N-th event, the first N-1 lying within W days
  before it): the index date, INDEX_DATE;
- `PERSON`: one row per person from IR_BEN_R (sex, birth, residence, death, registration), read
  only when a demographic, death or coverage criterion needs it;
- `STEPS`: one row per entered person with one boolean KEEP_k per criterion, in order, and one
  VALUE_i per value: ENTRY joined once to the events of every criterion and value that counts
  events (each counted in its own window by a COUNT of a CASE, 0 on an empty group) and to
  PERSON, in one aggregation. Person criteria write their own condition (`predicate`).

- `REACHED`: per entered person, PASSED: how many criteria in a row they meet (the step they
  reach), and the values.

`people` keeps the rows that passed every criterion; `attrition` counts, in one pass over REACHED,
the people remaining after entry and after each criterion. Only user codes, dates and numbers
reach the SQL, as literals; names, titles and descriptions never do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlglot import exp

from hygie.cohorts.codes import show_window
from hygie.cohorts.events import (
    PMSI_SOURCES,
    Codes,
    ald_spans,
    care_days,
    code_match,
    events,
    real_date,
    registered_on,
    source_events,
    stays,
    tables_read,
)
from hygie.cohorts.model import (
    SEX_CODES,
    AldActive,
    Cohort,
    DefinitionError,
    Died,
    EventCriterion,
    EventValue,
    InCohort,
    PersonCriterion,
    Value,
)
from hygie.cohorts.sql import (
    AGE_IN_MONTHS,
    Dates,
    col,
    date_literal,
    in_dates,
    in_window,
    named,
    subquery,
    table,
)
from hygie.engine.engines import parse

DEFAULT_WINDOW = (None, 0)  # require/exclude events: any time up to the index date
ALD_SPANS = "ald_span"  # the "source" of ald_active: exonerations as spans, not events
DCIR_SOURCES = frozenset({"dcir_pharmacy", "dcir_lab", "dcir_act"})
IN_COHORT = "in_cohort"  # the "source" of in_cohort: another cohort's index dates
CARE = "reimbursed_care"  # the "source" of a population entry: days of reimbursed care
Counted = EventCriterion | Died | AldActive | InCohort  # criteria counted over event rows
SHARED_PREFIXES = ("SCAN_", "ONCE_")  # steps computed once before the rest (Compiled.shared)


@dataclass
class Compiled:
    people: exp.Query  # PERSON_KEY, INDEX_DATE, sorted by PERSON_KEY
    attrition: exp.Query  # one row: STEP_0 (entry), STEP_1, ... (after each criterion)
    steps: list[str]  # a label for each count of `attrition`
    keeps: exp.Query  # one row per entered person: PERSON_KEY, PASSED (criteria met in a row)
    tables: set[str] = field(default_factory=set)  # dataset tables read (T_MCOaaX: PMSI)
    # Steps read by several others (a DCIR scan shared by code lists), to compute once before the
    # rest: engines do not reliably keep a step referenced twice (Spark inlines every CTE, and
    # DuckDB 2.0.1 was seen to compute such a scan twice, 11.4 s instead of 6.0 s at 1M people).
    shared: dict[str, exp.Query] = field(default_factory=dict)
    # PERSON_KEY, INDEX_DATE, VALUE_1, ... (the definition's `values`, in order, named below)
    values: exp.Query | None = None
    value_names: list[str] = field(default_factory=list)

    def without_shared(self, query: exp.Query) -> exp.Query:
        """The query reading the shared steps as tables (materialised by the caller)."""
        out = query.copy()
        with_ = out.args.get("with_")
        if with_ is not None and self.shared:
            with_.set("expressions", [c for c in with_.expressions if c.alias not in self.shared])
        return out


def render(query: exp.Expr, engine: str = "duckdb", *, pretty: bool = True) -> str:
    """SQL text of a compiled query for an engine (duckdb or spark)."""
    from hygie.engine.dialects import dialect

    return dialect(engine).render(query, pretty=pretty)


def _shift(day: dt.date, days: int | None) -> dt.date | None:
    return None if days is None else day + dt.timedelta(days=days)


def count_where(condition: exp.Expr) -> exp.Expr:
    """The number of rows where `condition` holds: 0, never NULL, on an empty group or one where
    the condition is NULL on every row. `COUNT_IF` is NULL there on DuckDB 2.0.1, and a NULL count
    made every `exclude` remove the people without any event (issue 9)."""
    return exp.Count(this=exp.Case().when(condition, exp.Literal.number(1)))


def _same_person(left: str, right: str) -> exp.Expr:
    return exp.EQ(this=col("PERSON_KEY", left), expression=col("PERSON_KEY", right))


class _Compiler:
    def __init__(self, cohort: Cohort, library: Mapping[str, Cohort] | None = None,
                 stack: tuple[str, ...] = (), share_scans: bool = True) -> None:
        self.cohort = cohort
        self.library = library or {}
        self.stack = (*stack, cohort.name)  # the cohorts being compiled, to refuse cycles
        self.share_scans = share_scans
        self.period = Dates(cohort.period.start, cohort.period.end)
        self.ctes: list[tuple[str, exp.Query]] = []
        self.tables: set[str] = set()
        # event sets: (codelist, sources) -> (CTE name, dates needed)
        self.event_sets: dict[tuple[str, tuple[str, ...]], tuple[str, Dates]] = {}

    # --- event sets --------------------------------------------------------------------------

    def _need(self, codelist: str, sources: tuple[str, ...], dates: Dates) -> str:
        key = (codelist, sources)
        if key in self.event_sets:
            name, before = self.event_sets[key]
            self.event_sets[key] = (name, before.hull(dates))
        else:
            self.event_sets[key] = (f"EVENTS_{len(self.event_sets) + 1}", dates)
        return self.event_sets[key][0]

    def _entry_dates(self, c: EventCriterion) -> Dates:
        start = self.cohort.period.start
        if c.at_least > 1:  # earlier events count towards the N: look back `within` days
            return Dates(_shift(start, -c.within) if c.within is not None else None,
                         self.cohort.period.end)
        return self.period

    def _window_dates(self, window: tuple[int | None, int | None]) -> Dates:
        return Dates(_shift(self.cohort.period.start, window[0]),
                     _shift(self.cohort.period.end, window[1]))

    def _plan_events(self) -> None:
        if self.cohort.entry.reimbursed_care:
            self._need("", (CARE,), self.period)
        for entry in self.cohort.entry.any_of:
            self._need(entry.codelist, entry.sources, self._entry_dates(entry))
        for value in self.cohort.values.values():
            if isinstance(value, EventValue):
                ev = value.event
                dates = (Dates(*ev.calendar) if ev.calendar
                         else self._window_dates(ev.window or DEFAULT_WINDOW))
                self._need(ev.codelist, ev.sources, dates)
        for _, c in self.cohort.criteria:
            if isinstance(c, InCohort):  # the other cohort's index dates, as events
                self._need(c.in_cohort, (IN_COHORT,), Dates())
            elif isinstance(c, EventCriterion):
                dates = (Dates(*c.calendar) if c.calendar
                         else self._window_dates(c.window or DEFAULT_WINDOW))
                self._need(c.codelist, c.sources, dates)
            elif isinstance(c, Died) and c.codelist:
                self._need(c.codelist, ("death_cause",), self._window_dates(c.window))
            elif isinstance(c, AldActive):  # exonerations that start by the last day to cover
                last = c.span[1] if c.span else self.cohort.period.end
                self._need(c.codelist, (ALD_SPANS,), Dates(None, last))

    def _event_ctes(self) -> None:
        pmsi = [(sources, dates) for (_, sources), (_, dates) in self.event_sets.items()
                if set(sources) & PMSI_SOURCES]
        if pmsi:  # the attributable, quality-checked stays, read once for every PMSI source
            hull = None
            for sources, dates in pmsi:
                need = Dates(None, dates.end) if "pmsi_act" in sources else dates
                hull = need if hull is None else hull.hull(need)
            assert hull is not None
            self.ctes.append(("STAYS", stays(hull, self.cohort.quality_filters)))
        shared = self._shared_scans()
        for (codelist, sources), (name, dates) in self.event_sets.items():
            if sources == (IN_COHORT,):
                self.ctes.append((name, self._other_cohort(codelist, prefix=f"{name}_")))
                continue
            if sources == (CARE,):
                self.tables |= {"ER_PRS_F", "IR_BEN_R"}
                self.ctes.append((name, care_days(dates, self.cohort.quality_filters)))
                continue
            codes = Codes.of(self.cohort.codelists[codelist])
            if sources == (ALD_SPANS,):
                self.tables |= {"IR_IMB_R", "IR_BEN_R"}
                self.ctes.append((name, ald_spans(codes, dates)))
                continue
            self.tables |= tables_read(sources)
            parts: list[exp.Query] = []
            own = [s for s in sources if (s, codes.system) not in shared]
            if own:
                theirs = events(own, codes, dates=dates, stays_table="STAYS",
                                quality_filters=self.cohort.quality_filters)
                parts.append(exp.select(col("PERSON_KEY"), col("EVENT_DATE"))
                             .from_(subquery(theirs, "own"), copy=False))
            for source in sources:
                if (source, codes.system) in shared:  # this list's codes and days of the scan
                    parts.append(exp.select(col("PERSON_KEY"), col("EVENT_DATE"))
                                 .from_(table(shared[(source, codes.system)]), copy=False)
                                 .where(exp.and_(code_match(col("CODE"), codes),
                                                 *in_dates(col("EVENT_DATE"), dates)), copy=False))
            union = parts[0]
            for part in parts[1:]:
                union = exp.union(union, part, distinct=False, copy=False)
            self.ctes.append((name, exp.select(col("PERSON_KEY"), col("EVENT_DATE")).distinct(copy=False)
                              .from_(subquery(union, "ev"), copy=False)))

    def _share_person_maps(self) -> None:
        """A person map (a view over IR_BEN_R, computed wherever it is read) read by several
        steps becomes a shared step, computed once (0.8 s of 6.3 s for the docs' first example
        at 1M people on DuckDB)."""
        if not self.share_scans:
            return
        for view in ("PERSON_MAP", "PMSI_PERSON_MAP"):
            uses = [t for _, cte in self.ctes for t in cte.find_all(exp.Table) if t.name == view]
            if len(uses) < 2:
                continue
            for use in uses:
                use.set("this", exp.to_identifier(f"ONCE_{view}"))
            self.ctes.insert(0, (f"ONCE_{view}", exp.select(exp.Star()).from_(table(view))))

    def _shared_scans(self) -> dict[tuple[str, str], str]:
        """One scan of a DCIR source for all the code lists (of one system) that read it: the
        claims join (ER_PRS_F and a detail table on the nine keys) is the costliest step, and is
        done once, with every code and the hull of the dates, each list then taking its rows.
        Gives {(source, system): name of the scan's step}."""
        readers: dict[tuple[str, str], list[tuple[Codes, Dates]]] = {}
        if not self.share_scans:
            return {}
        for (codelist, sources), (_, dates) in self.event_sets.items():
            if not set(sources) & DCIR_SOURCES:
                continue
            codes = Codes.of(self.cohort.codelists[codelist])
            for source in set(sources) & DCIR_SOURCES:
                readers.setdefault((source, codes.system), []).append((codes, dates))
        out = {}
        for (source, system), lists in readers.items():
            if len(lists) < 2:
                continue
            exact = tuple(dict.fromkeys(c for codes, _ in lists for c in codes.exact))
            prefixes = tuple(dict.fromkeys(c for codes, _ in lists for c in codes.prefixes))
            hull = lists[0][1]
            for _, dates in lists[1:]:
                hull = hull.hull(dates)
            name = f"SCAN_{source.upper()}_{system}"
            scan = source_events(source, Codes(system, exact, prefixes), dates=hull,
                                 quality_filters=self.cohort.quality_filters)
            self.ctes.append((name, exp.select(col("PERSON_KEY"), col("EVENT_DATE"), col("CODE"))
                              .from_(subquery(scan, "ev"), copy=False)))
            out[(source, system)] = name
        return out

    def _other_cohort(self, name: str, prefix: str) -> exp.Query:
        """(PERSON_KEY, EVENT_DATE): the people of another cohort and their index dates. Its steps
        join ours, renamed with `prefix` (one flat chain of steps: Spark hoists nested ones, and
        their names would clash with ours); its scans are not shared."""
        place = next(p for p, n in self.cohort.references if n == name)
        if name in self.stack:
            chain = " -> ".join((*self.stack[self.stack.index(name):], name))
            raise DefinitionError([(place, f"a cycle of in_cohort references: {chain}")],
                                  self.cohort.name)
        if name not in self.library:
            known = ", ".join(sorted(self.library)) or "none"
            raise DefinitionError([(place, f"unknown cohort {name!r} (known: {known})")],
                                  self.cohort.name)
        other = _Compiler(self.library[name], self.library, self.stack, share_scans=False).compile()
        self.tables |= other.tables
        people = other.people.copy()
        people.set("order", None)
        steps = people.args["with_"].expressions
        people.set("with_", None)
        renamed = {cte.alias: f"{prefix}{cte.alias}" for cte in steps}
        for node in (*(cte.this for cte in steps), people):
            for ref in node.find_all(exp.Table):
                if ref.name in renamed and not ref.args.get("db"):
                    ref.set("this", exp.to_identifier(renamed[ref.name]))
        self.ctes += [(renamed[cte.alias], cte.this) for cte in steps]
        return exp.select(col("PERSON_KEY"), named(col("INDEX_DATE"), "EVENT_DATE")).from_(
            subquery(people, "other"), copy=False)

    def _events_of(self, c: EventCriterion | Died | AldActive | InCohort) -> str:
        if isinstance(c, InCohort):
            return self.event_sets[(c.in_cohort, (IN_COHORT,))][0]
        if isinstance(c, Died):
            return self.event_sets[(str(c.codelist), ("death_cause",))][0]
        if isinstance(c, AldActive):
            return self.event_sets[(c.codelist, (ALD_SPANS,))][0]
        return self.event_sets[(c.codelist, c.sources)][0]

    # --- entry -------------------------------------------------------------------------------

    def _qualifying(self, c: EventCriterion) -> exp.Select:
        """(PERSON_KEY, EVENT_DATE) of the dates on which the criterion is met."""
        source = self._events_of(c)
        if c.at_least == 1:
            return exp.select(col("PERSON_KEY"), col("EVENT_DATE")).from_(table(source), copy=False)
        first = exp.Window(
            this=exp.func("LAG", col("EVENT_DATE"), exp.Literal.number(c.at_least - 1)),
            partition_by=[col("PERSON_KEY")],
            order=exp.Order(expressions=[exp.Ordered(this=col("EVENT_DATE"))]))
        runs = exp.select(col("PERSON_KEY"), col("EVENT_DATE"), named(first, "FIRST_DATE")).from_(
            table(source), copy=False)
        conds: list[exp.Expr] = [exp.Not(this=exp.Is(this=col("FIRST_DATE"),
                                                            expression=exp.Null()))]
        if c.within is not None:
            span = exp.DateDiff(this=col("EVENT_DATE"), expression=col("FIRST_DATE"),
                                unit=exp.Var(this="DAY"))
            conds.append(exp.LTE(this=span, expression=exp.Literal.number(c.within)))
        return (exp.select(col("PERSON_KEY"), col("EVENT_DATE"))
                .from_(subquery(runs, "n"), copy=False)
                .where(exp.and_(*conds), copy=False))

    def _entry(self) -> None:
        entry_on = self.cohort.entry.registered_on
        if entry_on is not None:  # everyone registered and alive that day, indexed on it
            self.ctes.append(("ENTRY", registered_on(entry_on)))
            self.tables.add("IR_BEN_R")
            return
        if self.cohort.entry.reimbursed_care:
            self.ctes.append(("ENTRY", exp.select(col("PERSON_KEY"), named(
                exp.func("MIN", col("EVENT_DATE")), "INDEX_DATE")).from_(
                table(self.event_sets[("", (CARE,))][0]), copy=False).group_by(
                col("PERSON_KEY"), copy=False)))
            return
        parts = [self._qualifying(c) for c in self.cohort.entry.any_of]
        dates: exp.Query = parts[0]
        for part in parts[1:]:
            dates = exp.union(dates, part, distinct=False, copy=False)
        first = self.cohort.entry.any_of[0]
        source: exp.Expr = (table(self._events_of(first)) if len(parts) == 1 and first.at_least == 1
                            else subquery(dates, "q"))
        entry = (exp.select(col("PERSON_KEY"), named(exp.func("MIN", col("EVENT_DATE")),
                                                      "INDEX_DATE"))
                 .from_(source, copy=False)
                 .where(exp.and_(*in_dates(col("EVENT_DATE"), self.period)), copy=False)
                 .group_by(col("PERSON_KEY"), copy=False))
        self.ctes.append(("ENTRY", entry))

    # --- require and exclude -----------------------------------------------------------------

    def _when(self, c: EventCriterion | Died | AldActive | InCohort) -> list[exp.Expr]:
        """The conditions on an event (or span) row `x` of the criterion's set that make it count."""
        date = col("EVENT_DATE", "x")
        if isinstance(c, AldActive):  # the span covers the day(s): started by the first, open
            first, last = ((date_literal(c.span[0]), date_literal(c.span[1])) if c.span
                           else (col("INDEX_DATE", "e"), col("INDEX_DATE", "e")))
            end = col("END_DATE", "x")
            return [exp.LTE(this=date, expression=first), exp.paren(exp.or_(
                exp.Is(this=end, expression=exp.Null()), exp.GTE(this=end.copy(), expression=last)))]
        if isinstance(c, EventCriterion) and c.calendar:
            return in_dates(date, Dates(*c.calendar))
        window = c.window if isinstance(c, Died | InCohort) else (c.window or DEFAULT_WINDOW)
        return in_window(date, window)

    def _union(self, users: list[Counted]) -> exp.Query:
        """The event sets of the criteria and values that count events, in one union tagged by
        set (EVENTS = n). ALD spans carry their END_DATE; the events of other sets a NULL one."""
        spans = {self._events_of(c) for c in users if isinstance(c, AldActive)}
        union: exp.Query | None = None
        for name in dict.fromkeys(self._events_of(c) for c in users):
            number = exp.Literal.number(int(name.rsplit("_", 1)[1]))
            columns = [named(number, "EVENTS"), col("PERSON_KEY"), col("EVENT_DATE")]
            if spans:
                columns.append(col("END_DATE") if name in spans
                               else named(exp.cast(exp.Null(), exp.DataType.build("DATE")), "END_DATE"))
            part = exp.select(*columns).from_(table(name), copy=False)
            union = part if union is None else exp.union(union, part, distinct=False, copy=False)
        assert union is not None
        return union

    def _counted(self, c: Counted) -> exp.Expr:
        """The condition on a row `x` of the union: of the criterion's set, and counting for it."""
        number = exp.Literal.number(int(self._events_of(c).rsplit("_", 1)[1]))
        return exp.and_(exp.EQ(this=col("EVENTS", "x"), expression=number), *self._when(c),
                        copy=False)

    def _value(self, value: Value) -> tuple[exp.Expr, set[str]]:
        """A per-person value over the union (`x`) and PERSON (`p`), with PERSON's columns used."""
        if isinstance(value, EventValue):
            hit = self._counted(value.event)
            if value.how == "count":
                return count_where(hit), set()
            date = exp.Case().when(hit, col("EVENT_DATE", "x"))
            return exp.func("MIN" if value.how == "first" else "MAX", date), set()
        if value == "age_at_index":
            years = exp.Div(this=exp.paren(parse(AGE_IN_MONTHS)), expression=exp.Literal.number(12))
            return (exp.cast(exp.func("FLOOR", years), exp.DataType.build("INT")),
                    {"BIRTH_YEAR", "BIRTH_MONTH"})
        if value == "sex":
            sex = exp.Case()
            for text, code in SEX_CODES.items():
                sex = sex.when(exp.EQ(this=col("SEX", "p"), expression=exp.Literal.number(code)),
                               exp.Literal.string(text))
            return sex, {"SEX"}
        return col("DEPARTMENT", "p"), {"DEPARTMENT"}

    def _person(self, columns: set[str]) -> None:
        b = "b"

        month = exp.TryCast(this=col("BEN_NAI_MOI", b), to=exp.DataType.build("INT"))
        every = {
            "SEX": exp.func("MIN", col("BEN_SEX_COD", b)),
            "BIRTH_YEAR": exp.func("MIN", col("BEN_NAI_ANN", b)),
            "BIRTH_MONTH": exp.func("MIN", exp.Case().when(
                exp.Between(this=month, low=exp.Literal.number(1), high=exp.Literal.number(12)),
                month.copy())),
            "DEPARTMENT": exp.func("MAX", col("BEN_RES_DPT", b)),
            "DEATH_DATE": exp.func("MIN", real_date(col("BEN_DCD_DTE", b))),
            "REGISTERED": exp.func("MIN", real_date(col("BEN_DTE_INS", b))),
        }
        # Every person, in one linear pass (not only the entered ones: a second reference to
        # ENTRY would make engines that inline CTEs, like Spark, compute it twice).
        q = (exp.select(named(col("BEN_NIR_ANO", b), "PERSON_KEY"),
                        *(named(v, k) for k, v in every.items() if k in columns))
             .from_(table("IR_BEN_R", b), copy=False)
             .group_by(col("BEN_NIR_ANO", b), copy=False))
        self.ctes.append(("PERSON", q))
        self.tables.add("IR_BEN_R")

    def _predicate(self, c: PersonCriterion) -> tuple[exp.Expr, set[str]]:
        """A per-person condition on PERSON (alias p) and ENTRY (alias e), with the columns used:
        each person criterion writes its own (`predicate`, `person_columns`)."""
        return c.predicate(), set(c.person_columns)

    def _steps(self) -> list[exp.Expr]:
        """STEPS: ENTRY joined once to the criteria's events and to PERSON, aggregated per person
        (ENTRY is read once, whatever the number of criteria)."""
        keeps: list[exp.Expr] = []
        users: list[Counted] = []  # the criteria and values that count events of the union
        person_columns: set[str] = set()
        for how, c in self.cohort.criteria:
            if isinstance(c, EventCriterion | AldActive | InCohort) or (isinstance(c, Died)
                                                                      and c.codelist):
                users.append(c)
                hits = count_where(self._counted(c))
                at_least = exp.Literal.number(c.at_least if isinstance(c, EventCriterion) else 1)
                keeps.append(exp.GTE(this=hits, expression=at_least) if how == "require"
                             else exp.LT(this=hits, expression=at_least))
            else:
                pred, columns = self._predicate(c)
                person_columns |= columns
                holds = exp.func("COALESCE", pred, exp.false())
                keeps.append(holds if how == "require" else exp.Not(this=holds))
        values: list[exp.Expr] = []
        for value in self.cohort.values.values():
            expr, columns = self._value(value)
            values.append(expr)
            person_columns |= columns
            if isinstance(value, EventValue):
                users.append(value.event)
        q = exp.select(col("PERSON_KEY", "e"), col("INDEX_DATE", "e")).from_(
            table("ENTRY", "e"), copy=False)
        if users:
            q = q.join(subquery(self._union(users), "x"), on=_same_person("x", "e"),
                       join_type="left", copy=False)
        if person_columns:
            self._person(person_columns)
            q = q.join(table("PERSON", "p"), on=_same_person("p", "e"), join_type="left",
                       copy=False)
        q = q.select(*(named(keep, f"KEEP_{k}") for k, keep in enumerate(keeps, start=1)),
                     *(named(v, f"VALUE_{i}") for i, v in enumerate(values, start=1)), copy=False)
        if users:  # one row per person: PERSON's columns are the person's, grouped as such
            q = q.group_by(col("PERSON_KEY", "e"), col("INDEX_DATE", "e"),
                           *(col(name, "p") for name in sorted(person_columns)), copy=False)
        self.ctes.append(("STEPS", q))
        return [col(f"KEEP_{k}") for k in range(1, len(keeps) + 1)]

    # --- the whole ---------------------------------------------------------------------------

    def labels(self) -> list[str]:
        period, entry = self.cohort.period, self.cohort.entry
        if entry.registered_on is not None:
            out = [f"entry: registered and alive on {entry.registered_on}"]
        elif entry.reimbursed_care:
            out = [f"entry: reimbursed care, first in {period.start}..{period.end}"]
        else:
            events = " or ".join(c.describe() for c in entry.any_of)
            out = [f"entry: {events}, first in {period.start}..{period.end}"]
        for how, c in self.cohort.criteria:
            text = f"{how}: {c.describe()}"
            if isinstance(c, EventCriterion) and c.calendar:
                first, last = c.calendar
                text += (f" in {c.in_year}" if c.in_year is not None
                         else f" between {first} and {last}")
            elif isinstance(c, EventCriterion):
                text += f" {show_window(c.window or DEFAULT_WINDOW)}"
            out.append(text)
        return out

    def compile(self) -> Compiled:
        self._plan_events()
        self._event_ctes()
        self._entry()
        stepped = bool(self.cohort.criteria or self.cohort.values)
        keeps = self._steps() if stepped else []
        last = "STEPS" if stepped else "ENTRY"
        self._share_person_maps()
        # PASSED: how many criteria in a row the person meets (each KEEP_k is TRUE or FALSE, never
        # NULL). One CASE over the criteria, then a comparison per step: the query grows linearly
        # with the criteria, where ANDing every prefix of them grew quadratically (issue 10).
        passed: exp.Expr = exp.Literal.number(0)
        if keeps:
            passed = exp.Case(default=exp.Literal.number(len(keeps)))
            for k, keep in enumerate(keeps):
                passed = passed.when(exp.Not(this=keep), exp.Literal.number(k), copy=False)
        last_cols = exp.select(col("PERSON_KEY"), col("INDEX_DATE"), named(passed, "PASSED"),
                               *(col(f"VALUE_{i}") for i in range(1, len(self.cohort.values) + 1))
                               ).from_(table(last), copy=False)
        self.ctes.append(("REACHED", last_cols))

        def reached(k: int) -> exp.Expr:
            return exp.GTE(this=col("PASSED"), expression=exp.Literal.number(k))

        people = (exp.select(col("PERSON_KEY"), col("INDEX_DATE")).from_(table("REACHED"))
                  .where(reached(len(keeps)), copy=False)
                  .order_by(exp.Ordered(this=col("PERSON_KEY"), nulls_first=False), copy=False))
        counts = [named(count_where(reached(k)), f"STEP_{k}") for k in range(len(keeps) + 1)]
        attrition = exp.select(*counts).from_(table("REACHED"), copy=False)
        keep_rows = exp.select(col("PERSON_KEY"), col("PASSED")).from_(table("REACHED"))
        values = (exp.select(col("PERSON_KEY"), col("INDEX_DATE"),
                             *(col(f"VALUE_{i}") for i in range(1, len(self.cohort.values) + 1)))
                  .from_(table("REACHED"), copy=False).where(reached(len(keeps)), copy=False)
                  .order_by(exp.Ordered(this=col("PERSON_KEY"), nulls_first=False), copy=False))
        shared = {name: cte for name, cte in self.ctes if name.startswith(SHARED_PREFIXES)}
        for name, cte in self.ctes:
            people = people.with_(name, as_=cte, copy=False)
            attrition = attrition.with_(name, as_=cte.copy(), copy=False)
            keep_rows = keep_rows.with_(name, as_=cte.copy(), copy=False)
            values = values.with_(name, as_=cte.copy(), copy=False)
        return Compiled(people, attrition, self.labels(), keep_rows, set(self.tables), shared,
                        values, list(self.cohort.values))


def compile_cohort(cohort: Cohort, library: Mapping[str, Cohort] | None = None) -> Compiled:
    return _Compiler(cohort, library).compile()
