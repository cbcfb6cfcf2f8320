"""Each company's load publishes nmbrs://<company_id>/hours/<period> for downstream DAGs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json


def test_landed_hours_are_published_as_asset_events(airflow_env, nmbrs_sandbox, warehouse_db):
    seed_demo(warehouse_db)
    env = dict(airflow_env)
    env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER)
    env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = warehouse_db.airflow_conn_json()
    result = run_airflow(
        env, "dags", "test", "nmbrs_payroll_sync", "--conf", json.dumps({"period": "2026-11-M"})
    )
    run_id = next(
        line.split("run_id=")[1].split(",")[0]
        for line in (result.stdout + result.stderr).splitlines()
        if "DagRun Finished" in line
    )
    with sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db") as db:
        events = db.execute(
            "select a.uri, e.extra from asset_event e join asset a on a.id = e.asset_id"
        ).fetchall()
    mine = {uri: json.loads(extra) for uri, extra in events if run_id in extra}
    assert set(mine) == {"nmbrs://54613/hours/2026-11-M", "nmbrs://54614/hours/2026-11-M"}
    horeca = mine["nmbrs://54613/hours/2026-11-M"]
    assert horeca["company_id"] == 54613 and horeca["employees_written"] == 3
    assert horeca["hours_sent"] > 0 and horeca["run_id"] == run_id


def test_next_execution_shows_payroll_periods_not_cron_ticks(airflow_env):
    import datetime as dt
    from zoneinfo import ZoneInfo

    run_airflow(airflow_env, "dags", "reserialize")
    result = run_airflow(airflow_env, "dags", "next-execution", "nmbrs_payroll_sync", "-n", "3")
    moments = [
        dt.datetime.fromisoformat(line.strip())
        for line in result.stdout.splitlines()
        if line.strip()[:2] == "20" and " " not in line.strip()
    ]
    assert len(moments) == 3, result.stdout
    local = [m.astimezone(ZoneInfo("Europe/Amsterdam")) for m in moments]
    assert all((m.day, m.hour, m.minute) == (1, 0, 0) for m in local), local
    months = [(m.year * 12 + m.month) for m in local]
    assert months == [months[0], months[0] + 1, months[0] + 2]
