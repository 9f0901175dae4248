"""Legal deadlines as dates.

Three ways of counting, as a procedure's description says:

- **days**: calendar days;
- **months**: the same day of the month, or the month's last day when it has no such day
  (31 January + 1 month = 28 or 29 February);
- **working days**: Monday to Friday except the French public holidays (metropolitan France's
  national list from the `holidays` package; Alsace-Moselle's two extra days are not counted).

The day a period starts from is not counted: 7 days from a Monday end on the next Monday. Deadlines
in days and months are not moved off weekends and public holidays: the texts the procedures follow
set calendar periods, and the date shown is the one the texts give.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import cache
from typing import Literal

import holidays

Unit = Literal["days", "working_days", "months"]


def add_days(start: date, days: int) -> date:
    return start + timedelta(days=days)


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@cache
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (before it when n < 0; `start` itself when n = 0)."""
    day, step = start, 1 if n >= 0 else -1
    for _ in range(abs(n)):
        day += timedelta(days=step)
        while not is_working_day(day):
            day += timedelta(days=step)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative, counted the other way, when end is before start."""
    if end < start:
        return -working_days_between(end, start)
    return sum(is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def add(start: date, length: int, unit: Unit) -> date:
    """The last day of a period of `length` units starting after `start`."""
    if unit == "months":
        return add_months(start, length)
    if unit == "working_days":
        return add_working_days(start, length)
    return add_days(start, length)


def between(start: date, end: date, unit: Unit) -> int:
    """How many days a clock counts in (start, end]: working days for a clock in working days,
    calendar days otherwise (a clock in months stops and resumes by the day)."""
    if unit == "working_days":
        return working_days_between(start, end)
    return (end - start).days


def shift(start: date, count: int, unit: Unit) -> date:
    """`start` moved by `count` of the days `between` counts: how a stopped clock resumes."""
    return add_working_days(start, count) if unit == "working_days" else add_days(start, count)
