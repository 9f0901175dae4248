"""Expression helpers of the targeting SQL: nodes built directly with SQLGlot, not parsed from
text (compiling takes milliseconds), shared by the events layer, the criteria and the compiler.
Only numbers, dates and codes of a definition become literals; names never enter the SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlglot import exp

# Age at index in months, birth taken on the first day of the birth month (of January when
# BEN_NAI_MOI is unknown), over ENTRY (alias e) and PERSON (alias p): a fixed template of ours.
AGE_IN_MONTHS = ("(YEAR(e.INDEX_DATE) * 12 + MONTH(e.INDEX_DATE))"
                 " - (p.BIRTH_YEAR * 12 + COALESCE(p.BIRTH_MONTH, 1))")
BIRTH_MONTHS = "p.BIRTH_YEAR * 12 + COALESCE(p.BIRTH_MONTH, 1)"


@dataclass(frozen=True)
class Dates:
    """Event dates to keep, bounds included (None: open). Pushed into every scan."""

    start: dt.date | None = None
    end: dt.date | None = None

    def hull(self, other: Dates) -> Dates:
        start = None if self.start is None or other.start is None else min(self.start, other.start)
        end = None if self.end is None or other.end is None else max(self.end, other.end)
        return Dates(start, end)


# --- expression helpers: nodes built directly, not parsed from text (compiling takes ms) -------


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table)


def named(e: exp.Expr, name: str) -> exp.Alias:
    """`e AS name`."""
    return exp.Alias(this=e, alias=exp.to_identifier(name))


def table(name: str, alias: str | None = None) -> exp.Table:
    """A table (or view, or CTE) of ours, optionally `AS alias`."""
    t = exp.Table(this=exp.to_identifier(name))
    if alias:
        t.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return t


def subquery(query: exp.Query, alias: str) -> exp.Subquery:
    return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def date_literal(day: dt.date) -> exp.Expr:
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.build("DATE"))


def as_date(e: exp.Expr) -> exp.Expr:
    return exp.cast(e, exp.DataType.build("DATE"))


def text(e: exp.Expr) -> exp.Expr:
    return exp.cast(e, exp.DataType.build("VARCHAR"))


def in_dates(column: exp.Expr, dates: Dates) -> list[exp.Expr]:
    """`column` within the dates; the upper bound is `< end + 1 day`, right for timestamps too."""
    out: list[exp.Expr] = []
    if dates.start is not None:
        out.append(exp.GTE(this=column.copy(), expression=date_literal(dates.start)))
    if dates.end is not None:
        out.append(exp.LT(this=column.copy(),
                          expression=date_literal(dates.end + dt.timedelta(days=1))))
    return out



def days_from_index(date: exp.Expr) -> exp.Expr:
    return exp.DateDiff(this=date, expression=col("INDEX_DATE", "e"), unit=exp.Var(this="DAY"))


def in_window(date: exp.Expr, window: tuple[int | None, int | None]) -> list[exp.Expr]:
    """`date` from `start` to `end` days from the index date (ENTRY, alias e), both included."""
    start, end = window
    out: list[exp.Expr] = []
    if start is not None:
        out.append(exp.GTE(this=days_from_index(date.copy()), expression=exp.Literal.number(start)))
    if end is not None:
        out.append(exp.LTE(this=days_from_index(date.copy()), expression=exp.Literal.number(end)))
    return out


def months_between(min_years: int | None, max_years: int | None, months: exp.Expr) -> exp.Expr:
    """An age in months within [min, max] completed years (a bound may be None)."""
    conds: list[exp.Expr] = []
    if min_years is not None:
        conds.append(exp.GTE(this=months, expression=exp.Literal.number(12 * min_years)))
    if max_years is not None:
        conds.append(exp.LT(this=months.copy(), expression=exp.Literal.number(12 * (max_years + 1))))
    return exp.and_(*conds, copy=False)
