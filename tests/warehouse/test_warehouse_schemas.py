"""keeping_schema.sql and the nmbrs_sync ledger against a real PostgreSQL."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import psycopg2
import psycopg2.errors
import pytest

from dev.local_warehouse import SQL_DIR, Database

LEDGER = SQL_DIR / "ledger_schema.sql"


def sql(name: str) -> str:
    return (SQL_DIR / name).read_text()


def start_run(db: Database, run_id: str, **values: Any) -> None:
    params = {
        "run_id": run_id,
        "dag_id": "nmbrs_sync_54613",
        "airflow_run_id": "scheduled__2026-12-01",
        "company_id": 54613,
        "period": "2026-11",
        "dry_run": False,
        "nmbrs_api": "soap",
        "company_number": 1,
    } | values
    assert db.query(sql("ledger_start_run.sql"), params)[0][0] == run_id


def finish_run(db: Database, run_id: str, **values: Any) -> None:
    params = {
        "run_id": run_id,
        "status": "succeeded",
        "hours_read": None,
        "hours_sent": None,
        "hours_excluded": None,
        "employees_written": None,
        "employees_unchanged": None,
        "message": None,
    } | values
    assert db.query(sql("ledger_finish_run.sql"), params)[0][0] == run_id


def sent_line(db: Database, run_id: str, **values: Any) -> None:
    params = {
        "run_id": run_id,
        "company_id": 54613,
        "employee_id": 9101,
        "employee_number": "101",
        "period": "2026-11",
        "hour_code": 1,
        "hours": None,
        "days": None,
        "action": "insert",
        "component_id": None,
    } | values
    db.execute(sql("ledger_insert_sent_line.sql"), params)


def excluded(db: Database, run_id: str, hours: str, reason: str, **values: Any) -> None:
    params = {
        "run_id": run_id,
        "company_id": 54613,
        "organisation_id": 1,
        "user_id": 71005,
        "user_code": None,
        "work_date": "2026-11-04",
        "purpose": "work",
        "project_id": None,
        "task_id": None,
        "hours": hours,
        "entries": 1,
        "reason": reason,
        "detail": None,
    } | values
    db.execute(sql("ledger_insert_excluded_hours.sql"), params)


def balance(db: Database, run_id: str) -> dict[str, Any]:
    df = db.query_df("select * from nmbrs_sync.period_balance where run_id = %s", (run_id,))
    (row,) = df.to_dict("records")
    return row


def test_keeping_schema_applies_again_and_keeps_rows(warehouse_db: Database) -> None:
    warehouse_db.execute("insert into keeping.users (id, organisation_id) values (1, 1)")

    warehouse_db.run_sql_file(SQL_DIR / "keeping_schema.sql")
    warehouse_db.run_sql_file(SQL_DIR / "keeping_schema.sql")

    assert warehouse_db.query("select id, state from keeping.users") == [(1, "active")]
    tables = warehouse_db.query(
        "select table_name from information_schema.tables where table_schema = 'keeping' order by 1"
    )
    assert tables == [("projects",), ("tasks",), ("time_entries",), ("users",)]


def test_ledger_schema_applies_twice_and_keeps_runs(warehouse_db: Database) -> None:
    warehouse_db.run_sql_file(LEDGER)
    start_run(warehouse_db, "run-1")

    warehouse_db.run_sql_file(LEDGER)

    assert warehouse_db.query("select run_id, status from nmbrs_sync.runs") == [
        ("run-1", "running")
    ]


def apply_concurrently(connections: list[psycopg2.extensions.connection], text: str) -> list[str]:
    """Run ``text`` on every connection at the same moment, each as one transaction."""
    barrier = threading.Barrier(len(connections))
    errors: list[str] = []

    def apply(conn: psycopg2.extensions.connection) -> None:
        try:
            barrier.wait()
            with conn, conn.cursor() as cur:  # one transaction, like PostgresHook.run
                cur.execute(text)
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=apply, args=(conn,)) for conn in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_two_workers_can_apply_the_ledger_schema_at_once(warehouse_db: Database) -> None:
    for _ in range(5):
        warehouse_db.execute("drop schema if exists nmbrs_sync cascade")
        connections = [psycopg2.connect(**warehouse_db.connect_kwargs()) for _ in range(2)]
        try:
            errors = apply_concurrently(connections, LEDGER.read_text())
        finally:
            for conn in connections:
                conn.close()

        assert errors == []
        assert warehouse_db.query("select count(*) from nmbrs_sync.runs") == [(0,)]


def test_a_synced_run_balances_read_against_sent_and_excluded(warehouse_db: Database) -> None:
    warehouse_db.run_sql_file(LEDGER)
    start_run(warehouse_db, "run-1")
    sent_line(warehouse_db, "run-1", hours="7.75", component_id=5001)
    sent_line(
        warehouse_db,
        "run-1",
        employee_id=9102,
        employee_number="102",
        hours="3.00",
        action="unchanged",
    )
    sent_line(warehouse_db, "run-1", hours="2.00", action="delete", component_id=4001)
    sent_line(warehouse_db, "run-1", hour_code=None, days=3, action="set_days")
    excluded(warehouse_db, "run-1", "1.50", "no_employee_number")
    finish_run(
        warehouse_db,
        "run-1",
        hours_read="12.25",
        hours_sent="10.75",
        hours_excluded="1.50",
        employees_written=1,
        employees_unchanged=1,
    )

    row = balance(warehouse_db, "run-1")

    assert (row["status"], row["hours_read"], row["hours_sent"], row["hours_excluded"]) == (
        "succeeded",
        Decimal("12.25"),
        Decimal("10.75"),
        Decimal("1.50"),
    )
    assert (row["difference"], row["balanced"]) == (Decimal("0.00"), True)


def test_hours_that_went_nowhere_show_as_unbalanced(warehouse_db: Database) -> None:
    warehouse_db.run_sql_file(LEDGER)
    start_run(warehouse_db, "run-2")
    sent_line(warehouse_db, "run-2", hours="7.75")
    finish_run(warehouse_db, "run-2", hours_read="9.00")

    row = balance(warehouse_db, "run-2")

    assert (row["difference"], row["balanced"]) == (Decimal("1.25"), False)


def test_a_retro_correction_balances_and_old_ledgers_accept_it(warehouse_db: Database) -> None:
    warehouse_db.run_sql_file(LEDGER)
    # a ledger created before corrections existed
    warehouse_db.execute(
        "alter table nmbrs_sync.sent_lines drop constraint sent_lines_action_check;"
        " alter table nmbrs_sync.sent_lines add constraint sent_lines_action_check"
        " check (action in ('insert', 'delete', 'set_days', 'unchanged'))"
    )
    warehouse_db.run_sql_file(LEDGER)
    start_run(warehouse_db, "retro-1")
    # 12 h held from the closed run, corrected to 9.5 h; 0.5 h excluded
    sent_line(warehouse_db, "retro-1", hours="12.00", action="unchanged")
    sent_line(warehouse_db, "retro-1", hours="-2.50", action="correction")
    excluded(warehouse_db, "retro-1", "0.50", "break")
    finish_run(warehouse_db, "retro-1", hours_read="10.00")

    row = balance(warehouse_db, "retro-1")

    assert (row["hours_sent"], row["balanced"]) == (Decimal("9.50"), True)
    with pytest.raises(psycopg2.errors.CheckViolation):
        sent_line(warehouse_db, "retro-1", action="adjust")


def test_a_dry_run_balances_against_its_plan(warehouse_db: Database) -> None:
    warehouse_db.run_sql_file(LEDGER)
    start_run(warehouse_db, "dry-1", dry_run=True)
    for employee, current, desired, action in [
        (9101, None, "7.75", "insert"),
        (9102, "3.00", "3.00", "unchanged"),
    ]:
        warehouse_db.execute(
            sql("ledger_insert_plan_line.sql"),
            {
                "run_id": "dry-1",
                "company_id": 54613,
                "employee_id": employee,
                "employee_number": str(employee - 9000),
                "hour_code": 1,
                "current_hours": current,
                "desired_hours": desired,
                "action": action,
            },
        )
    excluded(warehouse_db, "dry-1", "0.50", "break")
    finish_run(warehouse_db, "dry-1", status="dry_run", hours_read="11.25")

    row = balance(warehouse_db, "dry-1")

    assert (row["hours_sent"], row["hours_planned"], row["balanced"]) == (
        Decimal("0"),
        Decimal("10.75"),
        True,
    )


def test_ledger_answers_what_was_sent_for_a_company_and_period(warehouse_db: Database) -> None:
    warehouse_db.run_sql_file(LEDGER)
    for run_id, status, hours in [
        ("a", "succeeded", "5.00"),
        ("b", "succeeded", "6.00"),
        ("c", "failed", "7.00"),
    ]:
        start_run(warehouse_db, run_id)
        sent_line(warehouse_db, run_id, hours=hours)
        finish_run(warehouse_db, run_id, status=status)
    start_run(warehouse_db, "other", company_id=54614)
    sent_line(warehouse_db, "other", company_id=54614, hours="9.00")
    warehouse_db.execute(
        "update nmbrs_sync.runs set started_at = started_at + make_interval(secs => ascii(run_id))"
    )

    history = warehouse_db.query_df(
        sql("ledger_sent_for_period.sql"), {"company_id": 54613, "period": "2026-11"}
    )
    latest = warehouse_db.query(
        "select run_id, hours from nmbrs_sync.latest_sent_lines where company_id = '54613'"
    )

    assert list(history["run_id"]) == ["c", "b", "a"]
    assert latest == [("b", Decimal("6.00"))]


def test_ledger_refuses_a_reused_run_id_and_unknown_values(warehouse_db: Database) -> None:
    warehouse_db.run_sql_file(LEDGER)
    start_run(warehouse_db, "run-1")

    with pytest.raises(psycopg2.errors.UniqueViolation):
        start_run(warehouse_db, "run-1")
    with pytest.raises(psycopg2.errors.CheckViolation):
        finish_run(warehouse_db, "run-1", status="done")
    with pytest.raises(psycopg2.errors.CheckViolation):
        sent_line(warehouse_db, "run-1", action="update")
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        sent_line(warehouse_db, "no-such-run", hours="1.00")


def test_a_new_attempt_closes_the_running_row_of_the_attempt_that_died(
    warehouse_db: Database,
) -> None:
    warehouse_db.run_sql_file(LEDGER)
    task = "scheduled__2026-12-01/54613"
    start_run(warehouse_db, f"{task}/try1")  # its worker is killed: the row stays running
    sent_line(warehouse_db, f"{task}/try1", hours="7.75")
    excluded(warehouse_db, f"{task}/try1", "0.50", "break")
    # Rows of other tasks running at the same time: another company, another period (a
    # backfill), another DAG run, another DAG; and the unrouted run of this DAG run.
    others = {
        "other-company": {"company_id": 54614},
        "other-period": {"period": "2026-10"},
        "other-dag-run": {"airflow_run_id": "manual__2026-12-01"},
        "other-dag": {"dag_id": "nmbrs_sync_other"},
        "unrouted": {"company_id": None, "nmbrs_api": None},
    }
    for run_id, values in others.items():
        start_run(warehouse_db, run_id, **values)

    start_run(warehouse_db, f"{task}/try2")  # Airflow's retry of the same task

    runs = {
        run_id: (status, message, finished is not None)
        for run_id, status, message, finished in warehouse_db.query(
            "select run_id, status, message, finished_at from nmbrs_sync.runs"
        )
    }
    assert runs.pop(f"{task}/try1") == (
        "failed",
        f"attempt ended without finishing (killed or lost); attempt {task}/try2 took over",
        True,
    )
    assert runs == {run_id: ("running", None, False) for run_id in [*others, f"{task}/try2"]}
    totals = warehouse_db.query(
        "select lines_sent, sent_total, lines_planned, planned_total, rows_excluded,"
        " excluded_total, totals_at is not null from nmbrs_sync.runs where run_id = %s",
        (f"{task}/try1",),
    )
    assert totals == [(1, Decimal("7.75"), 0, Decimal("0"), 1, Decimal("0.50"), True)]

    # The unrouted run's retry closes the unrouted row only.
    start_run(warehouse_db, "unrouted-try2", company_id=None, nmbrs_api=None)

    assert warehouse_db.query(
        "select run_id from nmbrs_sync.runs where status = 'running' order by run_id"
    ) == [(r,) for r in sorted([*others.keys() - {"unrouted"}, f"{task}/try2", "unrouted-try2"])]


def test_finishing_a_run_stores_its_totals_and_an_unknown_run_is_no_row(
    warehouse_db: Database,
) -> None:
    warehouse_db.run_sql_file(LEDGER)
    start_run(warehouse_db, "run-1")
    sent_line(warehouse_db, "run-1", hours="7.75")
    sent_line(warehouse_db, "run-1", hours="2.00", action="delete")
    excluded(warehouse_db, "run-1", "1.50", "break")
    finish_run(warehouse_db, "run-1", hours_read="9.25")
    totals = (
        "select status, hours_read, lines_sent, sent_total, lines_planned, planned_total,"
        " rows_excluded, excluded_total, totals_at = finished_at from nmbrs_sync.runs"
    )

    assert warehouse_db.query(totals) == [
        ("succeeded", Decimal("9.25"), 2, Decimal("7.75"), 0, Decimal("0"), 1, Decimal("1.50"),
         True)
    ]  # fmt: skip
    params = {"run_id": "no-such-run", "status": "failed", "hours_read": None,
              "hours_sent": None, "hours_excluded": None, "employees_written": None,
              "employees_unchanged": None, "message": None}  # fmt: skip
    assert warehouse_db.query(sql("ledger_finish_run.sql"), params) == []
    assert warehouse_db.query("select run_id from nmbrs_sync.runs") == [("run-1",)]
