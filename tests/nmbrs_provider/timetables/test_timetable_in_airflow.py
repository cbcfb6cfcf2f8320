"""Airflow sees PayrollPeriodTimetable: plugin registration, DAG serialization, the CLI."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pendulum
import pytest
from airflow.exceptions import AirflowTimetableInvalid
from airflow.sdk import DAG

from nmbrs_provider.timetables import PayrollPeriodTimetable
from tests.airflow_fixtures import run_airflow

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")
INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00")
QUALNAME = "nmbrs_provider.timetables.payroll_period.PayrollPeriodTimetable"
AMS = pendulum.timezone("Europe/Amsterdam")


def make_dag(dag_id: str, timetable: PayrollPeriodTimetable, **kwargs) -> DAG:
    kwargs.setdefault("start_date", pendulum.datetime(2025, 12, 29, tz="Europe/Amsterdam"))
    kwargs.setdefault("catchup", True)
    with DAG(dag_id, schedule=timetable, **kwargs) as dag:
        pass
    return dag


def roundtrip(dag: DAG):
    from airflow.serialization.serialized_objects import DagSerialization

    data = json.loads(json.dumps(DagSerialization.to_dict(dag)))
    return data, DagSerialization.from_dict(data)


# ---------------------------------------------------------------------- in process
def test_the_nmbrs_plugin_registers_the_timetable():
    from airflow import plugins_manager

    from nmbrs_provider.plugins import NmbrsPlugin

    assert PayrollPeriodTimetable in NmbrsPlugin.timetables
    assert plugins_manager.get_timetables_plugins()[QUALNAME] is PayrollPeriodTimetable


def test_a_dag_using_the_timetable_serializes_and_deserializes():
    timetable = PayrollPeriodTimetable("4W", delay=36, start="2026-1-4W")
    dag = make_dag("payroll_roundtrip", timetable)
    dag.validate()
    data, serialized = roundtrip(dag)
    assert data["dag"]["timetable"] == {
        "__type": QUALNAME,
        "__var": {
            "period_type": "4W",
            "timezone": "Europe/Amsterdam",
            "delay": 129600.0,
            "start": "2025-12-29",
        },
    }
    assert serialized.timetable == timetable
    assert serialized.timetable.summary == "4-weekly payroll period, 36 hours after it ends"
    assert serialized.timetable.description == timetable.description


def test_backfill_of_a_serialized_dag_runs_the_periods_in_the_range():
    """Airflow's own backfill planning (``airflow backfill create``) on the serialized DAG."""
    from airflow.models.backfill import _get_info_list

    _, serialized = roundtrip(make_dag("payroll_backfill", PayrollPeriodTimetable("M")))
    infos = _get_info_list(
        from_date=pendulum.datetime(2025, 3, 1),  # the CLI reads dates as UTC midnight
        to_date=pendulum.datetime(2025, 5, 31),
        reverse=False,
        dag=serialized,
    )
    assert [i.logical_date.in_timezone(AMS) for i in infos] == [
        pendulum.datetime(2025, 3, 1, tz=AMS),
        pendulum.datetime(2025, 4, 1, tz=AMS),
        pendulum.datetime(2025, 5, 1, tz=AMS),
    ]
    periods = [str(serialized.timetable.period_of(*i.data_interval)) for i in infos]
    assert periods == ["2025-3-M", "2025-4-M", "2025-5-M"]


def test_a_dag_with_an_invalid_timetable_does_not_validate():
    dag = make_dag("payroll_invalid", PayrollPeriodTimetable("Q"))
    with pytest.raises(AirflowTimetableInvalid, match="unknown period type 'Q'"):
        dag.validate()


# ------------------------------------------------------------------------ the CLI
DAG_FILE = """
import pendulum
from airflow.sdk import DAG

from nmbrs_provider.timetables import PayrollPeriodTimetable

with DAG(
    "payroll_timetable_4w",
    schedule=PayrollPeriodTimetable("4W"),
    start_date=pendulum.datetime(2025, 12, 29, tz="Europe/Amsterdam"),
    catchup=True,
):
    pass

with DAG(
    "payroll_timetable_m",
    schedule=PayrollPeriodTimetable("M", delay=36),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=True,
):
    pass
"""

BAD_DAG_FILE = """
import pendulum
from airflow.sdk import DAG

from nmbrs_provider.timetables import PayrollPeriodTimetable

with DAG(
    "payroll_timetable_bad",
    schedule=PayrollPeriodTimetable("Q"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
):
    pass
"""


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory) -> dict[str, str]:
    """A throw-away Airflow (SQLite) whose DAGs folder holds only this test's DAG files."""
    home = tmp_path_factory.mktemp("timetable_airflow_home")
    dags, plugins = home / "dags", home / "plugins"
    dags.mkdir()
    plugins.mkdir()  # the plugin comes from the provider's airflow.plugins entry point
    (dags / "payroll_timetable_dags.py").write_text(textwrap.dedent(DAG_FILE))
    (dags / "payroll_timetable_bad.py").write_text(textwrap.dedent(BAD_DAG_FILE))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW_CONN_", "AIRFLOW__", "AIRFLOW_VAR_"))
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        }
    )
    run_airflow(env, "db", "migrate")
    run_airflow(env, "dags", "reserialize")
    return env


def lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip()]


def json_output(output: str) -> list[dict]:
    """The JSON list a command printed (warnings such as graphviz's also go to stdout)."""
    (found,) = [line for line in lines(output) if line.startswith("[")]
    return json.loads(found)


def table_rows(output: str) -> list[list[str]]:
    """The cells of the rows of a ``--table`` / tabulate table that start with a date."""
    rows = [line.strip("|").split("|") for line in lines(output) if "|" in line]
    return [[cell.strip() for cell in row] for row in rows if DATE.match(row[0].strip())]


@pytest.mark.slow
def test_airflow_plugins_lists_the_timetable(cli_env):
    result = run_airflow(cli_env, "plugins", "--output", "json")
    plugins = {p["name"]: p for p in json_output(result.stdout)}
    assert QUALNAME in plugins["nmbrs"]["timetables"]


@pytest.mark.slow
def test_airflow_parses_the_dags_and_reports_an_invalid_timetable(cli_env):
    listed = run_airflow(cli_env, "dags", "list", "--output", "json")
    dag_ids = {d["dag_id"] for d in json_output(listed.stdout)}
    assert {"payroll_timetable_4w", "payroll_timetable_m"} <= dag_ids
    assert Path(cli_env["AIRFLOW__CORE__DAGS_FOLDER"]).name == "dags"  # not the repo's dags/
    # exits 1 because there is an import error
    errors = run_airflow(cli_env, "dags", "list-import-errors", "--output", "json", check=False)
    (error,) = json_output(errors.stdout)
    assert error["filepath"] == "payroll_timetable_bad.py"
    assert "AirflowTimetableInvalid" in error["error"]
    assert "unknown period type 'Q'" in error["error"]


@pytest.mark.slow
def test_next_execution_shows_period_starts(cli_env):
    result = run_airflow(cli_env, "dags", "next-execution", "payroll_timetable_4w", "-n", "3")
    # 2026-1-4W starts Monday 29 December 2025, then every 4 weeks, 00:00 Amsterdam
    assert [line for line in lines(result.stdout) if INSTANT.fullmatch(line)] == [
        "2025-12-28T23:00:00+00:00",
        "2026-01-25T23:00:00+00:00",
        "2026-02-22T23:00:00+00:00",
    ]
    table = run_airflow(
        cli_env, "dags", "next-execution", "payroll_timetable_m", "-n", "3", "--table"
    )
    # logical date | data_interval.start | data_interval.end | run_after (36 hours later)
    assert table_rows(table.stdout) == [
        [
            "2024-12-31 23:00:00+00:00",
            "2024-12-31 23:00:00+00:00",
            "2025-01-31 23:00:00+00:00",
            "2025-02-02 11:00:00+00:00",
        ],
        [
            "2025-01-31 23:00:00+00:00",
            "2025-01-31 23:00:00+00:00",
            "2025-02-28 23:00:00+00:00",
            "2025-03-02 11:00:00+00:00",
        ],
        [
            "2025-02-28 23:00:00+00:00",
            "2025-02-28 23:00:00+00:00",
            "2025-03-31 22:00:00+00:00",
            "2025-04-02 10:00:00+00:00",
        ],
    ]


@pytest.mark.slow
def test_backfill_dry_run_plans_one_run_per_period(cli_env):
    result = run_airflow(
        cli_env,
        "backfill",
        "create",
        "--dag-id",
        "payroll_timetable_m",
        "--from-date",
        "2025-03-01",
        "--to-date",
        "2025-05-31",
        "--dry-run",
    )
    assert [row[0] for row in table_rows(result.stdout)] == [
        "2025-02-28 23:00:00+00:00",
        "2025-03-31 22:00:00+00:00",
        "2025-04-30 22:00:00+00:00",
    ]
