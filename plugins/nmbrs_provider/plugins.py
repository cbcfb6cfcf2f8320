"""The Airflow plugin of the provider (loaded through the ``airflow.plugins`` entry point)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from nmbrs_provider.timetables.payroll_period import PayrollPeriodTimetable


def _fastapi_apps() -> list[dict]:
    """The Nmbrs page, only where FastAPI is installed (the API server has it)."""
    try:
        from nmbrs_provider.ui.app import URL_PREFIX, app
    except ImportError:  # pragma: no cover - a worker without the API server's packages
        return []
    return [{"app": app, "url_prefix": URL_PREFIX, "name": "Nmbrs payroll"}]


class NmbrsPlugin(AirflowPlugin):
    """Registers the provider's Airflow extensions: the timetable and the Nmbrs page."""

    name = "nmbrs"
    timetables = [PayrollPeriodTimetable]
    fastapi_apps = _fastapi_apps()
    external_views = [
        {
            "name": "Nmbrs payroll",
            "href": "/nmbrs/",
            "url_route": "nmbrs",
            "destination": "nav",
        }
    ]
