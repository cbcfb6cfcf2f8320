"""A run for a period Nmbrs has not reached yet waits, deferred, and then syncs it."""

from __future__ import annotations

import json
import subprocess
import threading
from collections import Counter

import pytest

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json

DECEMBER = json.dumps({"period": "2026-12-M"})
COMPANIES = {54613, 54614}


@pytest.fixture
def env(airflow_env, nmbrs_sandbox, warehouse_db):
    seed_demo(warehouse_db)
    warehouse_db.execute(
        "insert into keeping.time_entries (id, organisation_id, user_id, date, purpose, hours,"
        " approval_status) values (990001, 1, 71001, '2026-12-02', 'work', 7.5, 'approved')"
    )
    env = dict(airflow_env)
    env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER)
    env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = warehouse_db.airflow_conn_json()
    env["NMBRS_WAIT_POLL_SECONDS"] = "1"
    return env


def test_the_task_waits_until_nmbrs_reaches_the_period(env, nmbrs_sandbox):
    done: dict[str, subprocess.CompletedProcess[str]] = {}
    run = threading.Thread(
        target=lambda: done.update(
            process=run_airflow(env, "dags", "test", "nmbrs_payroll_sync", "--conf", DECEMBER,
                                check=False)
        )
    )  # fmt: skip
    run.start()
    # Nmbrs closes November for a company only once its task waits: the task asked for the
    # current period (1) and its deferred trigger asked again (2), both answered November.
    moved: set[int] = set()
    try:
        while run.is_alive():
            asked = Counter(
                c["company_id"]
                for c in nmbrs_sandbox.calls()
                if c["operation"] == "Company_GetCurrentPeriod"
            )
            for company in COMPANIES - moved:
                if asked[company] >= 2:
                    nmbrs_sandbox.set_current_period(company, 2026, 12)
                    moved.add(company)
            run.join(0.5)
    finally:
        for company in COMPANIES - moved:  # let a run that never waited end
            nmbrs_sandbox.set_current_period(company, 2026, 12)
        run.join()
    output = done["process"].stdout + done["process"].stderr
    assert moved == COMPANIES, f"a task did not wait for Nmbrs\n{output[-4000:]}"
    assert done["process"].returncode == 0, output[-4000:]
    assert "waiting up to" in output
    assert [c["Hours"] for c in nmbrs_sandbox.hour_components(500001, 2026, 12)] == [7.5]
    assert nmbrs_sandbox.hour_components(500001, 2026, 11) == []


def test_the_wait_ends_with_a_clear_failure(env, nmbrs_sandbox):
    env["NMBRS_WAIT_TIMEOUT_HOURS"] = str(3 / 3600)
    result = run_airflow(env, "dags", "test", "nmbrs_payroll_sync", "--conf", DECEMBER, check=False)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Nmbrs to reach period 2026-12-M, but it is still in 2026-11-M" in output
    assert nmbrs_sandbox.hour_components(500001, 2026, 12) == []
