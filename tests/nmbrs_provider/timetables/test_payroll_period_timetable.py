"""PayrollPeriodTimetable: one run per Nmbrs payroll period, data interval = the period's days."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pendulum
import pytest
from airflow.exceptions import AirflowTimetableInvalid
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction

from nmbrs_provider.core.periods import PayrollPeriod, PeriodError, PeriodType
from nmbrs_provider.timetables import (
    PayrollPeriodTimetable,
    period_data_interval,
    period_of_interval,
)
from nmbrs_provider.timetables import payroll_period as module

AMS = pendulum.timezone("Europe/Amsterdam")
TYPES = ["M", "4W", "W"]
PER_YEAR = {("M", 2026): 12, ("M", 2027): 12, ("4W", 2026): 13, ("4W", 2027): 13}
PER_YEAR |= {("W", 2026): 53, ("W", 2027): 52}


def local(*args: int) -> pendulum.DateTime:
    """A wall-clock time in Europe/Amsterdam."""
    return pendulum.datetime(*args, tz=AMS)


def utc(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="UTC")


def schedule(
    timetable: PayrollPeriodTimetable,
    restriction: TimeRestriction,
    *,
    last: DataInterval | None = None,
    limit: int = 300,
) -> list[DagRunInfo]:
    """Ask the timetable for runs the way the scheduler and backfills do, until it says None."""
    infos: list[DagRunInfo] = []
    while len(infos) < limit:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        if info is None:
            return infos
        infos.append(info)
        last = info.data_interval
    raise AssertionError(f"no end after {limit} runs")


def periods(timetable: PayrollPeriodTimetable, infos: list[DagRunInfo]) -> list[str]:
    return [str(timetable.period_of(i.data_interval.start, i.data_interval.end)) for i in infos]


@pytest.fixture
def now(monkeypatch):
    """Pin the timetable's clock: ``now(local(2026, 3, 10))``."""

    def set_now(moment: pendulum.DateTime) -> None:
        monkeypatch.setattr(module, "_utcnow", lambda: moment.in_timezone("UTC"))

    return set_now


# --------------------------------------------------------------------------- tiling
@pytest.mark.parametrize("period_type", TYPES)
def test_catchup_runs_tile_2026_and_2027_one_run_per_period(period_type):
    timetable = PayrollPeriodTimetable(period_type)
    first = PayrollPeriod(2026, 1, PeriodType.parse(period_type))
    last = PayrollPeriod.periods_in_year(2027, period_type)[-1]
    restriction = TimeRestriction(
        earliest=period_data_interval(first).start,
        latest=period_data_interval(last).start,
        catchup=True,
    )
    infos = schedule(timetable, restriction)

    expected = PayrollPeriod.periods_in_year(2026, period_type)
    expected += PayrollPeriod.periods_in_year(2027, period_type)
    assert periods(timetable, infos) == [str(p) for p in expected]
    for year in (2026, 2027):
        count = sum(1 for p in expected if p.year == year)
        assert count == PER_YEAR[(period_type, year)]
    for before, after in itertools.pairwise(infos):
        assert before.data_interval.end == after.data_interval.start  # no gap, no overlap
    for info, period in zip(infos, expected, strict=True):
        start, end = info.data_interval
        assert isinstance(start, pendulum.DateTime) and start.tzinfo is not None
        assert start.utcoffset() == dt.timedelta(0)  # Airflow stores UTC
        # exactly the period's days, 00:00 local to 00:00 local, whatever DST does
        assert start.in_timezone(AMS) == local(*period.start.timetuple()[:3])
        assert end.in_timezone(AMS) == local(*(period.end + dt.timedelta(days=1)).timetuple()[:3])
        assert info.logical_date == start
        assert info.run_after == end.in_timezone(AMS).add(days=2).in_timezone("UTC")


def test_2026_has_53_weeks_and_the_13th_four_week_period_takes_week_53():
    timetable = PayrollPeriodTimetable("4W")
    thirteenth = timetable.interval_of("2026-13-4W")
    assert thirteenth.start == local(2026, 11, 30)
    assert thirteenth.end == local(2027, 1, 4)  # five weeks: ISO weeks 49..53
    assert timetable.interval_of("2027-1-4W").start == thirteenth.end
    weekly = PayrollPeriodTimetable("W")
    assert weekly.interval_of("2026-53-W") == DataInterval(local(2026, 12, 28), local(2027, 1, 4))
    assert weekly.interval_of("2027-1-W").start == local(2027, 1, 4)
    assert weekly.interval_of("2027-52-W").end == local(2028, 1, 3)


@pytest.mark.parametrize(
    ("period", "start_utc", "end_utc", "hours"),
    [
        # summer time starts on Sunday 29 March 2026, ends on Sunday 25 October 2026
        ("2026-3-M", utc(2026, 2, 28, 23), utc(2026, 3, 31, 22), 31 * 24 - 1),
        ("2026-4-M", utc(2026, 3, 31, 22), utc(2026, 4, 30, 22), 30 * 24),
        ("2026-10-M", utc(2026, 9, 30, 22), utc(2026, 10, 31, 23), 31 * 24 + 1),
        ("2026-13-W", utc(2026, 3, 22, 23), utc(2026, 3, 29, 22), 7 * 24 - 1),
        ("2026-43-W", utc(2026, 10, 18, 22), utc(2026, 10, 25, 23), 7 * 24 + 1),
        ("2026-4-4W", utc(2026, 3, 22, 23), utc(2026, 4, 19, 22), 28 * 24 - 1),
        ("2026-3-4W", utc(2026, 2, 22, 23), utc(2026, 3, 22, 23), 28 * 24),
        ("2027-3-M", utc(2027, 2, 28, 23), utc(2027, 3, 31, 22), 31 * 24 - 1),
        ("2027-43-W", utc(2027, 10, 24, 22), utc(2027, 10, 31, 23), 7 * 24 + 1),
    ],
)
def test_dst_changes_do_not_shift_period_boundaries(period, start_utc, end_utc, hours):
    parsed = PayrollPeriod.parse(period)
    interval = PayrollPeriodTimetable(parsed.type).interval_of(parsed)
    assert interval == DataInterval(start_utc, end_utc)
    assert (interval.end - interval.start).total_seconds() == hours * 3600
    assert interval.start.in_timezone(AMS).time() == dt.time(0)
    assert interval.end.in_timezone(AMS).time() == dt.time(0)


def test_the_timezone_is_configurable():
    timetable = PayrollPeriodTimetable("M", timezone="America/New_York")
    assert timetable.interval_of("2026-3-M") == DataInterval(utc(2026, 3, 1, 5), utc(2026, 4, 1, 4))
    assert PayrollPeriodTimetable("M", timezone="UTC").interval_of("2026-3-M") == DataInterval(
        utc(2026, 3, 1), utc(2026, 4, 1)
    )


# ---------------------------------------------------------------------- run_after
def test_run_after_is_the_interval_end_plus_the_delay():
    info = PayrollPeriodTimetable("M").run_info("2026-2-M")
    assert info.data_interval == DataInterval(local(2026, 2, 1), local(2026, 3, 1))
    assert info.run_after == local(2026, 3, 3)
    hours = PayrollPeriodTimetable("4W", delay=dt.timedelta(hours=36)).run_info("2026-2-4W")
    assert hours.run_after == local(2026, 2, 24, 12)  # ends 23 Feb 00:00
    assert PayrollPeriodTimetable("4W", delay=36) == PayrollPeriodTimetable(
        "4W", delay=dt.timedelta(hours=36)
    )
    assert PayrollPeriodTimetable("W", delay=0).run_info("2026-1-W").run_after == local(2026, 1, 5)


def test_whole_days_of_the_delay_are_calendar_days_across_dst():
    # week 12 of 2026 ends at 00:00 on Monday 23 March; DST starts Sunday 29 March
    info = PayrollPeriodTimetable("W", delay=dt.timedelta(days=7)).run_info("2026-12-W")
    assert info.run_after == local(2026, 3, 30)  # 00:00 local, 167 elapsed hours later
    assert info.run_after == utc(2026, 3, 29, 22)


# ------------------------------------------------------------------- first run
@pytest.mark.parametrize(
    ("period_type", "start", "first"),
    [
        ("M", dt.date(2026, 3, 15), "2026-3-M"),  # the period containing start
        ("M", dt.date(2026, 3, 1), "2026-3-M"),
        ("4W", dt.date(2026, 1, 1), "2026-1-4W"),  # which began 2025-12-29
        ("W", dt.date(2027, 1, 2), "2026-53-W"),
        ("4W", "2026-1-4W", "2026-1-4W"),
        ("4W", "2026-1-W4", "2026-1-4W"),
        ("M", PayrollPeriod(2026, 12, PeriodType.MONTH), "2026-12-M"),
        ("M", "2026-05-20", "2026-5-M"),
        ("M", dt.datetime(2026, 4, 30, 23, 30), "2026-4-M"),  # naive: wall clock in the zone
        ("M", utc(2026, 4, 30, 23, 30), "2026-5-M"),  # aware: 01:30 on 1 May in Amsterdam
    ],
)
def test_the_first_run_is_the_period_containing_start(period_type, start, first):
    timetable = PayrollPeriodTimetable(period_type, start=start)
    timetable.validate()
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(None, None, catchup=True)
    )
    assert periods(timetable, [info]) == [first]


@pytest.mark.parametrize(
    ("period_type", "earliest", "first"),
    [
        ("M", local(2026, 3, 1), "2026-3-M"),
        ("M", utc(2026, 3, 1), "2026-3-M"),  # UTC midnight is 01:00 on the 1st in Amsterdam
        ("M", utc(2026, 2, 28, 23), "2026-3-M"),
        ("M", utc(2026, 2, 28, 22, 59), "2026-3-M"),  # still 28 Feb locally: next to start
        ("M", local(2026, 3, 15), "2026-4-M"),  # no logical date before start_date
        ("4W", utc(2026, 1, 1), "2026-2-4W"),
        ("4W", local(2025, 12, 29), "2026-1-4W"),
        ("W", local(2026, 12, 31), "2027-1-W"),
    ],
)
def test_the_first_run_starts_on_or_after_the_local_day_of_earliest(period_type, earliest, first):
    timetable = PayrollPeriodTimetable(period_type)
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(earliest, None, True)
    )
    assert periods(timetable, [info]) == [first]


def test_start_and_earliest_together_take_the_later():
    timetable = PayrollPeriodTimetable("M", start=dt.date(2026, 6, 10))
    early = TimeRestriction(local(2026, 1, 1), None, True)
    late = TimeRestriction(local(2026, 9, 1), None, True)
    assert periods(
        timetable,
        [timetable.next_dagrun_info(last_automated_data_interval=None, restriction=early)],
    ) == ["2026-6-M"]
    assert periods(
        timetable, [timetable.next_dagrun_info(last_automated_data_interval=None, restriction=late)]
    ) == ["2026-9-M"]


def test_with_catchup_and_nothing_to_start_from_there_is_no_run():
    timetable = PayrollPeriodTimetable("M")
    restriction = TimeRestriction(None, None, catchup=True)
    assert (
        timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
        is None
    )


# ------------------------------------------------------------------ next runs
def test_after_a_run_comes_the_next_period_across_the_year_end():
    timetable = PayrollPeriodTimetable("W")
    last = timetable.interval_of("2026-53-W")
    info = timetable.next_dagrun_info(
        last_automated_data_interval=last,
        restriction=TimeRestriction(local(2026, 1, 1), None, True),
    )
    assert periods(timetable, [info]) == ["2027-1-W"]
    assert info.data_interval.start == last.end


def test_after_a_schedule_change_logical_dates_still_increase():
    timetable = PayrollPeriodTimetable("M")
    daily = DataInterval(local(2026, 3, 14), local(2026, 3, 15))  # a former @daily run
    info = timetable.next_dagrun_info(
        last_automated_data_interval=daily, restriction=TimeRestriction(None, None, True)
    )
    assert periods(timetable, [info]) == ["2026-4-M"]
    assert info.logical_date > daily.start


# ----------------------------------------------------------------------- catchup
@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2026, 3, 2, 23, 59), "2026-1-M"),  # February's run is at 00:00 on 3 March
        (local(2026, 3, 3), "2026-2-M"),
        (local(2026, 3, 31, 12), "2026-2-M"),
        (local(2026, 4, 3), "2026-3-M"),
        (local(2027, 1, 3), "2026-12-M"),
    ],
)
def test_without_catchup_the_first_run_is_the_latest_period_whose_run_is_due(now, moment, expected):
    now(moment)
    timetable = PayrollPeriodTimetable("M")
    restriction = TimeRestriction(local(2025, 1, 1), None, catchup=False)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert periods(timetable, [info]) == [expected]
    assert info.run_after <= moment
    following = timetable.run_info(PayrollPeriod.parse(expected).next())
    assert following.run_after > moment


def test_without_catchup_periods_long_past_are_skipped(now):
    moment = local(2026, 11, 24, 12)
    now(moment)
    timetable = PayrollPeriodTimetable("4W")
    restriction = TimeRestriction(local(2025, 12, 29), None, catchup=False)
    long_ago = timetable.interval_of("2026-2-4W")
    info = timetable.next_dagrun_info(
        last_automated_data_interval=long_ago, restriction=restriction
    )
    # 2026-11-4W (5 Oct .. 1 Nov) is due since 4 Nov; 2026-12-4W (2 .. 29 Nov) runs on 2 Dec
    assert periods(timetable, [info]) == ["2026-11-4W"]
    assert info.run_after == local(2026, 11, 4)
    # the next one follows on without a gap, scheduled in the future
    after = timetable.next_dagrun_info(
        last_automated_data_interval=info.data_interval, restriction=restriction
    )
    assert periods(timetable, [after]) == ["2026-12-4W"]
    assert after.data_interval.start == info.data_interval.end
    assert after.run_after == local(2026, 12, 2) > moment


def test_without_catchup_a_future_start_date_still_wins(now):
    now(local(2026, 3, 10))
    timetable = PayrollPeriodTimetable("M")
    restriction = TimeRestriction(local(2026, 6, 1), None, catchup=False)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert periods(timetable, [info]) == ["2026-6-M"]


def test_without_catchup_and_without_start_date_the_latest_due_period_runs(now):
    now(local(2027, 1, 6))
    timetable = PayrollPeriodTimetable("W")
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(None, None, False)
    )
    assert periods(timetable, [info]) == ["2026-53-W"]  # ended 4 Jan, due 6 Jan 00:00


def test_with_catchup_every_period_runs_in_order_even_long_past(now):
    now(local(2027, 2, 1))
    timetable = PayrollPeriodTimetable("M")
    infos = schedule(
        timetable, TimeRestriction(local(2026, 1, 1), local(2026, 12, 31), catchup=True)
    )
    assert periods(timetable, infos) == [f"2026-{n}-M" for n in range(1, 13)]


# ------------------------------------------------------------------ restriction.latest
@pytest.mark.parametrize(
    ("latest", "last_period"),
    [
        (local(2026, 6, 1), "2026-6-M"),  # a period starting exactly at latest still runs
        (local(2026, 6, 1).subtract(seconds=1), "2026-5-M"),
        (utc(2026, 5, 31, 22), "2026-6-M"),
        (local(2026, 6, 30, 23), "2026-6-M"),
    ],
)
def test_no_run_for_a_period_starting_after_latest(latest, last_period):
    timetable = PayrollPeriodTimetable("M")
    infos = schedule(timetable, TimeRestriction(local(2026, 1, 1), latest, catchup=True))
    assert periods(timetable, infos)[-1] == last_period
    assert all(i.logical_date <= latest for i in infos)


# ---------------------------------------------------------------------- backfill
@pytest.mark.parametrize(
    ("period_type", "from_date", "to_date", "expected"),
    [
        ("M", "2025-03-01", "2025-05-31", ["2025-3-M", "2025-4-M", "2025-5-M"]),
        ("M", "2025-03-15", "2025-06-01", ["2025-4-M", "2025-5-M", "2025-6-M"]),
        ("4W", "2025-01-01", "2025-03-01", ["2025-2-4W", "2025-3-4W"]),
        ("W", "2024-12-23", "2025-01-06", ["2024-52-W", "2025-1-W", "2025-2-W"]),
    ],
)
def test_backfill_runs_the_periods_starting_within_the_range(
    period_type, from_date, to_date, expected
):
    """What ``airflow backfill create --from-date X --to-date Y`` asks (dates read as UTC)."""
    timetable = PayrollPeriodTimetable(period_type)
    start, end = pendulum.parse(from_date), pendulum.parse(to_date)
    infos = schedule(timetable, TimeRestriction(start, end, catchup=True))
    infos = [i for i in infos if i.data_interval.end < pendulum.now("UTC")]
    assert periods(timetable, infos) == expected
    for info in infos:  # logical dates inside [from, to] as calendar days in the zone
        assert start.date() <= info.logical_date.in_timezone(AMS).date() <= end.date()


def test_backfill_of_periods_that_have_not_ended_creates_no_runs(now):
    now(local(2026, 3, 10))
    timetable = PayrollPeriodTimetable("M")
    moment = local(2026, 3, 10)
    infos = schedule(timetable, TimeRestriction(local(2026, 2, 1), local(2026, 3, 31), True))
    assert periods(timetable, infos) == ["2026-2-M", "2026-3-M"]
    assert periods(timetable, [i for i in infos if i.data_interval.end < moment]) == ["2026-2-M"]


# ------------------------------------------------------------------ manual runs
@pytest.mark.parametrize(
    ("period_type", "run_after", "period"),
    [
        ("M", local(2026, 3, 15, 10), "2026-2-M"),
        ("M", local(2026, 4, 1), "2026-3-M"),  # ended exactly now
        ("M", local(2026, 4, 1).subtract(microseconds=1), "2026-2-M"),
        ("M", utc(2026, 4, 1), "2026-3-M"),
        ("M", local(2027, 1, 1, 9), "2026-12-M"),
        ("4W", local(2027, 1, 4, 9), "2026-13-4W"),
        ("4W", local(2027, 1, 3, 23), "2026-12-4W"),
        ("W", local(2027, 1, 4, 9), "2026-53-W"),
        ("W", local(2026, 3, 30, 1), "2026-13-W"),  # the week DST started
    ],
)
def test_a_manual_run_closes_the_latest_period_that_has_ended(period_type, run_after, period):
    timetable = PayrollPeriodTimetable(period_type)
    interval = timetable.infer_manual_data_interval(run_after=run_after)
    assert interval == timetable.interval_of(period)
    assert interval.end <= run_after


# ------------------------------------------------------------ period_of_interval
@pytest.mark.parametrize("period_type", TYPES)
def test_period_of_interval_inverts_every_interval_of_2026_and_2027(period_type):
    timetable = PayrollPeriodTimetable(period_type)
    for year in (2026, 2027):
        for period in PayrollPeriod.periods_in_year(year, period_type):
            start, end = timetable.interval_of(period)
            assert period_of_interval(start, period_type) == period
            assert period_of_interval(start, period_type, data_interval_end=end) == period
            assert period_of_interval(start.in_timezone(AMS), period_type) == period
            assert period_of_interval(str(start), period_type) == period
            assert timetable.period_of(start, end) == period
            assert period_data_interval(period) == (start, end)


def test_period_of_interval_reads_rendered_templates_and_other_zones():
    assert period_of_interval("2026-02-28 23:00:00+00:00", "M") == PayrollPeriod.parse("2026-3-M")
    assert period_of_interval("2026-02-28T23:00:00Z", "m") == PayrollPeriod.parse("2026-3-M")
    assert period_of_interval("2026-03-01T00:00:00+01:00", "M") == PayrollPeriod.parse("2026-3-M")
    assert period_of_interval(utc(2026, 3, 1, 5), "M", "America/New_York") == PayrollPeriod.parse(
        "2026-3-M"
    )


@pytest.mark.parametrize(
    ("start", "match"),
    [
        (utc(2026, 3, 1), "is not the start of a M payroll period"),  # UTC, not local, midnight
        (local(2026, 3, 2), "2026-3-M starts at 2026-02-28T23:00:00"),
        (dt.datetime(2026, 3, 1), "has no timezone"),
        ("1 March", "not an ISO 8601 date-time"),
        (dt.date(2026, 3, 1), "must be a datetime"),
    ],
)
def test_period_of_interval_rejects_starts_that_are_not_a_period_start(start, match):
    with pytest.raises(PeriodError, match=match):
        period_of_interval(start, "M")


def test_period_of_interval_checks_the_end_and_can_be_lenient():
    with pytest.raises(PeriodError, match="is not payroll period 2026-3-M"):
        period_of_interval(local(2026, 3, 1), "M", data_interval_end=local(2026, 3, 2))
    with pytest.raises(PeriodError, match="unknown period type"):
        period_of_interval(local(2026, 3, 1), "Q")
    with pytest.raises(PeriodError, match="unknown timezone"):
        period_of_interval(local(2026, 3, 1), "M", "Mars/Olympus")
    assert period_of_interval(local(2026, 3, 17, 13), "W", strict=False) == PayrollPeriod.parse(
        "2026-12-W"
    )


# ---------------------------------------------------------------- serialization
@pytest.mark.parametrize(
    "timetable",
    [
        PayrollPeriodTimetable(),
        PayrollPeriodTimetable("4W", delay=dt.timedelta(hours=36)),
        PayrollPeriodTimetable("W1", timezone="America/New_York", delay=0, start="2026-53-W"),
        PayrollPeriodTimetable("M", start=dt.date(2026, 1, 15), delay=dt.timedelta(minutes=90)),
    ],
    ids=repr,
)
def test_serialize_round_trips_through_json(timetable):
    data = json.loads(json.dumps(timetable.serialize()))
    back = PayrollPeriodTimetable.deserialize(data)
    assert back == timetable
    assert hash(back) == hash(timetable)
    assert back.serialize() == timetable.serialize()
    assert back.summary == timetable.summary
    assert back.description == timetable.description


def test_serialized_form():
    timetable = PayrollPeriodTimetable("W4", start="2026-1-4W")
    assert timetable.serialize() == {
        "period_type": "4W",
        "timezone": "Europe/Amsterdam",
        "delay": 172800.0,
        "start": "2025-12-29",
    }


def test_equality():
    base = PayrollPeriodTimetable("4W")
    assert base == PayrollPeriodTimetable("W4", timezone="Europe/Amsterdam", delay=48)
    assert base == PayrollPeriodTimetable("4W", timezone=pendulum.timezone("Europe/Amsterdam"))
    assert base != PayrollPeriodTimetable("W")
    assert base != PayrollPeriodTimetable("4W", delay=dt.timedelta(days=3))
    assert base != PayrollPeriodTimetable("4W", timezone="UTC")
    assert base != PayrollPeriodTimetable("4W", start=dt.date(2026, 1, 1))
    assert base != "4W"
    assert len({base, PayrollPeriodTimetable("4W"), PayrollPeriodTimetable("M")}) == 2


# ---------------------------------------------------------------- summary, description
@pytest.mark.parametrize(
    ("timetable", "summary"),
    [
        (PayrollPeriodTimetable(), "monthly payroll period, 2 days after it ends"),
        (PayrollPeriodTimetable("4W", delay=36), "4-weekly payroll period, 36 hours after it ends"),
        (
            PayrollPeriodTimetable("W", delay=dt.timedelta(days=1)),
            "weekly payroll period, 1 day after it ends",
        ),
        (PayrollPeriodTimetable("W", delay=1.5), "weekly payroll period, 90 minutes after it ends"),
        (PayrollPeriodTimetable("M", delay=0), "monthly payroll period, as soon as it ends"),
    ],
)
def test_summary(timetable, summary):
    assert timetable.summary == summary


def test_description_explains_the_period_zone_and_delay():
    text = PayrollPeriodTimetable("4W", start="2026-1-4W").description
    assert "4-weekly Nmbrs payroll period" in text
    assert "ISO week 53" in text
    assert "Europe/Amsterdam" in text
    assert "00:00" in text
    assert "2 days after it ends" in text
    assert "first period is 2026-1-4W" in text


# ------------------------------------------------------------------------ validate
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"period_type": "Q"}, r"unknown period type 'Q': expected M \(month\), 4W"),
        ({"period_type": "2W"}, "unknown period type '2W'"),
        ({"delay": dt.timedelta(hours=-1)}, "delay must not be negative.*got -1 hour"),
        ({"delay": -2}, "delay must not be negative"),
        ({"delay": "2 days"}, "delay must be a timedelta or a number of hours"),
        ({"delay": True}, "delay must be a timedelta or a number of hours"),
        ({"timezone": "Europe/Amsterdm"}, "unknown timezone 'Europe/Amsterdm'"),
        ({"timezone": "+01:00"}, "unknown timezone"),
        ({"start": "2026-1-M", "period_type": "4W"}, "start period 2026-1-M is not a 4W period"),
        ({"start": "soon"}, "neither a payroll period"),
        ({"start": 2026}, "start must be a date"),
    ],
)
def test_validate_rejects_bad_settings_with_clear_messages(kwargs, match):
    period_type = kwargs.pop("period_type", "M")
    timetable = PayrollPeriodTimetable(period_type, **kwargs)  # constructing never raises
    with pytest.raises(AirflowTimetableInvalid, match=match):
        timetable.validate()
    assert "invalid" in timetable.summary or "invalid" in timetable.description
    with pytest.raises(AirflowTimetableInvalid):
        timetable.next_dagrun_info(
            last_automated_data_interval=None, restriction=TimeRestriction(None, None, True)
        )
    with pytest.raises(AirflowTimetableInvalid):
        timetable.serialize()


def test_validate_lists_every_problem():
    timetable = PayrollPeriodTimetable("Q", delay=-1, timezone="Nowhere")
    with pytest.raises(AirflowTimetableInvalid) as raised:
        timetable.validate()
    message = str(raised.value)
    assert "period type" in message and "negative" in message and "timezone" in message


@pytest.mark.parametrize("period_type", ["M", "m", "4W", "W4", "W", "W1", PeriodType.FOUR_WEEKS])
def test_validate_accepts_nmbrs_spellings(period_type):
    timetable = PayrollPeriodTimetable(period_type)
    assert timetable.validate() is None
    assert timetable.period_type is PeriodType.parse(period_type)
    assert timetable.delay == dt.timedelta(days=2)
    assert timetable.timezone.name == "Europe/Amsterdam"
