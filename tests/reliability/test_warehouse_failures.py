"""A warehouse statement that times out fails the company's task cleanly; the retry completes."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import psycopg

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json

NOVEMBER = json.dumps({"period": "2026-11-M"})
GIVE_UP_DEADLINE_S = 300  # a 2 s statement timeout gives up long before
_WAITING = (
    "select pid from pg_locks where not granted and relation = 'keeping.time_entries'::regclass"
)


def _wait_for_a_read_to_time_out(watcher: psycopg.Connection, run: threading.Thread) -> bool:
    """True once a session waited for the lock on the time entries and stopped waiting while
    the lock was still held (its statement timed out); False when the run ended first or
    nothing gave up within a generous deadline."""
    waiting: set[int] = set()
    deadline = time.monotonic() + GIVE_UP_DEADLINE_S
    while run.is_alive() and time.monotonic() < deadline:
        now = {pid for (pid,) in watcher.execute(_WAITING).fetchall()}
        if waiting - now:
            return True
        waiting |= now
        run.join(0.2)
    return False


def test_a_statement_timeout_fails_the_attempt_and_the_retry_completes(
    airflow_env, nmbrs_sandbox, warehouse_db
):
    seed_demo(warehouse_db)
    conn = json.loads(warehouse_db.airflow_conn_json())
    conn.setdefault("extra", {})["options"] = "-c statement_timeout=2000"
    env = dict(airflow_env)
    env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER)
    env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = json.dumps(conn)

    # Another session locks the time entries: every read of them waits, then times out. The
    # lock goes once a read has waited for it and given up (its timeout, not the clock here).
    blocker = psycopg.connect(warehouse_db.uri, autocommit=False)
    blocker.execute("lock table keeping.time_entries in access exclusive mode")
    done: dict[str, subprocess.CompletedProcess[str]] = {}
    run = threading.Thread(
        target=lambda: done.update(
            process=run_airflow(env, "dags", "test", "nmbrs_payroll_sync", "--conf", NOVEMBER,
                                check=False)
        )
    )  # fmt: skip
    run.start()
    try:
        with psycopg.connect(warehouse_db.uri, autocommit=True) as watcher:
            waited_and_gave_up = _wait_for_a_read_to_time_out(watcher, run)
    finally:
        blocker.rollback()
        blocker.close()
        run.join()

    result = done["process"]
    output = result.stdout + result.stderr
    assert waited_and_gave_up, output[-4000:]
    assert result.returncode == 0, output[-4000:]
    assert "statement timeout" in output, "the first attempt must have hit the timeout"
    assert "up_for_retry" in output
    runs = warehouse_db.query_dicts(
        "select company_id::bigint as company_id, status from nmbrs_sync.runs"
        " where company_id is not null"
    )
    succeeded = {r["company_id"] for r in runs if r["status"] == "succeeded"}
    assert succeeded == {54613, 54614}, runs
    assert len(nmbrs_sandbox.hour_components(500001, 2026, 11)) == 1, "sent once, not doubled"
    balances = warehouse_db.query_dicts(
        "select company_id::bigint as company_id, balanced from nmbrs_sync.period_balance"
        " where status = 'succeeded' and company_id is not null order by company_id"
    )
    # Counted: a retry that wrote no ledger rows cannot pass as balanced.
    assert [(b["company_id"], b["balanced"]) for b in balances] == [(54613, True), (54614, True)]
