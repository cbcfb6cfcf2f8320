"""Airflow timetables of the Nmbrs provider (registered by ``NmbrsPlugin``)."""

from __future__ import annotations

from nmbrs_provider.timetables.payroll_period import (
    DEFAULT_DELAY,
    DEFAULT_TIMEZONE,
    PayrollPeriodTimetable,
    period_data_interval,
    period_of_interval,
)

__all__ = [
    "DEFAULT_DELAY",
    "DEFAULT_TIMEZONE",
    "PayrollPeriodTimetable",
    "period_data_interval",
    "period_of_interval",
]
