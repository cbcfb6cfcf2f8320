"""Test-suite wide fixtures: the Nmbrs sandbox and a real PostgreSQL warehouse."""

from __future__ import annotations

pytest_plugins = [
    "nmbrs_sandbox.pytest_plugin",
    "dev.pytest_warehouse",
    "tests.airflow_fixtures",
]
