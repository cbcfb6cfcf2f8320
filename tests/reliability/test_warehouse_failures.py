"""A warehouse statement that times out fails the company's task cleanly; the retry completes."""

from __future__ import annotations

import json
import threading

import psycopg

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json

NOVEMBER = json.dumps({"period": "2026-11-M"})


def test_a_statement_timeout_fails_the_attempt_and_the_retry_completes(
    airflow_env, nmbrs_sandbox, warehouse_db
):
    seed_demo(warehouse_db)
    conn = json.loads(warehouse_db.airflow_conn_json())
    conn.setdefault("extra", {})["options"] = "-c statement_timeout=2000"
    env = dict(airflow_env)
    env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER)
    env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = json.dumps(conn)

    # Another session locks the time entries: every read of them waits, then times out.
    blocker = psycopg.connect(warehouse_db.uri, autocommit=False)
    blocker.execute("lock table keeping.time_entries in access exclusive mode")
    release = threading.Timer(20, blocker.rollback)
    release.start()
    try:
        result = run_airflow(env, "dags", "test", "nmbrs_payroll_sync", "--conf", NOVEMBER)
    finally:
        release.cancel()
        blocker.close()

    output = result.stdout + result.stderr
    assert "statement timeout" in output, "the first attempt must have hit the timeout"
    assert "up_for_retry" in output
    runs = warehouse_db.query_dicts(
        "select company_id, status from nmbrs_sync.runs where company_id is not null"
    )
    succeeded = {r["company_id"] for r in runs if r["status"] == "succeeded"}
    assert succeeded == {54613, 54614}, runs
    assert len(nmbrs_sandbox.hour_components(500001, 2026, 11)) == 1, "sent once, not doubled"
    balances = warehouse_db.query_dicts(
        "select balanced from nmbrs_sync.period_balance where status = 'succeeded'"
    )
    assert balances and all(b["balanced"] for b in balances)
