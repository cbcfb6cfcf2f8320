"""Fixtures for the provider's tests: Airflow connections pointing at the Nmbrs sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

DEMO_USER = ("demo@example.com", "sandbox-demo-token")
LIMITED_USER = ("limited@example.com", "sandbox-limited-token")


def nmbrs_conn_json(url: str, username: str, token: str, domain: str = "demo", **extra) -> str:
    """An ``AIRFLOW_CONN_*`` value for an Nmbrs connection."""
    return json.dumps(
        {
            "conn_type": "nmbrs",
            "login": username,
            "password": token,
            "host": url,
            "extra": {"domain": domain, **extra},
        }
    )


@pytest.fixture
def nmbrs_connection(monkeypatch) -> Callable[..., str]:
    """Create an Airflow connection (env var) and return its conn id."""

    def make(conn_id: str, url: str, username: str, token: str, domain: str = "demo", **extra):
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn_id.upper()}",
            nmbrs_conn_json(url, username, token, domain, **extra),
        )
        return conn_id

    return make


@pytest.fixture
def demo_conn(nmbrs_sandbox, nmbrs_connection) -> str:
    """``nmbrs_demo``: the demo API user (every permission) on a fresh sandbox."""
    return nmbrs_connection("nmbrs_demo", nmbrs_sandbox.url, *DEMO_USER)
