"""Under transient faults (503s, lost answers, resets, timeouts, 1006) a period run still ends
in exactly the state of a fault-free run: nothing doubled, nothing lost."""

from __future__ import annotations

import json

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json

EMPLOYEES = (500001, 500002, 500003, 500004, 600001, 600002, 600003)
NOVEMBER = json.dumps({"period": "2026-11-M"})


def held(sandbox) -> dict[int, tuple]:
    """What Nmbrs holds per employee in 2026-11: (code, hours) pairs and days (ids ignored)."""
    return {
        e: (
            sorted(
                (c["HourCode"], float(c["Hours"])) for c in sandbox.hour_components(e, 2026, 11)
            ),
            sandbox.days_var(e, 2026, 11),
        )
        for e in EMPLOYEES
    }


def run_period(airflow_env, sandbox, warehouse_db) -> None:
    env = dict(airflow_env)
    env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(sandbox.url, *DEMO_USER, timeout=1)
    env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = warehouse_db.airflow_conn_json()
    run_airflow(env, "dags", "test", "nmbrs_payroll_sync", "--conf", NOVEMBER)


def test_a_run_under_faults_converges_to_the_fault_free_state(
    airflow_env, nmbrs_sandbox_factory, warehouse_db
):
    seed_demo(warehouse_db)
    calm = nmbrs_sandbox_factory()
    run_period(airflow_env, calm, warehouse_db)

    stormy = nmbrs_sandbox_factory(
        fault_rate=0.25, fault_seed=20261124, timeout_seconds=2.0, throttle_limit=0
    )
    run_period(airflow_env, stormy, warehouse_db)

    faults = [c for c in stormy.calls() if c.get("injected")]
    kinds = {c["injected"] for c in faults}
    assert len(faults) >= 10, "the storm must really have hit the run"
    assert {"http_503_after_apply", "http_503", "fault_1006"} <= kinds
    assert held(stormy) == held(calm)
    assert held(calm)[500001][0] != [], "the fault-free run sent hours"


def test_lost_answers_to_writes_never_double_an_hour(
    airflow_env, nmbrs_sandbox_factory, warehouse_db
):
    seed_demo(warehouse_db)
    calm = nmbrs_sandbox_factory()
    run_period(airflow_env, calm, warehouse_db)

    lossy = nmbrs_sandbox_factory(timeout_seconds=2.0)
    lossy.inject(operation="HourComponentVar_Insert_Batch", kind="http_503_after_apply", times=1)
    lossy.inject(operation="HourComponentVar_Insert_Batch", kind="timeout_after_apply", times=1)
    lossy.inject(operation="DaysVar_Set_Batch", kind="timeout_after_apply", times=1)
    run_period(airflow_env, lossy, warehouse_db)

    lost = [c for c in lossy.calls() if c.get("injected", "") and "after_apply" in c["injected"]]
    assert len(lost) == 3
    assert held(lossy) == held(calm)
