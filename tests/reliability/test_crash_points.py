"""A worker killed at any point of a company's load, then a rerun, ends in exactly the state of
a fault-free run with a balanced ledger, on SOAP and on REST (every company on an ``nmbrs_rest``
connection; the REST points sit around its per-employee writes).

The worker really dies: the sandbox holds a chosen call (``kind="hold"``, never applied) and
the whole ``airflow dags test`` process group gets SIGKILL while it waits for the answer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import AIRFLOW, ROOT, run_airflow
from tests.reliability.apis import DEMO_COMPANIES, REST, SOAP, Api
from tests.reliability.test_transient_faults import CHANGE_AN_HOUR, NOVEMBER, held

HOLD_WAIT_S = 120  # for the held call to arrive
READY_WAIT_S = 30  # then for the writes that come before the crash point
CLIENT_TIMEOUT_S = 60  # longer than READY_WAIT_S: the worker never gives up on the held call
DAG_ARGS = ("dags", "test", "nmbrs_payroll_sync", "--conf", NOVEMBER)


ANNA = 500001
HORECA_FLEXIBLE = (500001, 500002, 500004)  # Anna, Bram, Daan: 54613's flexible employees


@dataclass(frozen=True)
class CrashPoint:
    """Where the worker dies: while waiting for the answer to a held (never applied) call.

    The hold only matches calls naming one of ``employee_ids``, so it lands on a real write or
    read, never on a write-permission probe (employee 0). The worker is killed once the calls
    of ``applied_before`` (operation: how many naming those employees) have been applied.
    Operations are the :class:`Api`'s attribute names (``insert``, ``days``...).
    """

    operation: str
    employee_ids: tuple[int, ...] = HORECA_FLEXIBLE
    skip: int = 0  # matching calls let through (and applied) before the held one
    applied_before: tuple[tuple[str, int], ...] = ()
    changed: bool = False  # a run first, then an hour changed: the crash run deletes and inserts
    chunk_size: int | None = None  # load.chunk_size for the killed run and the rerun


SOAP_POINTS = {
    # The change run deletes Anna's component, then is killed waiting for her new one.
    "after_the_deletes_before_the_insert": CrashPoint(
        "insert", (ANNA,), applied_before=(("delete", 1),), changed=True
    ),
    # One component per chunk: three chunks for 54613; killed after the first, on the second.
    "between_insert_chunks": CrashPoint(
        "insert", skip=1, applied_before=(("insert", 1),), chunk_size=1
    ),
    # Hours and days go out side by side: killed on the days once the hours are in.
    "after_the_insert_before_the_days": CrashPoint("days", applied_before=(("insert", 1),)),
    # Anna's second read is the read-back after the writes, before the ledger records them.
    "before_the_ledger": CrashPoint(
        "read", (ANNA,), skip=1, applied_before=(("insert", 1), ("days", 1))
    ),
}
# REST writes one employee at a time here (max_concurrency 1): Anna's POST and days, then
# Bram's, then Daan's, so each point below is exactly one place in that sequence.
REST_POINTS = {
    # Anna's POST applied, killed waiting for her days.
    "after_a_post_before_the_days": CrashPoint("days", applied_before=(("insert", 1),)),
    # Anna's POST and days applied, killed on Bram's POST.
    "between_employees": CrashPoint("insert", skip=1, applied_before=(("insert", 1), ("days", 1))),
    # The change run PUTs Anna's new hours: killed waiting for the answer.
    "on_the_put_of_a_change": CrashPoint("update", (ANNA,), changed=True),
    # Anna's second read is the read-back after the writes, before the ledger records them.
    "before_the_ledger": CrashPoint(
        "read", (ANNA,), skip=1, applied_before=(("insert", 1), ("days", 1))
    ),
}
CRASH_POINTS = [
    pytest.param(api, point, id=f"{api}-{name}")
    for api, points in ((SOAP, SOAP_POINTS), (REST, REST_POINTS))
    for name, point in points.items()
]


def _applied(calls: list[dict[str, Any]], operation: str, employees: tuple[int, ...]) -> int:
    """How many calls of ``operation`` naming one of ``employees`` Nmbrs answered normally."""
    return sum(
        1
        for c in calls
        if c["operation"] == operation
        and set(c["employee_ids"]) & set(employees)
        and c["injected"] is None
        and c["fault_code"] is None
        and 200 <= (c["http_status"] or 0) < 300
    )


def _chunks(calls: list[dict[str, Any]], employees: tuple[int, ...]) -> list[dict[str, Any]]:
    """The (SOAP) insert calls naming one of ``employees`` (held or answered), oldest first."""
    return [
        c
        for c in calls
        if c["operation"] == SOAP.insert and set(c["employee_ids"]) & set(employees)
    ]


def _env(
    api: Api, airflow_env, sandbox, warehouse_db, tmp_path: Path, chunk_size: int | None = None
) -> dict[str, str]:
    """Every company on ``sandbox`` through ``api`` (REST one call at a time), with
    ``load.chunk_size`` set when given."""
    extra: dict[str, Any] = {"timeout": CLIENT_TIMEOUT_S}
    if api is REST:
        extra["max_concurrency"] = 1
    config = {"load": {"chunk_size": chunk_size}} if chunk_size else None
    return api.connect(airflow_env, sandbox, warehouse_db, tmp_path, config=config, **extra)


def _run_and_kill(
    env: dict[str, str], sandbox, log: Path, ready: Callable[[], bool]
) -> tuple[bool, int]:
    """Run the DAG until the held call arrived and ``ready()`` (the writes that come first are
    in; at most ``READY_WAIT_S`` later), then SIGKILL its process group."""
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
                if not arrived and sandbox.wait_for_held(0.2):
                    arrived = True
                    deadline = time.monotonic() + READY_WAIT_S
                if arrived:
                    if ready():
                        break
                    time.sleep(0.05)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
            sandbox.release_held()
    return arrived, worker.returncode


def _held_calls(sandbox, wait_s: float = 5.0) -> list[dict[str, Any]]:
    """The held calls (logged once the released handler finishes)."""
    deadline = time.monotonic() + wait_s
    while True:
        held_calls = [c for c in sandbox.calls() if c["injected"] == "hold"]
        if held_calls or time.monotonic() > deadline:
            return held_calls
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
def calm_runs() -> dict[bool, dict]:
    """Fault-free end states per ``changed``, shared by the tests."""
    return {}


def _calm(
    calm_runs, api: Api, changed: bool, airflow_env, nmbrs_sandbox_factory, warehouse_db, tmp_path
) -> dict:
    if (api.name, changed) not in calm_runs:
        calm = nmbrs_sandbox_factory()
        run_airflow(_env(api, airflow_env, calm, warehouse_db, tmp_path), *DAG_ARGS)
        calm_runs[api.name, changed] = held(calm)
    return calm_runs[api.name, changed]


@pytest.mark.parametrize(("api", "point"), CRASH_POINTS)
def test_a_rerun_after_a_killed_worker_reaches_the_fault_free_state(
    api, point, airflow_env, nmbrs_sandbox_factory, warehouse_db, calm_runs, tmp_path
):
    seed_demo(warehouse_db)
    crashed = nmbrs_sandbox_factory()
    env = _env(api, airflow_env, crashed, warehouse_db, tmp_path)
    if point.changed:
        run_airflow(env, *DAG_ARGS)
        assert warehouse_db.execute(CHANGE_AN_HOUR) == 1
    expected = _calm(
        calm_runs, api, point.changed, airflow_env, nmbrs_sandbox_factory, warehouse_db, tmp_path
    )
    if point.chunk_size:
        env = _env(api, airflow_env, crashed, warehouse_db, tmp_path, point.chunk_size)
    operation = getattr(api, point.operation)
    applied_before = {getattr(api, op): n for op, n in point.applied_before}
    crashed.inject(
        operation=operation,
        kind="hold",
        times=1,
        skip=point.skip,
        employee_ids=point.employee_ids,
    )
    before = set(_airflow_run_ids(warehouse_db))
    earlier_calls = len(crashed.calls())

    def applied(operation: str) -> int:
        return _applied(crashed.calls()[earlier_calls:], operation, point.employee_ids)

    def ready() -> bool:
        return all(applied(op) >= n for op, n in applied_before.items())

    log = tmp_path / "killed_run.log"
    arrived, returncode = _run_and_kill(env, crashed, log, ready)
    assert arrived, f"{operation} was never called:\n{log.read_text()[-6000:]}"
    # What the killed run had done: the writes before the crash point, and no more of its own.
    assert {op: applied(op) for op in applied_before} == applied_before
    assert applied(operation) == point.skip
    assert returncode == -signal.SIGKILL
    (held_call,) = _held_calls(crashed)
    assert held_call["operation"] == operation
    assert held_call["http_status"] is None, "held, dropped without an answer"
    assert held_call["employee_ids"], "a real call, not a permission probe"
    assert set(held_call["employee_ids"]) <= set(point.employee_ids), held_call
    if point.chunk_size:  # chunks of one: the first applied, the second held, no third yet
        chunks = _chunks(crashed.calls()[earlier_calls:], point.employee_ids)
        assert [len(c["employee_ids"]) for c in chunks] == [1, 1], chunks
        assert chunks[0]["employee_ids"] != chunks[1]["employee_ids"]

    run_airflow(env, *DAG_ARGS)

    assert held(crashed) == expected
    if point.chunk_size:  # the rerun sent the two components still missing, one per chunk
        sent = _chunks(crashed.calls()[earlier_calls:], point.employee_ids)
        applied_chunks = [c["employee_ids"] for c in sent if c["http_status"] == 200]
        assert len(applied_chunks) == 3, sent
        assert sorted(e for c in applied_chunks for e in c) == sorted(point.employee_ids)
    killed_id, rerun_id = [r for r in _airflow_run_ids(warehouse_db) if r not in before]
    assert "running" in {row["status"] for row in _ledger(warehouse_db, killed_id)}
    ledger = _ledger(warehouse_db, rerun_id)
    assert {row["company_id"] for row in ledger} >= {api.company_id(c) for c in DEMO_COMPANIES}
    for row in ledger:
        assert row["status"] == "succeeded", row
        assert row["balanced"] is True, row
