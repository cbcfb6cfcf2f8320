"""Nmbrs payroll periods: month, 4-week and week periods and their calendar dates.

A company has one period type. Periods are numbered from 1 within a year:

* ``M``  (month): calendar month ``number`` of ``year``, 12 per year.
* ``W``  (week): ISO week ``number`` of ISO year ``year`` (Monday to Sunday), 52 or 53 per year.
* ``4W`` (4 weeks): ISO weeks ``4p-3 .. 4p`` of ISO year ``year``, 13 per year; period 13
  also takes ISO week 53 when the ISO year has one (2020, 2026, 2032, ...).

Nmbrs writes periods as ``yyyy-p-type`` without zero padding (``2026-11-M``, ``2026-4-W4``,
``2026-47-W1``); :meth:`PayrollPeriod.parse` accepts those, padding, whitespace and the
spellings ``M``, ``4W``, ``W4``, ``W``, ``W1`` in any case. ``str(period)`` is canonical:
``2026-11-M``, ``2026-12-4W``, ``2026-48-W``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["PayrollPeriod", "PeriodError", "PeriodType", "iso_weeks_in_year", "periods_in_year"]

_ACCEPTED_FORMS = (
    "expected YEAR-NUMBER-TYPE with TYPE M (month), 4W or W4 (4 weeks), W or W1 (week), "
    "e.g. '2026-11-M', '2026-4-W4', '2026-04-4W', '2026-47-W1', '2026-48-W'"
)
_PERIOD_RE = re.compile(r"^\s*(\d{4})\s*-\s*(\d{1,2})\s*-\s*([A-Za-z0-9]+)\s*$")
_MIN_YEAR, _MAX_YEAR = 1900, 9998


class PeriodError(ValueError):
    """A payroll period or period type that is malformed or out of range."""


class PeriodType(str, Enum):
    """Nmbrs period type of a company."""

    MONTH = "M"
    FOUR_WEEKS = "4W"
    WEEK = "W"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, text: str | PeriodType) -> PeriodType:
        """Parse ``M``, ``4W``, ``W4``, ``W`` or ``W1`` (any case, surrounding space allowed)."""
        if isinstance(text, PeriodType):
            return text
        if not isinstance(text, str):
            raise PeriodError(f"period type must be a string, got {text!r}")
        key = text.strip().upper()
        found = _TYPE_SPELLINGS.get(key)
        if found is None:
            raise PeriodError(
                f"unknown period type {text!r}: expected M (month), 4W or W4 (4 weeks), "
                "W or W1 (week)"
            )
        return found

    def periods_in(self, year: int) -> int:
        """Number of periods of this type in ``year`` (12, 13, or 52/53 ISO weeks)."""
        if self is PeriodType.MONTH:
            return 12
        if self is PeriodType.FOUR_WEEKS:
            return 13
        return iso_weeks_in_year(year)


_TYPE_SPELLINGS = {
    "M": PeriodType.MONTH,
    "4W": PeriodType.FOUR_WEEKS,
    "W4": PeriodType.FOUR_WEEKS,
    "W": PeriodType.WEEK,
    "W1": PeriodType.WEEK,
}


def iso_weeks_in_year(year: int) -> int:
    """Number of ISO weeks (52 or 53) in ISO year ``year``."""
    return dt.date(year, 12, 28).isocalendar()[1]


@dataclass(frozen=True, order=True)
class PayrollPeriod:
    """One payroll period, e.g. ``PayrollPeriod(2026, 11, PeriodType.MONTH)``.

    ``start`` and ``end`` are inclusive dates. Periods of one type order chronologically.
    The ``type`` argument may be given as a string (``"M"``, ``"W4"``, ...).
    """

    year: int
    number: int
    type: PeriodType

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", PeriodType.parse(self.type))
        for name in ("year", "number"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise PeriodError(f"period {name} must be an integer, got {value!r}")
        if not _MIN_YEAR <= self.year <= _MAX_YEAR:
            raise PeriodError(f"period year {self.year} is outside {_MIN_YEAR}..{_MAX_YEAR}")
        last = self.type.periods_in(self.year)
        if not 1 <= self.number <= last:
            raise PeriodError(
                f"period {self.year}-{self.number}-{self.type}: number must be 1..{last} "
                f"for type {self.type} in {self.year}"
            )

    def __str__(self) -> str:
        return f"{self.year}-{self.number}-{self.type.value}"

    @classmethod
    def parse(cls, text: str | PayrollPeriod) -> PayrollPeriod:
        """Parse Nmbrs' ``yyyy-p-type`` text (see module docstring for accepted forms)."""
        if isinstance(text, PayrollPeriod):
            return text
        if not isinstance(text, str):
            raise PeriodError(f"cannot parse payroll period {text!r}: {_ACCEPTED_FORMS}")
        match = _PERIOD_RE.match(text)
        if match is None:
            raise PeriodError(f"cannot parse payroll period {text!r}: {_ACCEPTED_FORMS}")
        year, number, kind = match.groups()
        try:
            return cls(int(year), int(number), PeriodType.parse(kind))
        except PeriodError as err:
            raise PeriodError(f"invalid payroll period {text!r}: {err}; {_ACCEPTED_FORMS}") from err

    @classmethod
    def containing(cls, day: dt.date, type: PeriodType | str) -> PayrollPeriod:
        """The period of ``type`` that contains ``day`` (ISO year for W and 4W)."""
        kind = PeriodType.parse(type)
        if isinstance(day, dt.datetime):
            day = day.date()
        if kind is PeriodType.MONTH:
            return cls(day.year, day.month, kind)
        iso_year, week, _ = day.isocalendar()
        if kind is PeriodType.WEEK:
            return cls(iso_year, week, kind)
        return cls(iso_year, min((week - 1) // 4 + 1, 13), kind)

    @classmethod
    def periods_in_year(cls, year: int, type: PeriodType | str) -> list[PayrollPeriod]:
        """All periods of ``type`` in ``year``, in order."""
        kind = PeriodType.parse(type)
        return [cls(year, n, kind) for n in range(1, kind.periods_in(year) + 1)]

    @property
    def start(self) -> dt.date:
        """First day of the period."""
        if self.type is PeriodType.MONTH:
            return dt.date(self.year, self.number, 1)
        week = self.number if self.type is PeriodType.WEEK else 4 * self.number - 3
        return dt.date.fromisocalendar(self.year, week, 1)

    @property
    def end(self) -> dt.date:
        """Last day of the period (inclusive)."""
        if self.type is PeriodType.MONTH:
            return dt.date(self.year, self.number, calendar.monthrange(self.year, self.number)[1])
        if self.type is PeriodType.WEEK:
            week = self.number
        elif self.number == 13:
            week = iso_weeks_in_year(self.year)
        else:
            week = 4 * self.number
        return dt.date.fromisocalendar(self.year, week, 7)

    @property
    def days(self) -> int:
        """Number of calendar days in the period."""
        return (self.end - self.start).days + 1

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` lies within ``start .. end``."""
        if isinstance(day, dt.datetime):
            day = day.date()
        return self.start <= day <= self.end

    def next(self) -> PayrollPeriod:
        """The following period of the same type (crossing into the next year)."""
        if self.number < self.type.periods_in(self.year):
            return PayrollPeriod(self.year, self.number + 1, self.type)
        return PayrollPeriod(self.year + 1, 1, self.type)

    def previous(self) -> PayrollPeriod:
        """The preceding period of the same type (crossing into the previous year)."""
        if self.number > 1:
            return PayrollPeriod(self.year, self.number - 1, self.type)
        return PayrollPeriod(self.year - 1, self.type.periods_in(self.year - 1), self.type)


def periods_in_year(year: int, type: PeriodType | str) -> list[PayrollPeriod]:
    """All periods of ``type`` in ``year``, in order (same as ``PayrollPeriod.periods_in_year``)."""
    return PayrollPeriod.periods_in_year(year, type)
