"""A worker killed at any point of a company's load, then a rerun, ends in exactly the state of
a fault-free run with a balanced ledger.

The worker really dies: the sandbox holds a chosen call (``kind="hold"``, never applied) and
the whole ``airflow dags test`` process group gets SIGKILL while it waits for the answer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import AIRFLOW, ROOT, run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json
from tests.reliability.test_transient_faults import CHANGE_AN_HOUR, NOVEMBER, held

HOLD_WAIT_S = 120
DAG_ARGS = ("dags", "test", "nmbrs_payroll_sync", "--conf", NOVEMBER)


@dataclass(frozen=True)
class CrashPoint:
    operation: str  # the call the worker is killed while waiting for (never applied)
    nth: int = 0  # which call of ``operation`` (0: the first) after ``after``
    after: str | None = None  # count from the first call of this operation
    changed: bool = False  # a run first, then an hour changed: the crash run deletes and inserts


CRASH_POINTS = {
    # nth=1: the first Insert_Batch of the change run is its write-permission probe (employee 0).
    "after_the_deletes_before_the_insert": CrashPoint(
        "HourComponentVar_Insert_Batch", nth=1, changed=True
    ),
    "between_insert_chunks": CrashPoint("HourComponentVar_Insert_Batch", nth=1),
    "before_the_days": CrashPoint("DaysVar_Set_Batch"),
    "before_the_ledger": CrashPoint("HourComponentVar_Get", after="DaysVar_Set_Batch"),
}


def _env(airflow_env, sandbox, warehouse_db) -> dict[str, str]:
    env = dict(airflow_env)
    env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(sandbox.url, *DEMO_USER, timeout=5)
    env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = warehouse_db.airflow_conn_json()
    return env


def _skip(point: CrashPoint, operations: list[str]) -> int:
    """How many calls of the crash point's operation come before it (in a calm run)."""
    start = operations.index(point.after) + 1 if point.after else 0
    return operations[:start].count(point.operation) + point.nth


def _run_and_kill(env: dict[str, str], sandbox, log: Path) -> tuple[bool, int]:
    """Run the DAG until the held call arrives, then SIGKILL its process group."""
    with log.open("w") as out:
        worker = subprocess.Popen(
            [AIRFLOW, *DAG_ARGS],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + HOLD_WAIT_S
            arrived = False
            while worker.poll() is None and time.monotonic() < deadline:
                if sandbox.wait_for_held(0.2):
                    arrived = True
                    break
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
            sandbox.release_held()
    return arrived, worker.returncode


def _held_calls(sandbox, wait_s: float = 5.0) -> list[int | None]:
    """HTTP statuses of held calls (logged once the released handler finishes)."""
    deadline = time.monotonic() + wait_s
    while True:
        statuses = [c["http_status"] for c in sandbox.calls() if c["injected"] == "hold"]
        if statuses or time.monotonic() > deadline:
            return statuses
        time.sleep(0.05)


def _airflow_run_ids(warehouse_db) -> list[str]:
    """Airflow run ids in the ledger, oldest first."""
    if warehouse_db.query("select to_regclass('nmbrs_sync.runs')")[0][0] is None:
        return []  # no run yet
    rows = warehouse_db.query(
        "select airflow_run_id from nmbrs_sync.runs group by 1 order by min(started_at)"
    )
    return [row[0] for row in rows]


def _ledger(warehouse_db, airflow_run_id: str) -> list[dict[str, Any]]:
    return warehouse_db.query_dicts(
        "select b.* from nmbrs_sync.period_balance as b"
        " join nmbrs_sync.runs as r using (run_id) where r.airflow_run_id = %s",
        (airflow_run_id,),
    )


@pytest.fixture(scope="module")
def calm_runs() -> dict[bool, tuple[dict, list[str]]]:
    """Fault-free results (held state, call sequence) per ``changed``, shared by the tests."""
    return {}


def _calm(calm_runs, changed: bool, airflow_env, nmbrs_sandbox_factory, warehouse_db):
    if changed not in calm_runs:
        calm = nmbrs_sandbox_factory()
        run_airflow(_env(airflow_env, calm, warehouse_db), *DAG_ARGS)
        calm_runs[changed] = (held(calm), [c["operation"] for c in calm.calls()])
    return calm_runs[changed]


@pytest.mark.parametrize("name", list(CRASH_POINTS))
def test_a_rerun_after_a_killed_worker_reaches_the_fault_free_state(
    name, airflow_env, nmbrs_sandbox_factory, warehouse_db, calm_runs, tmp_path
):
    point = CRASH_POINTS[name]
    seed_demo(warehouse_db)
    crashed = nmbrs_sandbox_factory()
    env = _env(airflow_env, crashed, warehouse_db)
    if point.changed:
        run_airflow(env, *DAG_ARGS)
        assert warehouse_db.execute(CHANGE_AN_HOUR) == 1
    expected, operations = _calm(
        calm_runs, point.changed, airflow_env, nmbrs_sandbox_factory, warehouse_db
    )
    skip = point.nth if point.changed else _skip(point, operations)
    crashed.inject(operation=point.operation, kind="hold", times=1, skip=skip)
    before = set(_airflow_run_ids(warehouse_db))
    earlier_calls = len(crashed.calls())

    log = tmp_path / "killed_run.log"
    arrived, returncode = _run_and_kill(env, crashed, log)
    assert arrived, f"{point.operation} was never called:\n{log.read_text()[-6000:]}"
    assert returncode == -signal.SIGKILL
    assert _held_calls(crashed) == [None], "one call held, dropped without an answer"
    if point.changed:
        deleted = [
            c for c in crashed.calls()[earlier_calls:]
            if c["operation"] == "HourComponent_Delete" and c["fault_code"] is None
        ]  # fmt: skip
        assert deleted, "the killed run had deleted already (not just probed the permission)"

    run_airflow(env, *DAG_ARGS)

    assert held(crashed) == expected
    killed_id, rerun_id = [r for r in _airflow_run_ids(warehouse_db) if r not in before]
    assert "running" in {row["status"] for row in _ledger(warehouse_db, killed_id)}
    ledger = _ledger(warehouse_db, rerun_id)
    assert {row["company_id"] for row in ledger} >= {54613, 54614}
    for row in ledger:
        assert row["status"] == "succeeded", row
        assert row["balanced"] is True, row
