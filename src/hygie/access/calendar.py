"""Legal deadlines as dates.

A deadline in days counts calendar days; one in months falls on the same day of the month, or on
the month's last day when it has no such day (31 January + 1 month = 28 or 29 February). Deadlines
are not moved off weekends and public holidays: the texts the procedure follows set calendar
periods, and the date shown is the one the texts give.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_days(start: date, days: int) -> date:
    return start + timedelta(days=days)


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
