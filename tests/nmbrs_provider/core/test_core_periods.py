from __future__ import annotations

import datetime as dt
import itertools

import pytest

from nmbrs_provider.core.periods import (
    PayrollPeriod,
    PeriodError,
    PeriodType,
    iso_weeks_in_year,
    periods_in_year,
)

M, W4, W = PeriodType.MONTH, PeriodType.FOUR_WEEKS, PeriodType.WEEK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("M", M),
        ("m", M),
        (" 4W ", W4),
        ("4w", W4),
        ("W4", W4),
        ("w4", W4),
        ("W", W),
        ("W1", W),
        ("w1", W),
    ],
)
def test_period_type_parse_accepts_nmbrs_spellings(text, expected):
    assert PeriodType.parse(text) is expected


@pytest.mark.parametrize("text", ["", "Q", "2W", "month", "W2", None, 4])
def test_period_type_parse_rejects_other_spellings(text):
    with pytest.raises(PeriodError, match="period type"):
        PeriodType.parse(text)


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("2026-11-M", PayrollPeriod(2026, 11, M), "2026-11-M"),
        ("2026-4-W4", PayrollPeriod(2026, 4, W4), "2026-4-4W"),
        ("2026-04-4W", PayrollPeriod(2026, 4, W4), "2026-4-4W"),
        ("2026-12-4W", PayrollPeriod(2026, 12, W4), "2026-12-4W"),
        ("2026-47-W1", PayrollPeriod(2026, 47, W), "2026-47-W"),
        ("2026-48-W", PayrollPeriod(2026, 48, W), "2026-48-W"),
        ("  2026 - 01 - m ", PayrollPeriod(2026, 1, M), "2026-1-M"),
        ("2026-53-W", PayrollPeriod(2026, 53, W), "2026-53-W"),
    ],
)
def test_parse_accepts_nmbrs_and_padded_forms_and_prints_canonical(text, expected, canonical):
    period = PayrollPeriod.parse(text)
    assert period == expected
    assert str(period) == canonical
    assert PayrollPeriod.parse(str(period)) == period


@pytest.mark.parametrize("text", ["2026/11/M", "2026-11", "26-11-M", "2026-11-M-1", "", "abc"])
def test_malformed_period_error_quotes_input_and_shows_forms(text):
    with pytest.raises(PeriodError) as err:
        PayrollPeriod.parse(text)
    message = str(err.value)
    assert repr(text) in message
    assert "2026-11-M" in message and "W4" in message and "W1" in message


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("2026-13-M", "1..12"),
        ("2026-0-M", "1..12"),
        ("2026-14-4W", "1..13"),
        ("2025-53-W", "1..52"),
        ("2026-54-W", "1..53"),
    ],
)
def test_out_of_range_numbers_are_rejected_with_the_valid_range(text, limit):
    with pytest.raises(PeriodError, match=limit) as err:
        PayrollPeriod.parse(text)
    assert repr(text) in str(err.value)


def test_constructor_validates_and_coerces_type():
    assert PayrollPeriod(2026, 3, "w4").type is W4
    with pytest.raises(PeriodError):
        PayrollPeriod(2026, True, M)
    with pytest.raises(PeriodError):
        PayrollPeriod("2026", 1, M)


def test_month_dates():
    feb = PayrollPeriod(2028, 2, M)
    assert (feb.start, feb.end, feb.days) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29), 29)
    dec = PayrollPeriod(2026, 12, M)
    assert (dec.start, dec.end) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


def test_week_dates_follow_iso_weeks():
    week1 = PayrollPeriod(2026, 1, W)
    assert (week1.start, week1.end) == (dt.date(2025, 12, 29), dt.date(2026, 1, 4))
    week53 = PayrollPeriod(2026, 53, W)
    assert (week53.start, week53.end) == (dt.date(2026, 12, 28), dt.date(2027, 1, 3))


def test_four_week_period_13_takes_week_53_in_long_years():
    assert PayrollPeriod(2026, 13, W4).days == 35
    assert PayrollPeriod(2026, 13, W4).end == dt.date(2027, 1, 3)
    assert PayrollPeriod(2025, 13, W4).days == 28
    assert PayrollPeriod(2025, 13, W4).end == dt.date(2025, 12, 28)
    first = PayrollPeriod(2026, 1, W4)
    assert (first.start, first.end) == (dt.date(2025, 12, 29), dt.date(2026, 1, 25))


@pytest.mark.parametrize("year", [2020, 2026, 2032])
def test_53_week_years(year):
    assert iso_weeks_in_year(year) == 53
    assert len(periods_in_year(year, "W")) == 53
    assert len(PayrollPeriod.periods_in_year(year, W4)) == 13


@pytest.mark.parametrize("kind", list(PeriodType))
def test_consecutive_periods_tile_the_calendar_2019_to_2033(kind):
    period = PayrollPeriod.containing(dt.date(2019, 1, 1), kind)
    last_day = dt.date(2033, 12, 31)
    seen = 0
    while period.start <= last_day:
        following = period.next()
        assert following.start == period.end + dt.timedelta(days=1), (period, following)
        assert following.previous() == period
        assert following > period
        assert period.days == (period.end - period.start).days + 1
        seen += 1
        period = following
    assert seen > 0


@pytest.mark.parametrize("kind", list(PeriodType))
def test_every_day_2019_to_2033_lies_in_exactly_the_period_containing_it(kind):
    day = dt.date(2019, 1, 1)
    while day <= dt.date(2033, 12, 31):
        period = PayrollPeriod.containing(day, kind)
        assert period.start <= day <= period.end, (day, period)
        assert period.contains(day)
        assert not period.next().contains(day)
        assert not period.previous().contains(day)
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("kind", list(PeriodType))
@pytest.mark.parametrize("year", range(2019, 2034))
def test_periods_in_year_are_contiguous_and_the_last_continues_into_next_year(kind, year):
    periods = PayrollPeriod.periods_in_year(year, kind)
    assert [p.number for p in periods] == list(range(1, len(periods) + 1))
    for before, after in itertools.pairwise(periods):
        assert after.start == before.end + dt.timedelta(days=1)
    assert periods[-1].next() == PayrollPeriod(year + 1, 1, kind)
    assert periods[0].previous() == PayrollPeriod.periods_in_year(year - 1, kind)[-1]
    if kind is M:
        assert sum(p.days for p in periods) in (365, 366)
    else:
        assert sum(p.days for p in periods) == 7 * iso_weeks_in_year(year)


@pytest.mark.parametrize(
    ("day", "kind", "expected"),
    [
        (dt.date(2027, 1, 1), W, "2026-53-W"),
        (dt.date(2027, 1, 1), W4, "2026-13-4W"),
        (dt.date(2027, 1, 1), M, "2027-1-M"),
        (dt.date(2027, 1, 4), W, "2027-1-W"),
        (dt.date(2024, 12, 30), W, "2025-1-W"),
        (dt.date(2024, 12, 30), W4, "2025-1-4W"),
        (dt.date(2021, 1, 3), W, "2020-53-W"),
        (dt.date(2026, 11, 15), W, "2026-46-W"),
        (dt.datetime(2026, 11, 15, 23, 59), M, "2026-11-M"),
    ],
)
def test_containing_uses_iso_year_for_weeks(day, kind, expected):
    assert str(PayrollPeriod.containing(day, kind)) == expected


def test_next_and_previous_cross_year_ends():
    assert str(PayrollPeriod(2026, 12, M).next()) == "2027-1-M"
    assert str(PayrollPeriod(2027, 1, M).previous()) == "2026-12-M"
    assert str(PayrollPeriod(2026, 52, W).next()) == "2026-53-W"
    assert str(PayrollPeriod(2026, 53, W).next()) == "2027-1-W"
    assert str(PayrollPeriod(2027, 1, W).previous()) == "2026-53-W"
    assert str(PayrollPeriod(2026, 1, W).previous()) == "2025-52-W"
    assert str(PayrollPeriod(2027, 1, W4).previous()) == "2026-13-4W"


def test_periods_order_chronologically_and_are_hashable():
    periods = [PayrollPeriod.parse(t) for t in ("2026-2-M", "2025-12-M", "2026-1-M")]
    assert [str(p) for p in sorted(periods)] == ["2025-12-M", "2026-1-M", "2026-2-M"]
    assert len({PayrollPeriod.parse("2026-04-4W"), PayrollPeriod.parse("2026-4-W4")}) == 1
