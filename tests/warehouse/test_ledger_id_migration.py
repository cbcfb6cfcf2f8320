"""The ledger's id columns become text in place (SOAP integers and REST UUIDs), keeping rows."""

from __future__ import annotations

from dev.local_warehouse import SQL_DIR, Database

LEDGER = (SQL_DIR / "ledger_schema.sql").read_text()
UUID = "0c7d7e8e-5b7a-5d1b-9a36-0d3f6c1b2a11"
ID_COLUMNS = {
    ("runs", "company_id"),
    ("sent_lines", "company_id"),
    ("sent_lines", "employee_id"),
    ("sent_lines", "component_id"),
    ("excluded_hours", "company_id"),
    ("plan_lines", "company_id"),
    ("plan_lines", "employee_id"),
}

# The ledger as it was before REST: bigint ids, and views reading them.
OLD_LEDGER = """
create schema nmbrs_sync;
create table nmbrs_sync.runs (
    run_id text primary key, dag_id text, airflow_run_id text, company_id bigint,
    period text not null, started_at timestamptz not null default now(),
    finished_at timestamptz, status text not null default 'running',
    dry_run boolean not null default false, hours_read numeric(12, 2),
    hours_sent numeric(12, 2), hours_excluded numeric(12, 2), employees_written integer,
    employees_unchanged integer, message text);
create table nmbrs_sync.sent_lines (
    id bigint generated always as identity primary key,
    run_id text not null references nmbrs_sync.runs (run_id),
    company_id bigint not null, employee_id bigint not null, employee_number text,
    period text not null, hour_code integer, hours numeric(9, 2), days integer,
    action text not null, component_id bigint, written_at timestamptz not null default now());
create table nmbrs_sync.excluded_hours (
    id bigint generated always as identity primary key,
    run_id text not null references nmbrs_sync.runs (run_id), company_id bigint,
    organisation_id bigint, user_id bigint, user_code text, work_date date, purpose text,
    project_id bigint, task_id bigint, hours numeric(12, 2), entries integer,
    reason text not null, detail text);
create table nmbrs_sync.plan_lines (
    id bigint generated always as identity primary key,
    run_id text not null references nmbrs_sync.runs (run_id), company_id bigint not null,
    employee_id bigint, employee_number text, hour_code integer, current_hours numeric(9, 2),
    desired_hours numeric(9, 2), action text not null,
    planned_at timestamptz not null default now());
create index sent_lines_company_period_idx
    on nmbrs_sync.sent_lines (company_id, period, employee_id, hour_code);
create view nmbrs_sync.period_balance as
    select r.run_id, r.company_id, r.period from nmbrs_sync.runs as r;
create view nmbrs_sync.latest_sent_lines as select sl.* from nmbrs_sync.sent_lines as sl;
insert into nmbrs_sync.runs (run_id, company_id, period, status, hours_read)
    values ('old-1', 54613, '2026-10-M', 'succeeded', 7.5);
insert into nmbrs_sync.sent_lines (run_id, company_id, employee_id, period, hour_code, hours,
                                   action, component_id)
    values ('old-1', 54613, 500001, '2026-10-M', 2100, 7.5, 'insert', 7000001);
insert into nmbrs_sync.excluded_hours (run_id, company_id, hours, reason)
    values ('old-1', 54613, 1.0, 'break');
insert into nmbrs_sync.plan_lines (run_id, company_id, employee_id, hour_code, desired_hours,
                                   action)
    values ('old-1', 54613, 500001, 2100, 7.5, 'insert');
"""


def id_types(db: Database) -> dict[tuple[str, str], str]:
    rows = db.query(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = 'nmbrs_sync'"
    )
    return {(t, c): kind for t, c, kind in rows if (t, c) in ID_COLUMNS}


def test_old_ledger_is_migrated_in_place_and_keeps_its_rows(warehouse_db):
    warehouse_db.execute(OLD_LEDGER)
    assert set(id_types(warehouse_db).values()) == {"bigint"}
    warehouse_db.execute(LEDGER)
    warehouse_db.execute(LEDGER)  # idempotent
    assert id_types(warehouse_db) == dict.fromkeys(ID_COLUMNS, "text")
    assert warehouse_db.query(
        "select company_id, employee_id, component_id, hours from nmbrs_sync.sent_lines"
    ) == [("54613", "500001", "7000001", 7.5)]
    assert warehouse_db.query("select company_id, employee_id from nmbrs_sync.plan_lines") == [
        ("54613", "500001")
    ]
    assert warehouse_db.query("select company_id from nmbrs_sync.excluded_hours") == [("54613",)]
    (balance,) = warehouse_db.query_dicts("select * from nmbrs_sync.period_balance")
    assert balance["company_id"] == "54613" and balance["balanced"] is False
    # an old SOAP caller passing an int still finds its rows
    rows = warehouse_db.query(
        (SQL_DIR / "ledger_sent_for_period.sql").read_text(),
        {"company_id": 54613, "period": "2026-10-M"},
    )
    assert len(rows) == 1


def test_a_uuid_company_is_recorded(warehouse_db):
    warehouse_db.execute(LEDGER)
    warehouse_db.query(
        (SQL_DIR / "ledger_start_run.sql").read_text(),
        {"run_id": "rest-1", "dag_id": "d", "airflow_run_id": "a", "company_id": UUID,
         "period": "2026-11-M", "dry_run": False, "nmbrs_api": "rest", "company_number": 1},
    )  # fmt: skip
    warehouse_db.execute(
        (SQL_DIR / "ledger_insert_sent_line.sql").read_text(),
        {"run_id": "rest-1", "company_id": UUID, "employee_id": UUID, "employee_number": "101",
         "period": "2026-11-M", "hour_code": 2100, "hours": 8, "days": None,
         "action": "insert", "component_id": UUID},
    )  # fmt: skip
    rows = warehouse_db.query(
        (SQL_DIR / "ledger_sent_for_period.sql").read_text(),
        {"company_id": UUID, "period": "2026-11-M"},
    )
    assert [(r[5], r[11]) for r in rows] == [(UUID, UUID)]
