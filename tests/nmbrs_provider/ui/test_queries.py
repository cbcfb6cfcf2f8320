"""The Nmbrs page's ledger queries against a real PostgreSQL with the real ledger DDL.

The ledger is written by the sync's own writer (``SyncWarehouse.start_run``, ``record_plan``,
``record_excluded``, ``record_sent``, ``finish_run``); the page reads it through
``nmbrs_provider.ui.queries`` on a read-only connection, as the page does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg2
import psycopg2.errors
import pytest

from nmbrs_provider.sync.warehouse import EXCLUDED_COLUMNS, SyncWarehouse
from nmbrs_provider.ui import queries
from nmbrs_provider.ui.queries import PAGE_SIZE

SQL_DIR = Path(__file__).resolve().parents[3] / "include" / "sql"
WEEKLY, MONTHLY = 70010, 70001
T0 = dt.datetime(2026, 1, 1, 6, tzinfo=dt.timezone.utc)


@pytest.fixture
def ledger(warehouse_db, monkeypatch) -> SyncWarehouse:
    monkeypatch.setenv("AIRFLOW_CONN_KEEPING_WAREHOUSE", warehouse_db.airflow_conn_json())
    warehouse = SyncWarehouse("keeping_warehouse", SQL_DIR)
    warehouse.apply_ledger_schema()
    return warehouse


@pytest.fixture
def page(warehouse_db, ledger) -> Iterator[Any]:
    """A connection as the page opens it (no autocommit), made read-only by the page."""
    conn = psycopg2.connect(**warehouse_db.connect_kwargs())
    try:
        yield queries.read_only(conn)
    finally:
        conn.close()


def record_run(
    ledger: SyncWarehouse,
    db: Any,
    run_id: str,
    *,
    company_id: int,
    period: str,
    started_at: dt.datetime,
    status: str = "succeeded",
    dry_run: bool = False,
    sent: list[dict[str, Any]] = (),  # type: ignore[assignment]
    plan: list[dict[str, Any]] = (),  # type: ignore[assignment]
    excluded: pd.DataFrame | None = None,
    hours_read: Decimal | None = None,
) -> None:
    """One run as ``sync_company`` records it (then its start moved to ``started_at``)."""
    ledger.start_run(run_id=run_id, dag_id="nmbrs_payroll_sync_w", airflow_run_id=run_id,
                     company_id=company_id, period=period, dry_run=dry_run)  # fmt: skip
    ledger.record_plan(run_id, plan)
    if excluded is not None:
        ledger.record_excluded(run_id, excluded)
    ledger.record_sent(run_id, sent)
    ledger.finish_run(run_id=run_id, status=status, hours_read=hours_read, hours_sent=None,
                      hours_excluded=None, employees_written=None, employees_unchanged=None,
                      message=None)  # fmt: skip
    db.execute("update nmbrs_sync.runs set started_at = %s where run_id = %s", (started_at, run_id))


def _weekly_year(ledger: SyncWarehouse, db: Any) -> list[tuple[str, int]]:
    """52 weekly periods, one run each; weeks 9, 10 and 52 with a failed first attempt.

    Returns (run_id, attempt) newest period first, newest attempt first: the page's order."""
    expected = []
    for week in range(1, 53):
        started = T0 + dt.timedelta(weeks=week)
        tries = 2 if week in (9, 10, 52) else 1
        runs = []
        for attempt in range(1, tries + 1):
            run_id = f"w{week}/try{attempt}"
            record_run(ledger, db, run_id, company_id=WEEKLY, period=f"2026-{week}-W",
                       started_at=started + dt.timedelta(minutes=attempt),
                       status="failed" if attempt < tries else "succeeded")  # fmt: skip
            runs.append((run_id, attempt))
        expected = list(reversed(runs)) + expected
    # Another company's run (same periods) never shows in this history.
    record_run(ledger, db, "other", company_id=MONTHLY, period="2026-52-W", started_at=T0)
    return expected


def test_history_pages_newest_period_first(ledger, warehouse_db, page):
    expected = _weekly_year(ledger, warehouse_db)
    assert len(expected) == 55 > PAGE_SIZE

    first = queries.history(page, WEEKLY)
    assert (first.total, first.offset, first.limit) == (55, 0, PAGE_SIZE)
    assert (first.previous, first.next) == (None, PAGE_SIZE)
    last = queries.history(page, WEEKLY, offset=first.next)
    assert len(first.rows) == PAGE_SIZE and len(last.rows) == 5
    assert (last.previous, last.next) == (0, None)
    shown = [(r["run_id"], r["attempt"]) for r in first.rows + last.rows]
    assert shown == expected  # 2026-52-W first, 2026-10-W before 2026-9-W, retries on top
    assert [r["period"] for r in first.rows[:3]] == ["2026-52-W", "2026-52-W", "2026-51-W"]
    assert queries.periods(first.rows)[:2] == ["2026-52-W", "2026-51-W"]
    assert {r["company_id"] for r in first.rows + last.rows} == {str(WEEKLY)}  # ids as text

    beyond = queries.history(page, WEEKLY, offset=55)
    assert (beyond.rows, beyond.total, beyond.next) == ([], 55, None)
    one = queries.history(page, WEEKLY, period="2026-10-W")
    assert [(r["run_id"], r["attempt"], r["status"]) for r in one.rows] == [
        ("w10/try2", 2, "succeeded"),
        ("w10/try1", 1, "failed"),
    ]
    assert (one.total, one.next, one.previous) == (2, None, None)
    assert queries.run(page, "w10/try2")["attempt"] == 2


def test_last_runs_are_the_newest_of_each_company(ledger, warehouse_db, page):
    _weekly_year(ledger, warehouse_db)
    last = queries.last_runs(page, [WEEKLY, MONTHLY, 12345])
    assert set(last) == {WEEKLY, MONTHLY}
    assert (last[WEEKLY]["run_id"], last[WEEKLY]["period"]) == ("w52/try2", "2026-52-W")


def _excluded_rows(company_id: int) -> pd.DataFrame:
    rows = []
    for user, reason, hours, day in [
        (11, "fixed_hour_contract", "8.00", 2), (11, "fixed_hour_contract", "7.50", 3),
        (12, "fixed_hour_contract", "6.25", 2), (11, "break", "0.50", 2),
        (13, "break", "0.25", 4), (13, "break", "0.75", 5), (None, "user_without_code", "3", 6),
    ]:  # fmt: skip
        rows.append({"company_id": company_id, "organisation_id": 1, "user_id": 1000 + (user or 99),
                     "user_code": None if user is None else str(user),
                     "work_date": dt.date(2026, 3, day), "purpose": "work", "project_id": None,
                     "task_id": None, "hours": Decimal(hours), "entries": 2, "reason": reason,
                     "detail": f"{reason} detail"})  # fmt: skip
    return pd.DataFrame(rows, columns=list(EXCLUDED_COLUMNS))


def _sent(employees: int) -> list[dict[str, Any]]:
    lines = []
    for n in range(1, employees + 1):
        base = {"company_id": MONTHLY, "employee_id": 5000 + n, "employee_number": f"{n:03d}",
                "period": "2026-3-M", "component_id": None}  # fmt: skip
        lines.append({**base, "hour_code": 2100, "hours": Decimal("10.25"), "days": None,
                      "action": "insert"})  # fmt: skip
        lines.append({**base, "hour_code": None, "hours": None, "days": 3, "action": "set_days"})
    return lines


def test_a_runs_exclusions_by_reason_add_up_to_its_totals(ledger, warehouse_db, page):
    excluded = _excluded_rows(MONTHLY)
    sent = _sent(3)
    read = sum(excluded["hours"]) + 3 * Decimal("10.25")
    record_run(ledger, warehouse_db, "march", company_id=MONTHLY, period="2026-3-M",
               started_at=T0, sent=sent, excluded=excluded, hours_read=read)  # fmt: skip

    run = queries.run(page, "march")
    groups = queries.exclusions(page, "march")
    assert [g.reason for g in groups] == ["fixed_hour_contract", "user_without_code", "break"]
    by_reason = {g.reason: g for g in groups}
    fixed = by_reason["fixed_hour_contract"]
    assert (fixed.hours, fixed.rows, fixed.people) == (Decimal("21.75"), 3, 2)
    assert [(e["user_code"], e["hours"], e["entries"]) for e in fixed.employees] == [
        ("11", Decimal("15.50"), 4),
        ("12", Decimal("6.25"), 2),
    ]
    assert (fixed.employees[0]["first_date"], fixed.employees[0]["last_date"]) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 3),
    )
    assert by_reason["user_without_code"].employees[0]["user_code"] == ""
    for group in groups:
        assert group.hours == sum(e["hours"] for e in group.employees)
        assert group.people == len(group.employees)
    assert sum(g.hours for g in groups) == run["hours_excluded"] == sum(excluded["hours"])
    assert sum(g.rows for g in groups) == len(excluded)
    assert run["hours_sent"] == Decimal("30.75")
    assert run["hours_read"] == run["hours_sent"] + run["hours_excluded"] and run["balanced"]


def test_lines_of_a_run_page_by_employee(ledger, warehouse_db, page):
    sent = _sent(60)  # 120 lines: pages of 50, 50 and 20
    plan = [{"company_id": MONTHLY, "employee_id": line["employee_id"],
             "employee_number": line["employee_number"], "hour_code": line["hour_code"],
             "current_hours": None, "desired_hours": line["hours"], "action": "insert"}
            for line in sent]  # fmt: skip
    record_run(ledger, warehouse_db, "dry", company_id=MONTHLY, period="2026-3-M",
               started_at=T0, status="dry_run", dry_run=True, plan=plan)  # fmt: skip
    record_run(ledger, warehouse_db, "real", company_id=MONTHLY, period="2026-3-M",
               started_at=T0 + dt.timedelta(hours=1), sent=sent, plan=plan)  # fmt: skip

    pages = [queries.sent_lines(page, "real", offset=o) for o in (0, 50, 100)]
    assert [len(p.rows) for p in pages] == [50, 50, 20]
    assert [(p.previous, p.next, p.total) for p in pages] == [
        (None, 50, 120), (0, 100, 120), (50, None, 120),
    ]  # fmt: skip
    shown = [(r["employee_number"], r["hour_code"]) for p in pages for r in p.rows]
    assert shown == [(f"{n:03d}", code) for n in range(1, 61) for code in (2100, None)]
    assert queries.sent_lines(page, "real", offset=120).rows == []
    assert queries.sent_lines(page, "dry").total == 0

    diff = [queries.plan_lines(page, "dry", offset=o) for o in (0, 100)]
    assert (diff[0].total, len(diff[0].rows), len(diff[1].rows), diff[1].next) == (
        120,
        50,
        20,
        None,
    )
    assert queries.run(page, "dry")["hours_planned"] == Decimal("615.00")


def test_the_page_cannot_write_the_ledger(ledger, warehouse_db, page):
    record_run(ledger, warehouse_db, "x", company_id=MONTHLY, period="2026-3-M", started_at=T0)
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction), page.cursor() as cur:
        cur.execute("delete from nmbrs_sync.runs")
    page.rollback()
    assert queries.run(page, "x") is not None


LINE_TABLES = ("sent_lines", "plan_lines", "excluded_hours")


def _line_scans(conn: Any) -> int:
    """Scans of the ledger's line tables so far in the connection's open transaction."""
    with conn.cursor() as cur:
        cur.execute(
            "select coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)"
            " from pg_stat_xact_user_tables"
            " where schemaname = 'nmbrs_sync' and relname = any(%s)",
            (list(LINE_TABLES),),
        )
        return int(cur.fetchone()[0])


def _year_with_lines(ledger: SyncWarehouse, db: Any) -> None:
    """A year of weekly runs (as ``_weekly_year``), each with sent, plan and excluded lines."""
    for week in range(1, 53):
        sent = [{**line, "company_id": WEEKLY, "period": f"2026-{week}-W"} for line in _sent(2)]
        plan = [{"company_id": WEEKLY, "employee_id": s["employee_id"],
                 "employee_number": s["employee_number"], "hour_code": s["hour_code"],
                 "current_hours": None, "desired_hours": s["hours"], "action": "insert"}
                for s in sent]  # fmt: skip
        excluded = _excluded_rows(WEEKLY)
        read = sum(excluded["hours"]) + 2 * Decimal("10.25")
        record_run(ledger, db, f"w{week}", company_id=WEEKLY, period=f"2026-{week}-W",
                   started_at=T0 + dt.timedelta(weeks=week), sent=sent, plan=plan,
                   excluded=excluded, hours_read=read)  # fmt: skip


def _balances(db: Any) -> dict[str, tuple]:
    return {
        r["run_id"]: (r["hours_sent"], r["hours_planned"], r["hours_excluded"], r["balanced"])
        for r in db.query_dicts("select * from nmbrs_sync.period_balance")
    }


def _shown(rows: list[dict[str, Any]]) -> dict[str, tuple]:
    return {
        r["run_id"]: (r["hours_sent"], r["hours_planned"], r["hours_excluded"], r["balanced"])
        for r in rows
    }


def test_lists_of_runs_read_run_rows_only(ledger, warehouse_db, page):
    _year_with_lines(ledger, warehouse_db)
    before = _line_scans(page)
    first = queries.history(page, WEEKLY)
    rest = queries.history(page, WEEKLY, offset=first.next)
    queries.last_runs(page, [WEEKLY])
    assert _line_scans(page) == before  # the totals come from the run rows
    shown = _shown(first.rows + rest.rows)
    assert shown == _balances(warehouse_db)  # what the lines add up to
    assert set(shown.values()) == {(Decimal("20.50"), Decimal("20.50"), Decimal("26.25"), True)}
    assert queries.sent_lines(page, "w52").total == 4 and queries.plan_lines(page, "w52").total == 4


def test_runs_without_stored_totals_are_summed_until_the_migration_stores_them(
    ledger, warehouse_db, page
):
    _year_with_lines(ledger, warehouse_db)
    # A ledger from before the totals: finished runs without them (and one still running).
    warehouse_db.execute(
        "update nmbrs_sync.runs set lines_sent = null, sent_total = null, lines_planned = null,"
        " planned_total = null, rows_excluded = null, excluded_total = null, totals_at = null"
    )
    warehouse_db.execute("update nmbrs_sync.runs set finished_at = null where run_id = 'w52'")
    expected = _balances(warehouse_db)

    rows = queries.history(page, WEEKLY).rows
    assert _shown(rows) == {k: v for k, v in expected.items() if k in _shown(rows)}
    assert _line_scans(page) > 0  # summed from the lines
    assert queries.sent_lines(page, "w1").total == 4
    page.rollback()

    ledger.apply_ledger_schema()  # the next sync's migration stores them
    stored = warehouse_db.query_dicts(
        "select run_id, sent_total, planned_total, excluded_total, lines_sent, lines_planned,"
        " rows_excluded from nmbrs_sync.runs where totals_at is not null"
    )
    assert {r["run_id"] for r in stored} == {f"w{w}" for w in range(1, 52)}  # not the running
    for row in stored:
        sent, planned, excluded, _ = expected[row["run_id"]]
        assert (row["sent_total"], row["planned_total"], row["excluded_total"]) == (
            sent, planned, excluded)  # fmt: skip
        assert (row["lines_sent"], row["lines_planned"], row["rows_excluded"]) == (4, 4, 7)
    rows = queries.history(page, WEEKLY, offset=2).rows  # w50 back: all with stored totals
    assert _shown(rows) == {k: v for k, v in expected.items() if k in _shown(rows)}
    assert _line_scans(page) == 0
    page.rollback()  # the DDL waits for readers' transactions to end
    ledger.apply_ledger_schema()  # idempotent: nothing left to store
    assert warehouse_db.query("select count(*) from nmbrs_sync.runs where totals_at is null") == [
        (1,)
    ]
