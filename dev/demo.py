"""`make demo`: run the payroll sync end to end on embedded defaults, then stop what it started.

1. an embedded PostgreSQL warehouse with the demo Keeping data (three organisations),
2. the Nmbrs sandbox on 127.0.0.1 with two companies (flexible and fixed-hour employees),
3. Airflow with SQLite metadata under .demo/airflow, connections pointing at both,
4. ``python -m nmbrs_provider companies`` and ``check`` (what a data engineer runs first),
5. ``airflow dags test nmbrs_payroll_sync`` for November 2026, twice (the second writes nothing),
6. what landed in Nmbrs, and what was excluded with which reason, from the ledger.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dev.airflow_home import airflow_env
from dev.local_warehouse import Database, seed_demo, start_warehouse
from nmbrs_sandbox import Sandbox, Scenario

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / ".demo"
PERIOD = "2026-11-M"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so that every cleanup below runs."""
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _nmbrs_conn(url: str, username: str, token: str) -> str:
    return json.dumps(
        {"conn_type": "nmbrs", "login": username, "password": token, "host": url,
         "extra": {"domain": "demo"}}
    )  # fmt: skip


def _airflow_env(sandbox_url: str, warehouse: Database) -> dict[str, str]:
    home = DEMO_DIR / "airflow"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = airflow_env(home)
    env.update(
        {
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "NMBRS_SYNC_CONFIG": str(ROOT / "include" / "nmbrs_sync.yaml"),
            "AIRFLOW_CONN_NMBRS_DEFAULT": _nmbrs_conn(
                sandbox_url, "demo@example.com", "sandbox-demo-token"
            ),
            "AIRFLOW_CONN_NMBRS_LIMITED": _nmbrs_conn(
                sandbox_url, "limited@example.com", "sandbox-limited-token"
            ),
            "AIRFLOW_CONN_KEEPING_WAREHOUSE": warehouse.airflow_conn_json(),
        }
    )
    return env


def _run(title: str, command: list[str], env: dict[str, str], *, quiet: bool = False) -> int:
    print(f"\n$ {title}", flush=True)
    result = subprocess.run(
        command, env=env, cwd=ROOT, check=False, capture_output=quiet, text=True
    )
    if quiet and result.returncode != 0:
        print(result.stdout[-8000:], result.stderr[-8000:], sep="\n")
    return result.returncode


def _print_nmbrs(sandbox: Sandbox) -> None:
    state = sandbox.state()
    print(f"\nWhat Nmbrs holds for {PERIOD} (hour components and days worked):")
    for company in state["companies"]:
        print(f"  {company['name']} ({company['id']})")
        staff = [e for e in state["employees"] if e["company_id"] == company["id"]]
        for employee in staff:
            comps = sandbox.hour_components(employee["id"], 2026, 11)
            days = sandbox.days_var(employee["id"], 2026, 11)
            held = ", ".join(f"{c['HourCode']}: {float(c['Hours']):.2f} h" for c in comps) or "-"
            name = f"{employee.get('number')} {employee.get('display_name', '')}".strip()
            print(f"    {name:<28} {held:<34} days {days if days is not None else '-'}")


def _print_ledger(warehouse: Database) -> None:
    runs = warehouse.query_dicts(
        "select run_id, company_id, period, status, hours_read, hours_sent, hours_excluded,"
        " employees_written, employees_unchanged from nmbrs_sync.runs order by started_at"
    )
    print("\nLedger (nmbrs_sync.runs): hours read = sent + excluded")
    for r in runs:
        print(
            f"  {r['company_id'] or 'no company':>10} {r['period']} {r['status']:<9} read "
            f"{r['hours_read']:>7} = sent {r['hours_sent']:>7} + excluded {r['hours_excluded']:>7}"
            f"  written {r['employees_written']}, unchanged {r['employees_unchanged']}"
        )
    reasons = warehouse.query_dicts(
        "select coalesce(x.company_id::text, 'no company') as company, x.reason,"
        " sum(x.hours) as hours, count(*) as rows from nmbrs_sync.excluded_hours x"
        " join nmbrs_sync.runs r on r.run_id = x.run_id"
        " where r.airflow_run_id = (select airflow_run_id from nmbrs_sync.runs"
        "  order by started_at limit 1)"
        " group by 1, 2 order by 1, 2"
    )
    print("\nExcluded in the first run, by reason (nmbrs_sync.excluded_hours):")
    for r in reasons:
        print(f"  {r['company']:>10}  {r['reason']:<30} {r['hours']:>7} h  ({r['rows']} rows)")


def main() -> int:
    """Run the demo; return the exit status."""
    DEMO_DIR.mkdir(exist_ok=True)
    status = 0
    with _stop_on_sigterm(), start_warehouse(DEMO_DIR / "pgdata") as warehouse:
        seed_demo(warehouse)
        warehouse.execute("drop schema if exists nmbrs_sync cascade")
        print(f"Warehouse (embedded PostgreSQL) at 127.0.0.1:{warehouse.port}, demo data loaded")
        with Sandbox(Scenario.demo()).start() as sandbox:
            print(f"Nmbrs sandbox at {sandbox.url}")
            env = _airflow_env(sandbox.url, warehouse)
            cli = [sys.executable, "-m", "nmbrs_provider"]
            status |= _run("python -m nmbrs_provider companies", [*cli, "companies"], env)
            status |= _run("python -m nmbrs_provider check", [*cli, "check"], env)
            status |= _run("airflow db migrate", [AIRFLOW, "db", "migrate"], env, quiet=True)
            conf = json.dumps({"period": PERIOD})
            for attempt in ("first run", "second run of the same period: writes nothing"):
                status |= _run(
                    f"airflow dags test nmbrs_payroll_sync --conf '{conf}'   ({attempt})",
                    [AIRFLOW, "dags", "test", "nmbrs_payroll_sync", "--conf", conf],
                    env,
                    quiet=True,
                )
            _print_nmbrs(sandbox)
            _print_ledger(warehouse)
            calls = sandbox.calls()
            writes = [c for c in calls if c["operation"].endswith(("_Batch", "Delete"))]
            probes = [c for c in writes if c["fault_code"] is not None]
            print(
                f"\nNmbrs received {len(calls)} calls: {len(writes) - len(probes)} writes, all in "
                f"the first run, and {len(probes)} write-permission probes it rejected by design."
            )
    print("Stopped the sandbox and the warehouse." if status == 0 else "Demo FAILED.")
    return status


if __name__ == "__main__":
    sys.exit(main())
