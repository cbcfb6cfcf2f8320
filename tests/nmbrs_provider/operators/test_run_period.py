"""Where a run's payroll period comes from: Param, data interval, asset event, or Nmbrs."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from airflow.sdk import Asset

from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.operators.payroll_sync import run_period
from nmbrs_provider.timetables import period_data_interval

NOVEMBER = PayrollPeriod.parse("2026-11-M")
TZ = "Europe/Amsterdam"


def interval_context(period: PayrollPeriod) -> dict:
    interval = period_data_interval(period, TZ)
    return {"data_interval_start": interval.start, "data_interval_end": interval.end}


def test_the_param_wins_over_everything():
    period, source = run_period("2026-10-M", interval_context(NOVEMBER), "M", TZ)
    assert (str(period), source) == ("2026-10-M", "the period Param")


def test_a_scheduled_or_backfill_run_syncs_its_data_interval():
    period, source = run_period(None, interval_context(NOVEMBER), "M", TZ)
    assert period == NOVEMBER and "data interval" in source


def test_a_4_week_interval_across_the_year_end_maps_to_its_period():
    last = PayrollPeriod.parse("2026-13-4W")  # ISO weeks 49-53 of 2026
    period, _ = run_period("", interval_context(last), "4W", TZ)
    assert period == last


def test_an_asset_triggered_run_takes_the_period_from_the_event():
    event = SimpleNamespace(extra={"period": "2026-11-M"})
    asset = Asset(name="keeping://1/hours", uri="keeping://1/hours")
    context = {"triggering_asset_events": {asset: [event]}}
    period, source = run_period(None, context, "M", TZ)
    assert period == NOVEMBER and "keeping://1/hours" in source


def test_a_run_without_interval_or_event_uses_the_current_period_in_nmbrs():
    now = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)
    period, source = run_period(
        None, {"data_interval_start": now, "data_interval_end": now}, "M", TZ
    )
    assert period is None and "current period in Nmbrs" in source
