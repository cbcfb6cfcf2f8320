"""End to end: a deployment that keeps its config elsewhere, and setup mistakes.

``airflow dags test`` with the sync config in a folder of its own outside the project and no
``NMBRS_SQL_DIR`` (as a mounted config is deployed): the sync finds the SQL the project ships.
A connection that is not defined or of the wrong type fails the task on its first try: the task
instances in Airflow's metadata database show try 1 and no earlier tries.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.dags.sync_world import EVENTS, HORECA, SyncRun, SyncWorld
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json

pytestmark = pytest.mark.slow


def _query(world: SyncWorld, sql: str, *params: object) -> list[tuple]:
    database = Path(world.env["AIRFLOW_HOME"]) / "airflow.db"
    with closing(sqlite3.connect(database)) as db:
        return db.execute(sql, params).fetchall()


def _dag_run_ids(world: SyncWorld) -> list[str]:
    return [
        r[0]
        for r in _query(
            world, "select run_id from dag_run where dag_id = 'nmbrs_payroll_sync' order by id"
        )
    ]


def _run(world: SyncWorld) -> tuple[SyncRun, str]:
    """Run the DAG; return the run and its Airflow dag run id (from Airflow's own database)."""
    before = set(_dag_run_ids(world))
    run = world.run()
    new = [r for r in _dag_run_ids(world) if r not in before]
    assert len(new) == 1, f"no dag run started: {run.describe()}"
    return run, new[0]


def _tries(world: SyncWorld, dag_run_id: str) -> dict[tuple[str, int], tuple[str, int]]:
    """(task id, map index) -> (state, try number) of every task instance of the run."""
    rows = _query(
        world,
        "select task_id, map_index, state, try_number from task_instance where run_id = ?",
        dag_run_id,
    )
    return {(task, index): (state, tries) for task, index, state, tries in rows}


def _earlier_tries(world: SyncWorld, dag_run_id: str) -> list[tuple]:
    """Tries Airflow archived before a retry (none when nothing was retried)."""
    return _query(
        world,
        "select task_id, map_index, try_number, state from task_instance_history where run_id = ?",
        dag_run_id,
    )


def test_a_config_outside_the_project_without_nmbrs_sql_dir_runs_the_sync(
    nmbrs_sandbox, warehouse_db, airflow_env, tmp_path
):
    world = SyncWorld(nmbrs_sandbox, warehouse_db, airflow_env, tmp_path)
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    config = world.configure().rename(mounted / "nmbrs_sync.yaml")
    world.env["NMBRS_SYNC_CONFIG"] = str(config)
    assert "NMBRS_SQL_DIR" not in world.env
    assert not (mounted / "sql").exists()

    run, dag_run_id = _run(world)

    assert run.process.returncode == 0, run.describe()
    assert {c: r["status"] for c, r in world.company_runs(run).items()} == {
        HORECA: "succeeded",
        EVENTS: "succeeded",
    }
    held = {e: h.of_code(2100) for e, h in run.november.items() if e in run.expected}
    assert held == {e: [hours] for e, (hours, _) in run.expected.items()}
    tries = _tries(world, dag_run_id)
    assert tries[("sync_company", 0)] == ("success", 1)
    assert tries[("sync_company", 1)] == ("success", 1)
    assert _earlier_tries(world, dag_run_id) == []


def test_an_undefined_or_wrong_type_nmbrs_connection_fails_the_company_at_its_first_try(
    nmbrs_sandbox, warehouse_db, airflow_env, tmp_path
):
    world = SyncWorld(nmbrs_sandbox, warehouse_db, airflow_env, tmp_path)
    # A connection that would reach the sandbox with the right user, but is of type http.
    as_http = json.loads(nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER))
    world.env["AIRFLOW_CONN_NMBRS_AS_HTTP"] = json.dumps({**as_http, "conn_type": "http"})
    world.env.pop("AIRFLOW_CONN_NMBRS_UNDEFINED", None)
    world.configure(
        companies=[
            {"company_id": HORECA, "nmbrs_conn_id": "nmbrs_undefined", "organisations": [1]},
            {"company_id": EVENTS, "nmbrs_conn_id": "nmbrs_as_http", "organisations": [2]},
        ]
    )

    run, dag_run_id = _run(world)

    assert run.process.returncode == 1, run.describe()
    tries = _tries(world, dag_run_id)
    assert tries[("prepare", -1)] == ("success", 1)
    assert tries[("sync_company", 0)] == ("failed", 1)
    assert tries[("sync_company", 1)] == ("failed", 1)
    assert _earlier_tries(world, dag_run_id) == []
    assert f"Company {HORECA}: Connection 'nmbrs_undefined' is not defined" in run.output
    assert f"Company {EVENTS}: Connection 'nmbrs_as_http' is of type 'http'" in run.output
    assert run.calls == []  # refused before any call to Nmbrs
    runs = world.company_runs(run)
    assert {c: r["status"] for c, r in runs.items()} == {HORECA: "failed", EVENTS: "failed"}
    assert all(r["run_id"].endswith(f"/{c}/try1") for c, r in runs.items())
    assert "nmbrs_undefined" in runs[HORECA]["message"]
    assert "nmbrs_as_http" in runs[EVENTS]["message"]


def test_an_undefined_warehouse_connection_fails_the_run_at_its_first_try(
    nmbrs_sandbox, warehouse_db, airflow_env, tmp_path
):
    world = SyncWorld(nmbrs_sandbox, warehouse_db, airflow_env, tmp_path)
    world.env.pop("AIRFLOW_CONN_WAREHOUSE_UNDEFINED", None)
    world.configure(warehouse_conn_id="warehouse_undefined")

    run, dag_run_id = _run(world)

    assert run.process.returncode == 1, run.describe()
    tries = _tries(world, dag_run_id)
    assert tries[("prepare", -1)] == ("failed", 1)
    assert _earlier_tries(world, dag_run_id) == []
    assert "Warehouse connection 'warehouse_undefined' is not defined" in run.output
    assert [s for (task, _), (s, _) in tries.items() if task == "sync_company"] == [
        "upstream_failed"
    ]  # no company task started
    assert run.calls == []
