"""Period arithmetic for month, four-week and week companies."""

from __future__ import annotations

from datetime import date

import pytest

from nmbrs_sandbox import periods


@pytest.mark.parametrize(
    ("period_type", "year", "count"),
    [("M", 2026, 12), ("4W", 2026, 13), ("W", 2026, 53), ("W", 2027, 52), ("W", 2020, 53)],
)
def test_periods_in_year(period_type: str, year: int, count: int) -> None:
    assert periods.periods_in_year(period_type, year) == count
    assert periods.is_valid(period_type, year, count)
    assert not periods.is_valid(period_type, year, count + 1)
    assert not periods.is_valid(period_type, year, 0)


def test_bounds() -> None:
    assert periods.bounds("M", 2026, 2) == (date(2026, 2, 1), date(2026, 2, 28))
    assert periods.bounds("W", 2026, 1) == (date(2025, 12, 29), date(2026, 1, 4))
    assert periods.bounds("4W", 2026, 1) == (date(2025, 12, 29), date(2026, 1, 25))
    assert periods.bounds("4W", 2026, 13) == (date(2026, 11, 30), date(2027, 1, 3))


@pytest.mark.parametrize(
    ("period_type", "day", "expected"),
    [
        ("M", date(2026, 11, 10), (2026, 11)),
        ("W", date(2026, 12, 31), (2026, 53)),
        ("W", date(2025, 12, 29), (2026, 1)),
        ("4W", date(2027, 1, 2), (2026, 13)),
        ("4W", date(2026, 11, 10), (2026, 12)),
    ],
)
def test_period_of(period_type: str, day: date, expected: tuple[int, int]) -> None:
    assert periods.period_of(period_type, day) == expected
