"""The Airflow plugin of the provider (loaded through the ``airflow.plugins`` entry point)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from nmbrs_provider.timetables.payroll_period import PayrollPeriodTimetable


class NmbrsPlugin(AirflowPlugin):
    """Registers the provider's Airflow extensions."""

    name = "nmbrs"
    timetables = [PayrollPeriodTimetable]
