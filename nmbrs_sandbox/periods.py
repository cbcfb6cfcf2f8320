"""Payroll periods: month (M), four weeks (4W) and week (W), numbered from 1 per year.

Week periods follow ISO weeks; four-week period p covers ISO weeks 4p-3..4p and the last
one (13) also takes week 53 when the year has one.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Literal

PeriodType = Literal["M", "4W", "W"]
PERIOD_TYPES: tuple[PeriodType, ...] = ("M", "4W", "W")


def periods_in_year(period_type: PeriodType, year: int) -> int:
    """How many periods ``year`` has: 12, 13, or 52/53 ISO weeks."""
    if period_type == "M":
        return 12
    if period_type == "4W":
        return 13
    return date(year, 12, 28).isocalendar()[1]


def is_valid(period_type: PeriodType, year: int, period: int) -> bool:
    return 1 <= year <= 9999 and 1 <= period <= periods_in_year(period_type, year)


def bounds(period_type: PeriodType, year: int, period: int) -> tuple[date, date]:
    """First and last day of a valid period."""
    if period_type == "M":
        return date(year, period, 1), date(year, period, calendar.monthrange(year, period)[1])
    if period_type == "W":
        first_week, last_week = period, period
    else:
        first_week = 4 * period - 3
        last_week = periods_in_year("W", year) if period == 13 else 4 * period
    start = date.fromisocalendar(year, first_week, 1)
    return start, date.fromisocalendar(year, last_week, 1) + timedelta(days=6)


def period_of(period_type: PeriodType, day: date) -> tuple[int, int]:
    """The (year, period) a day falls in."""
    if period_type == "M":
        return day.year, day.month
    iso_year, week, _ = day.isocalendar()
    if period_type == "W":
        return iso_year, week
    return iso_year, min((week - 1) // 4 + 1, 13)


def period_code(year: int, period: int, suffix: str) -> str:
    """Nmbrs' ``yyyy-p-type`` notation, period not zero-padded: ``2026-11-M``."""
    return f"{year}-{period}-{suffix}"


def parse_key(key: str) -> tuple[int, int]:
    """Parse a scenario/state period key ``"2026-11"``."""
    year, _, period = str(key).partition("-")
    if not period:
        raise ValueError(f"period key {key!r} is not YYYY-P")
    return int(year), int(period)


def key(year: int, period: int) -> str:
    """The period key used in scenario files and state views: ``"2026-11"``."""
    return f"{year}-{period}"
