"""A year of sync runs in the ``nmbrs_sync`` ledger, for the Nmbrs page benchmark.

``seed_ledger(db, companies=20, employees=10_000, seed=1)`` applies the real ledger DDL
(``include/sql/ledger_schema.sql``) and COPYs in the rows the sync writes
(``nmbrs_provider.sync.company``: ``record_plan``, ``record_excluded``, ``record_sent``,
``start_run`` / ``finish_run``), deterministic for the arguments:

* companies ``70001..``: most monthly (12 periods of 2026), every 10th from the 9th on
  4-weekly (13 periods) and every 10th from the 10th on weekly (52 periods);
* per company and period: a dry run first in 30% of the periods, a first attempt that failed
  in 10% (its plan and exclusions recorded, nothing sent, hours null, as ``_record_failure``
  leaves it), the scheduled run that succeeded, and an unchanged re-run in 15%;
* per run ``employees`` employees, each with a 2100 line, 15% also a 3200 line, 5% replacing a
  stale component (a ``delete`` line beside the insert) and a days line: about 2.2 plan lines
  and 2.2 sent lines per employee; and about 0.5 excluded rows per employee over seven
  reasons (fixed-hour contracts, breaks, not approved, unmapped purpose, unknown personnel
  number, no user code, zero hours). Every run balances (``period_balance``).

The run rows are those of a ledger from before runs stored their totals (``totals_at``
null): applying the ledger DDL again stores them (``bench/ui_page.py`` measures the page before
and after that).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from dev.local_warehouse import Database

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "include" / "sql"
YEAR = 2026
FIRST_COMPANY_ID = 70001
DAG_IDS = {"M": "nmbrs_payroll_sync", "4W": "nmbrs_payroll_sync_4w", "W": "nmbrs_payroll_sync_w"}
PERIODS = {"M": 12, "4W": 13, "W": 52}
RUN = "@RUN@"  # placeholder of the run id in a period's CSV text, one per attempt

#: (reason, users per employee, rows per user in a month, purpose, detail, from, to hours)
_EXCLUSIONS = (
    ("fixed_hour_contract", 0.04, 8, "work", "fixed-hour contract: sending would pay twice", 4, 8),
    ("break", 0.10, 1, "break", "breaks are never paid", 0.25, 1),
    ("not_approved", 0.05, 1, "work", "not approved while approved_only is on", 2, 9),
    ("purpose_not_mapped", 0.02, 1, "trip", "purpose has no hour code", 1, 4),
    ("no_matching_employee", 0.005, 4, "work", "no employee with that personnel number", 3, 8),
    ("user_without_code", 0.0025, 4, "work", "Keeping user has no user code", 3, 8),
    ("zero_hours", 0.01, 1, "work", "recorded with 0 hours (nothing to pay)", 0, 0),
)
_RUN_COLUMNS = (
    "run_id", "dag_id", "airflow_run_id", "company_id", "period", "started_at", "finished_at",
    "status", "dry_run", "hours_read", "hours_sent", "hours_excluded", "employees_written",
    "employees_unchanged", "message", "nmbrs_api", "company_number",
)  # fmt: skip


@dataclass(frozen=True)
class LedgerCompany:
    company_id: int
    index: int
    period_type: str

    @property
    def dag_id(self) -> str:
        return DAG_IDS[self.period_type]


def ledger_companies(companies: int) -> list[LedgerCompany]:
    """The companies of the scenario: every 10th (9th, 19th) 4-weekly, (10th, 20th) weekly."""
    kinds = {8: "4W", 9: "W"}
    return [
        LedgerCompany(FIRST_COMPANY_ID + i, i, kinds.get(i % 10, "M")) for i in range(companies)
    ]


def period_dates(period_type: str, number: int) -> tuple[dt.date, dt.date]:
    """First and last day of a 2026 period (as ``PayrollPeriod.start`` / ``.end``)."""
    from nmbrs_provider.core.periods import PayrollPeriod

    period = PayrollPeriod.parse(f"{YEAR}-{number}-{period_type}")
    return period.start, period.end


@dataclass
class Lines:
    """The plan, sent and excluded rows of one company and period (without run ids)."""

    plan: str
    sent_first: str
    sent_rerun: str
    excluded: str
    plan_rows: int
    sent_rows: int
    excluded_rows: int
    hours_in: float
    hours_excluded: float
    written: int


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, header=False)


def _quarters(rng: np.random.Generator, low: float, high: float, size: int) -> np.ndarray:
    return rng.integers(int(low * 4), int(high * 4) + 1, size) / 4


def _excluded(rng: np.random.Generator, company: LedgerCompany, employees: int, days: list):
    import numpy as np
    import pandas as pd

    frames = []
    scale = len(days) / 30
    for n, (reason, share, per_user, purpose, detail, low, high) in enumerate(_EXCLUSIONS):
        users = max(1, round(employees * share))
        rows_per_user = max(1, round(per_user * scale))
        if reason == "no_matching_employee":
            numbers = employees + 1 + np.arange(users)
        elif reason == "user_without_code":
            numbers = 2 * employees + 1 + np.arange(users)
        else:
            numbers = rng.choice(employees, users, replace=False) + 1
        number = np.repeat(numbers, rows_per_user)
        size = len(number)
        organisation = company.index + 1
        frames.append(
            pd.DataFrame(
                {
                    "company_id": company.company_id,
                    "organisation_id": organisation,
                    "user_id": organisation * 1_000_000 + number,
                    "user_code": None if reason == "user_without_code" else number.astype(str),
                    "work_date": np.array(days, dtype=object)[rng.integers(0, len(days), size)],
                    "purpose": purpose,
                    "project_id": np.where(rng.random(size) < 0.4, 500 + n, None),
                    "task_id": None,
                    "hours": _quarters(rng, low, high, size),
                    "entries": rng.integers(1, 4, size),
                    "reason": reason,
                    "detail": detail,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(0, "run_id", RUN)
    return frame


def period_lines(
    company: LedgerCompany, number: int, employees: int, seed: int
) -> tuple[Lines, tuple[dt.date, dt.date]]:
    """The ledger rows of one company and period (one draw; every attempt records the same)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, company.index, number])
    start, end = period_dates(company.period_type, number)
    days = [start + dt.timedelta(d) for d in range((end - start).days + 1)]
    scale = len(days) / 30
    ids = company.index * 1_000_000 + 1_000_001 + np.arange(employees)
    numbers = (np.arange(employees) + 1).astype(str)
    worked = _quarters(rng, 8 * scale, 160 * scale, employees)
    sick = np.where(
        rng.random(employees) < 0.15, _quarters(rng, 4 * scale, 40 * scale, employees), 0
    )
    stale = rng.random(employees) < 0.05
    fresh = ~stale
    kept = (rng.random(employees) < 0.10) & fresh  # Nmbrs held it: unchanged on the first run
    days_worked = rng.integers(1, max(2, round(20 * scale)) + 1, employees)
    base = {"run_id": RUN, "company_id": company.company_id}
    # The plan has one line per employee and code (a stale component's is "replace"); the
    # sent lines of a replacement are the delete of the old component and the insert.
    plan_2100 = (ids[fresh], numbers[fresh], 2100, np.zeros(int(fresh.sum())), worked[fresh],
                 np.where(kept[fresh], "keep", "insert"))  # fmt: skip
    hour_lines = [
        (ids, numbers, 2100, np.zeros(employees), worked, np.where(kept, "keep", "insert")),
        (ids[sick > 0], numbers[sick > 0], 3200, np.zeros(int((sick > 0).sum())), sick[sick > 0],
         np.full(int((sick > 0).sum()), "insert")),
    ]  # fmt: skip
    old = _quarters(rng, 8 * scale, 160 * scale, int(stale.sum()))
    plan = pd.concat(
        [
            *(
                pd.DataFrame({**base, "employee_id": i, "employee_number": n, "hour_code": code,
                              "current_hours": np.where(a == "keep", h, cur),
                              "desired_hours": h, "action": a})
                for i, n, code, cur, h, a in [plan_2100, *hour_lines[1:]]
            ),
            pd.DataFrame({**base, "employee_id": ids[stale], "employee_number": numbers[stale],
                          "hour_code": 2100, "current_hours": old, "desired_hours": worked[stale],
                          "action": "replace"}),
            pd.DataFrame({**base, "employee_id": ids, "employee_number": numbers,
                          "hour_code": None, "current_hours": None, "desired_hours": None,
                          "action": [f"set days (0 -> {d})" for d in days_worked]}),
        ],
        ignore_index=True,
    )  # fmt: skip
    period = f"{YEAR}-{number}-{company.period_type}"
    sent_base = {**base, "period": period, "days": None, "component_id": None}
    sent = pd.concat(
        [
            *(
                pd.DataFrame({**sent_base, "employee_id": i, "employee_number": n,
                              "hour_code": code, "hours": h,
                              "action": np.where(a == "keep", "unchanged", "insert")})
                for i, n, code, _, h, a in hour_lines
            ),
            pd.DataFrame({**sent_base, "employee_id": ids[stale],
                          "employee_number": numbers[stale], "hour_code": 2100, "hours": old,
                          "action": "delete",
                          "component_id": 9_000_000 + np.flatnonzero(stale)}),
            pd.DataFrame({**sent_base, "employee_id": ids, "employee_number": numbers,
                          "hour_code": None, "hours": None, "days": days_worked,
                          "action": np.where(kept, "unchanged", "set_days")}),
        ],
        ignore_index=True,
    )[["run_id", "company_id", "employee_id", "employee_number", "period", "hour_code",
       "hours", "days", "action", "component_id"]]  # fmt: skip
    rerun = sent[sent["action"] != "delete"].assign(action="unchanged")
    excluded = _excluded(rng, company, employees, days)
    hours_excluded = float(excluded["hours"].sum())
    lines = Lines(
        plan=_csv(plan),
        sent_first=_csv(sent),
        sent_rerun=_csv(rerun),
        excluded=_csv(excluded),
        plan_rows=len(plan),
        sent_rows=len(sent),
        excluded_rows=len(excluded),
        hours_in=float(worked.sum() + sick.sum()) + hours_excluded,
        hours_excluded=hours_excluded,
        written=int((~kept).sum()),
    )
    return lines, (start, end)


def attempts(company: LedgerCompany, number: int, end: dt.date, seed: int) -> Iterator[dict]:
    """The runs of one company and period, oldest first: dry run, failed try, success, re-run."""
    import numpy as np

    rng = np.random.default_rng([seed, company.index, number, 1])
    dry, failed, rerun = rng.random(3) < (0.30, 0.10, 0.15)
    at = dt.datetime.combine(end, dt.time(6), dt.timezone.utc) + dt.timedelta(days=1)
    start, _ = period_dates(company.period_type, number)
    scheduled = f"scheduled__{start.isoformat()}T00:00:00+00:00"
    if dry:
        moment = at - dt.timedelta(days=2, hours=-8)
        yield {"airflow_run_id": f"manual__{moment.isoformat()}", "try": 1, "at": moment,
               "kind": "dry_run"}  # fmt: skip
    if failed:
        yield {"airflow_run_id": scheduled, "try": 1, "at": at, "kind": "failed"}
    yield {"airflow_run_id": scheduled, "try": 2 if failed else 1,
           "at": at + dt.timedelta(minutes=10 if failed else 0), "kind": "succeeded"}  # fmt: skip
    if rerun:
        moment = at + dt.timedelta(days=2, hours=3)
        yield {"airflow_run_id": f"manual__{moment.isoformat()}", "try": 1, "at": moment,
               "kind": "rerun"}  # fmt: skip


def _copy(cursor: Any, table: str, columns: str, text: str) -> None:
    cursor.copy_expert(f"copy nmbrs_sync.{table} ({columns}) from stdin with (format csv)",
                       io.StringIO(text))  # fmt: skip


_PLAN_COLS = ("run_id, company_id, employee_id, employee_number, hour_code, current_hours, "
              "desired_hours, action")  # fmt: skip
_SENT_COLS = ("run_id, company_id, employee_id, employee_number, period, hour_code, hours, days, "
              "action, component_id")  # fmt: skip
_EXCLUDED_COLS = ("run_id, company_id, organisation_id, user_id, user_code, work_date, purpose, "
                  "project_id, task_id, hours, entries, reason, detail")  # fmt: skip


def _run_row(
    company: LedgerCompany, period: str, attempt: dict, lines: Lines, employees: int
) -> dict[str, Any]:
    """The ``nmbrs_sync.runs`` row of one attempt, as ``start_run`` + ``finish_run`` leave it."""
    kind = attempt["kind"]
    failed = kind == "failed"
    written = lines.written if kind == "succeeded" else 0
    return {
        "run_id": f"{attempt['airflow_run_id']}/{company.company_id}/try{attempt['try']}",
        "dag_id": company.dag_id,
        "airflow_run_id": attempt["airflow_run_id"],
        "company_id": company.company_id,
        "period": period,
        "started_at": attempt["at"],
        "finished_at": attempt["at"] + dt.timedelta(minutes=4),
        "status": "succeeded" if kind == "rerun" else kind,
        "dry_run": kind == "dry_run",
        "hours_read": None if failed else round(lines.hours_in, 2),
        "hours_sent": None if failed else round(lines.hours_in - lines.hours_excluded, 2),
        "hours_excluded": None if failed else round(lines.hours_excluded, 2),
        "employees_written": None if failed else written,
        "employees_unchanged": None if failed else employees - written,
        "message": "NmbrsTransientError: Nmbrs did not answer (HTTP 503)"
        if failed
        else f"{kind}; {employees} employees",
        "nmbrs_api": "soap",
        "company_number": company.index + 1,  # as the sandbox numbers the company
    }


def seed_ledger(db: Database, companies: int, employees: int, seed: int = 1) -> dict[str, Any]:
    """Apply the ledger DDL to ``db`` and COPY a year of runs in; returns the row counts."""
    import pandas as pd

    db.run_sql_file(SQL_DIR / "ledger_schema.sql")
    counts = {"runs": 0, "plan_lines": 0, "sent_lines": 0, "excluded_hours": 0}
    with db.connect() as conn, conn.cursor() as cursor:
        for company in ledger_companies(companies):
            for number in range(1, PERIODS[company.period_type] + 1):
                lines, (_, end) = period_lines(company, number, employees, seed)
                period = f"{YEAR}-{number}-{company.period_type}"
                runs = [
                    (_run_row(company, period, attempt, lines, employees), attempt["kind"])
                    for attempt in attempts(company, number, end, seed)
                ]
                frame = pd.DataFrame(
                    [row for row, _ in runs], columns=list(_RUN_COLUMNS), dtype=object
                )
                _copy(cursor, "runs", ", ".join(_RUN_COLUMNS), _csv(frame))  # lines refer to it
                counts["runs"] += len(runs)
                for row, kind in runs:
                    run_id = row["run_id"]
                    _copy(cursor, "plan_lines", _PLAN_COLS, lines.plan.replace(RUN, run_id))
                    _copy(cursor, "excluded_hours", _EXCLUDED_COLS,
                          lines.excluded.replace(RUN, run_id))  # fmt: skip
                    counts["plan_lines"] += lines.plan_rows
                    counts["excluded_hours"] += lines.excluded_rows
                    if kind in ("succeeded", "rerun"):
                        text = lines.sent_first if kind == "succeeded" else lines.sent_rerun
                        _copy(cursor, "sent_lines", _SENT_COLS, text.replace(RUN, run_id))
                        counts["sent_lines"] += text.count("\n")
            conn.commit()
    # What autovacuum does to a ledger after such inserts: statistics and the visibility map
    # (index-only scans of the run totals).
    for table in counts:
        db.execute(f"vacuum (analyze) nmbrs_sync.{table}")
    return counts
