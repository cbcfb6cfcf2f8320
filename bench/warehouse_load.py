"""Warehouse side of a period load: extract and plan N Keeping time entries, time and memory.

``python -m bench.warehouse_load [--entries N] [--seed N]`` starts an embedded PostgreSQL on
127.0.0.1 (a throw-away data directory), creates the Keeping and ledger schemas, COPYs a
deterministic scenario of N time entries in (2026-11, 20 organisations = 20 companies, up to
50,000 users), then runs in a child process, per company, the warehouse half of the DAG's pipeline
(``nmbrs_provider.sync.pipeline``): its ``extract`` step (``include/sql``) and its
``classify_and_plan`` step (routing, matching, planning) on a synthesized, classified
employees frame with empty holdings (no Nmbrs calls). It prints extract and plan wall time,
the child's peak RSS and the hours balance. Loading is not measured.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.memory import peak_rss_kib

if TYPE_CHECKING:
    import pandas as pd

    from dev.local_warehouse import Database
    from nmbrs_provider.core.config import SyncConfig

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "include" / "sql"
CONN_ID = "bench_warehouse"
CONN_ENV = "AIRFLOW_CONN_BENCH_WAREHOUSE"
PERIOD = "2026-11-M"
ORGANISATIONS = 20
FIRST_COMPANY_ID = 80001
MAX_USERS = 50_000
ENTRIES_PER_USER = 20
HOUR_MODEL = (2100, 3200, 3300)
DEFAULT_ENTRIES = 1_000_000
TARGET_SECONDS = 30.0
TARGET_MIB = 2048.0

_PURPOSES = ("work", "break", "sick_leave", "special_leave", "trip")
_PURPOSE_SHARES = (0.82, 0.08, 0.05, 0.03, 0.02)
_ENTRY_COLUMNS = (
    "id", "organisation_id", "user_id", "date", "purpose", "hours", "ongoing",
    "project_id", "task_id", "locked", "approval_status",
)  # fmt: skip


@dataclass(frozen=True)
class Layout:
    """Sizes derived from the number of entries: users spread evenly over the organisations."""

    entries: int
    users_per_org: int

    @property
    def users(self) -> int:
        return self.users_per_org * ORGANISATIONS


def layout(entries: int) -> Layout:
    """About 20 entries per user, at most 50,000 users, at least one per organisation."""
    if entries < 1:
        raise ValueError("entries must be at least 1")
    users = min(MAX_USERS, max(ORGANISATIONS, entries // ENTRIES_PER_USER))
    return Layout(entries, users // ORGANISATIONS)


def user_id(organisation_id: int, number: int) -> int:
    """Keeping user id of personnel number ``number`` (1-based) in ``organisation_id``."""
    return organisation_id * 1_000_000 + number


def sync_config(*, default_company: bool = False) -> SyncConfig:
    """One monthly company per organisation; worked 2100, sick 3200, special leave 3300.

    ``default_company`` marks the first company ``default: true``: that company extracts the
    whole period (``rows_to_read`` is None), the others only their organisations' rows.
    """
    from nmbrs_provider.core.config import parse_config

    return parse_config(
        {
            "approved_only": True,
            "hour_codes": {"worked": 2100, "purposes": {"sick_leave": 3200, "special_leave": 3300}},
            "companies": [
                {
                    "company_id": FIRST_COMPANY_ID + i,
                    "organisations": [i + 1],
                    **({"default": True} if default_company and i == 0 else {}),
                }
                for i in range(ORGANISATIONS)
            ],
        },
        source="bench.warehouse_load",
    )


# -- the scenario ---------------------------------------------------------------------------------
def users_frame(lay: Layout) -> pd.DataFrame:
    """keeping.users: every 400th user has no code (excluded as ``user_without_code``)."""
    import numpy as np
    import pandas as pd

    org = np.repeat(np.arange(1, ORGANISATIONS + 1), lay.users_per_org)
    number = np.tile(np.arange(1, lay.users_per_org + 1), ORGANISATIONS)
    code = pd.Series(number.astype(str), dtype=object).where(number % 400 != 0, None)
    return pd.DataFrame(
        {
            "id": org * 1_000_000 + number,
            "organisation_id": org,
            "code": code,
            "first_name": "User",
            "surname": pd.Series(number.astype(str), dtype=object),
            "state": "active",
        }
    )


def entries_frame(lay: Layout, seed: int) -> pd.DataFrame:
    """keeping.time_entries for 2026-11: 82% work (40% on a project, half of those on a task),
    8% breaks, sick and special leave, trips; 5% not approved; a few zero, running or negative
    entries."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, lay.entries])
    n = lay.entries
    user = rng.integers(0, lay.users, n)
    org = user // lay.users_per_org + 1
    purpose = rng.choice(np.array(_PURPOSES, dtype=object), n, p=_PURPOSE_SHARES)
    cents = rng.integers(25, 900, n).astype(float)
    cents = np.where(purpose == "break", 50.0, cents)
    cents = np.where(np.isin(purpose, ["sick_leave", "special_leave"]), 800.0, cents)
    roll = rng.random(n)
    cents = np.where(roll < 0.002, 0.0, cents)  # zero_hours
    cents = np.where((roll >= 0.002) & (roll < 0.0022), -100.0, cents)  # negative_hours
    ongoing = (roll >= 0.0022) & (roll < 0.0027)
    hours = pd.Series(cents / 100).round(2).where(~ongoing)
    is_work = purpose == "work"
    on_project = is_work & (rng.random(n) < 0.4)
    on_task = on_project & (rng.random(n) < 0.5)
    project = pd.Series(org * 1000 + rng.integers(1, 21, n)).where(on_project).astype("Int64")
    task = pd.Series(org * 10_000 + rng.integers(1, 51, n)).where(on_task).astype("Int64")
    approved = rng.random(n) >= 0.05
    day = np.datetime64("2026-11-01") + rng.integers(0, 30, n).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "organisation_id": org,
            "user_id": org * 1_000_000 + user % lay.users_per_org + 1,
            "date": pd.Series(day).dt.strftime("%Y-%m-%d"),
            "purpose": purpose,
            "hours": hours,
            "ongoing": ongoing,
            "project_id": project,
            "task_id": task,
            "locked": approved,
            "approval_status": pd.Series("approved", index=range(n), dtype=object).where(approved),
        },
        columns=list(_ENTRY_COLUMNS),
    )


def employees_frame(company_index: int, lay: Layout, seed: int) -> pd.DataFrame:
    """The employees frame of a company as the pipeline builds it (before ``classify_contracts``).

    Personnel numbers 1..k like the users' codes, minus every 250th (``no_matching_employee``);
    70% flexible, 25% fixed, 5% disputed; 1% leave on 2026-11-15 (``outside_employment``).
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, company_index, lay.entries])
    number = np.arange(1, lay.users_per_org + 1)
    number = number[number % 250 != 0]
    kind = rng.random(len(number))
    fixed = (kind >= 0.70) & (kind < 0.95)
    disputed = kind >= 0.95
    company_id = FIRST_COMPANY_ID + company_index
    leaves = rng.random(len(number)) < 0.01
    return pd.DataFrame(
        {
            "employee_id": company_id * 100_000 + number,
            "number": pd.Series(number.astype(str), dtype=object),
            "name": pd.Series([f"Employee {k}" for k in number], dtype=object),
            "schedule_hours": np.where(fixed, 80.0, 0.0),
            "salary_type": np.where(fixed | disputed, "Bruto_Salaris_Fulltime", "Bruto_Uurloon"),
            "days_fixed": np.where(fixed, 21.0, 0.0),
            "start_date": pd.Timestamp("2024-01-01"),
            "end_date": pd.Series(pd.Timestamp("2026-11-15"), index=range(len(number))).where(
                leaves
            ),
        }
    )


def _copy(db: Database, table: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    columns = ", ".join(frame.columns)
    with db.connect() as conn, conn.cursor() as cursor:
        cursor.copy_expert(f"copy {table} ({columns}) from stdin with (format csv)", buffer)


def load_scenario(db: Database, entries: int, seed: int) -> dict[str, Any]:
    """Create the Keeping and ledger schemas in ``db`` and COPY the scenario in."""
    lay = layout(entries)
    db.run_sql_file(SQL_DIR / "keeping_schema.sql")
    db.run_sql_file(SQL_DIR / "ledger_schema.sql")
    db.execute("truncate keeping.time_entries, keeping.users")
    users = users_frame(lay)
    _copy(db, "keeping.users", users)
    _copy(db, "keeping.time_entries", entries_frame(lay, seed))
    db.execute("analyze keeping.users; analyze keeping.time_entries")
    return {"users": len(users), "entries": entries}


# -- the measured run (child process) ------------------------------------------------------------
def run_measured(entries: int, seed: int, *, default_company: bool = False) -> dict[str, Any]:
    """Extract and plan every company from the warehouse of ``AIRFLOW_CONN_BENCH_WAREHOUSE``.

    Runs in the child; imports and the synthesized employees are ready before the clock starts.
    Raises unless the table's raw hours (``count_period_hours.sql``) = planned + excluded.
    """

    from nmbrs_provider.core.contracts import classify_contracts
    from nmbrs_provider.core.period_policy import decide_period
    from nmbrs_provider.core.periods import PayrollPeriod
    from nmbrs_provider.core.planning import check_balance
    from nmbrs_provider.sync.pipeline import NmbrsState, classify_and_plan, extract
    from nmbrs_provider.sync.warehouse import SyncWarehouse

    lay = layout(entries)
    config = sync_config(default_company=default_company)
    period = PayrollPeriod.parse(PERIOD)
    warehouse = SyncWarehouse(CONN_ID, SQL_DIR)
    staff = {c.company_id: employees_frame(i, lay, seed) for i, c in enumerate(config.companies)}
    hour_model = frozenset(HOUR_MODEL)
    current = decide_period(0, period, period, "fail")
    extract_s = plan_s = hours_in = hours_planned = hours_excluded = rounding = 0.0
    rows = planned = 0
    for company in config.companies:
        company_id = company.company_id
        began = time.perf_counter()
        hours = extract(warehouse, config, company_id, period)
        extracted = time.perf_counter()
        # What read_nmbrs_state would give: the synthesized employees, nobody holding anything.
        employees = classify_contracts(staff[company_id], company.contract_overrides)
        state = NmbrsState(employees, hour_model, {})
        plan = classify_and_plan(config, company_id, period, current, hours, state).plan
        plan_s += time.perf_counter() - extracted
        extract_s += extracted - began
        check_balance(
            plan.hours_in, plan.hours_planned, plan.hours_excluded, rounding=plan.rounding
        )
        rows += len(hours)
        planned += len(plan.employees)
        hours_in += plan.hours_in
        hours_planned += plan.hours_planned
        hours_excluded += plan.hours_excluded
        rounding += plan.rounding
        del hours, state, plan
    peak_kib = peak_rss_kib()
    # Every entry routes to exactly one company, so the companies' hours in must add up to
    # the table's raw total, and that to what was planned plus what was excluded.
    raw_hours, raw_entries = warehouse.count_hours(None, period)  # independent of the SQL
    if raw_entries != entries:
        raise AssertionError(f"{raw_entries} entries in the period, {entries} loaded")
    check_balance(raw_hours, hours_in, 0.0, tolerance=0.01)
    check_balance(raw_hours, hours_planned, hours_excluded, rounding=rounding, tolerance=0.01)
    return {
        "entries": entries,
        "extract_s": extract_s,
        "plan_s": plan_s,
        "total_s": extract_s + plan_s,
        "peak_rss_mib": peak_kib / 1024,
        "companies": len(config.companies),
        "default_company": default_company,
        "hours_in": round(hours_in, 2),
        "hours_planned": round(hours_planned, 2),
        "hours_excluded": round(hours_excluded, 2),
        "rounding": round(rounding, 2),
        "rows_extracted": rows,
        "employees_planned": planned,
    }


# -- orchestration --------------------------------------------------------------------------------
def measure_warehouse(
    entries: int = DEFAULT_ENTRIES, seed: int = 1, *, default_company: bool = False
) -> dict[str, Any]:
    """Load ``entries`` time entries into a fresh embedded PostgreSQL, then extract and plan
    them in a child process (``default_company``: see :func:`sync_config`).

    Returns ``entries``, ``extract_s``, ``plan_s``, ``total_s``, ``peak_rss_mib`` (the
    child's), ``companies``, ``hours_in``, ``hours_planned``, ``hours_excluded`` (plus
    ``default_company``, ``rounding``, ``rows_extracted``, ``employees_planned``, ``load_s``).
    Raises if the hours do not balance."""
    from dev.local_warehouse import start_warehouse

    # Not under a 0700 directory: as root, pgserver runs PostgreSQL as user "pgserver".
    base = Path(tempfile.mkdtemp(prefix="nmbrs-bench-warehouse-"))
    try:
        with start_warehouse(base / "pgdata", dbname="bench", durable=False) as warehouse:
            began = time.perf_counter()
            load_scenario(warehouse, entries, seed)
            load_s = time.perf_counter() - began
            env = {**os.environ, CONN_ENV: warehouse.airflow_conn_json()}
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(ROOT), str(ROOT / "plugins"), env.get("PYTHONPATH")) if p
            )
            args = ["--child", "--entries", str(entries), "--seed", str(seed)]
            args += ["--default-company"] if default_company else []
            proc = subprocess.run(
                [sys.executable, "-m", "bench.warehouse_load", *args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"measured run failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith("{"))
    return {**json.loads(line), "load_s": load_s}


def render(result: dict[str, Any]) -> str:
    """A small markdown table of one measurement, against the targets."""
    seconds, mib = result["total_s"], result["peak_rss_mib"]
    within = seconds <= TARGET_SECONDS and mib <= TARGET_MIB
    lines = [
        f"### Warehouse extraction and planning: {result['entries']:,} time entries"
        + (" (with a default company)" if result.get("default_company") else ""),
        "",
        "| measure | value |",
        "|---|---|",
        f"| companies | {result['companies']} |",
        f"| rows extracted (aggregated in SQL) | {result['rows_extracted']:,} |",
        f"| employees planned | {result['employees_planned']:,} |",
        f"| extract (SQL + fetch into pandas) | {result['extract_s']:.2f} s |",
        f"| route, match, plan | {result['plan_s']:.2f} s |",
        f"| total (target {TARGET_SECONDS:g} s) | {seconds:.2f} s |",
        f"| peak RSS (target {TARGET_MIB:,.0f} MiB) | {mib:,.0f} MiB |",
        f"| hours in / planned / excluded | {result['hours_in']:,.2f} / "
        f"{result['hours_planned']:,.2f} / {result['hours_excluded']:,.2f} |",
        f"| balance (in = planned + excluded - rounding {result['rounding']:+.2f}) | checked |",
        f"| within target | {'yes' if within else 'NO'} |",
    ]
    if "load_s" in result:
        lines.append(f"| (not measured) load with COPY | {result['load_s']:.1f} s |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m bench.warehouse_load``."""
    parser = argparse.ArgumentParser(prog="python -m bench.warehouse_load", description=__doc__)
    parser.add_argument("--entries", type=int, default=DEFAULT_ENTRIES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--default-company",
        action="store_true",
        help="mark one company default: every company then extracts the whole period",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = run_measured(args.entries, args.seed, default_company=args.default_company)
        print(json.dumps(result))
        return 0
    result = measure_warehouse(args.entries, args.seed, default_company=args.default_company)
    print(json.dumps(result) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
