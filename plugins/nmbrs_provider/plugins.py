"""The Airflow plugin of the provider (loaded through the ``airflow.plugins`` entry point)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


class NmbrsPlugin(AirflowPlugin):
    """Registers the provider's Airflow extensions."""

    name = "nmbrs"
