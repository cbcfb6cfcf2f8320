"""A throw-away Airflow installation (SQLite metadata) for CLI and `airflow dags test` runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from dev.airflow_home import airflow_env as self_contained_env

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory) -> dict[str, str]:
    """Environment for Airflow subprocesses: its own AIRFLOW_HOME, SQLite, the repo's DAGs."""
    home = tmp_path_factory.mktemp("airflow_home")
    env = self_contained_env(home)
    env.update(
        {
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "NMBRS_SYNC_CONFIG": str(ROOT / "include" / "nmbrs_sync.yaml"),
        }
    )
    run_airflow(env, "db", "migrate")
    return env


def run_airflow(
    env: Mapping[str, str], *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the ``airflow`` command line and return its output."""
    result = subprocess.run(
        [AIRFLOW, *args],
        env=dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"airflow {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result
