"""The environment of a self-contained Airflow: its own home, SQLite, this repository's DAGs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Variables of the surrounding shell that must not leak into a self-contained Airflow.
FOREIGN_PREFIXES = ("AIRFLOW_CONN_", "AIRFLOW__", "AIRFLOW_VAR_", "AIRFLOW_HOME", "NMBRS_")


def airflow_env(
    home: Path, *, dags_folder: Path | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for Airflow processes of ``home`` (SQLite metadata in it)."""
    env = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if not key.startswith(FOREIGN_PREFIXES)
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder or ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        }
    )
    return env
