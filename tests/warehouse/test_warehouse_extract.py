"""extract_period_hours.sql and count_period_hours.sql against a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import pytest

from dev.local_warehouse import SQL_DIR, Database

EXTRACT = (SQL_DIR / "extract_period_hours.sql").read_text()
COUNT = (SQL_DIR / "count_period_hours.sql").read_text()
NOVEMBER = {"period_start": dt.date(2026, 11, 1), "period_end": dt.date(2026, 11, 30)}
#: The extract's other selectors, empty: only the organisations' rows.
NO_OTHER_IDS = {"user_ids": [], "project_ids": [], "task_ids": []}
COLUMNS = [
    "organisation_id",
    "user_id",
    "user_code",
    "user_name",
    "user_state",
    "work_date",
    "purpose",
    "project_id",
    "task_id",
    "approval_status",
    "entry_state",
    "hours",
    "entries",
]


def add_users(db: Database, *users: dict[str, Any]) -> None:
    for user in users:
        row = {"organisation_id": 1, "code": None, "first_name": None, "surname": None} | user
        db.execute(
            "insert into keeping.users (id, organisation_id, code, first_name, surname)"
            " values (%(id)s, %(organisation_id)s, %(code)s, %(first_name)s, %(surname)s)",
            row,
        )


def add_entries(db: Database, *entries: dict[str, Any]) -> None:
    (start,) = db.query("select coalesce(max(id), 0) from keeping.time_entries")[0]
    for n, entry in enumerate(entries, start=start + 1):
        row = {
            "id": n,
            "organisation_id": 1,
            "user_id": 1,
            "date": "2026-11-10",
            "purpose": "work",
            "hours": "4.00",
            "ongoing": False,
            "project_id": None,
            "task_id": None,
            "approval_status": "approved",
        } | entry
        db.execute(
            "insert into keeping.time_entries (id, organisation_id, user_id, date, purpose,"
            " hours, ongoing, project_id, task_id, approval_status) values (%(id)s,"
            " %(organisation_id)s, %(user_id)s, %(date)s, %(purpose)s, %(hours)s, %(ongoing)s,"
            " %(project_id)s, %(task_id)s, %(approval_status)s)",
            row,
        )


def extract(
    db: Database, organisation_ids: list[int] | None, *, also: dict | None = None, **period: Any
) -> list[dict[str, Any]]:
    """Run the extract; ``also`` holds user_ids / project_ids / task_ids (default none)."""
    ids = NO_OTHER_IDS | (also or {})
    params = {"organisation_ids": organisation_ids, **ids, **(NOVEMBER | period)}
    rows = db.query_dicts(EXTRACT, params)
    assert all(list(row) == COLUMNS for row in rows)
    return rows


def count(db: Database, organisation_ids: list[int], **period: Any) -> tuple[Decimal, int]:
    (row,) = db.query(COUNT, {"organisation_ids": organisation_ids, **(NOVEMBER | period)})
    return row


def test_entries_of_one_user_day_and_kind_become_one_row(warehouse_db: Database) -> None:
    add_users(warehouse_db, {"id": 1, "code": "101", "first_name": "Anna", "surname": "de Vries"})
    add_entries(
        warehouse_db,
        {"hours": "3.25"},
        {"hours": "4.50"},
        {"purpose": "break", "hours": "0.50"},
        {"hours": "2.00", "project_id": 10, "task_id": 100},
    )

    rows = extract(warehouse_db, [1])

    assert [(r["purpose"], r["project_id"], r["hours"], r["entries"]) for r in rows] == [
        ("break", None, Decimal("0.50"), 1),
        ("work", None, Decimal("7.75"), 2),
        ("work", 10, Decimal("2.00"), 1),
    ]
    assert {(r["user_code"], r["user_name"], r["user_state"]) for r in rows} == {
        ("101", "Anna de Vries", "active")
    }
    assert rows[0]["work_date"] == dt.date(2026, 11, 10)


@pytest.mark.parametrize(
    ("entry", "state", "hours"),
    [
        ({"hours": "5.00"}, "ok", Decimal("5.00")),
        ({"hours": None, "ongoing": True, "approval_status": None}, "ongoing", Decimal("0")),
        ({"hours": "1.50", "ongoing": True}, "ongoing", Decimal("1.50")),
        ({"hours": None}, "missing_hours", Decimal("0")),
        ({"hours": "-2.00"}, "negative_hours", Decimal("-2.00")),
        ({"hours": "0.00"}, "zero_hours", Decimal("0.00")),
    ],
)
def test_every_entry_is_labelled_with_its_state(
    warehouse_db: Database, entry: dict[str, Any], state: str, hours: Decimal
) -> None:
    add_users(warehouse_db, {"id": 1, "code": "101"})
    add_entries(warehouse_db, entry)

    (row,) = extract(warehouse_db, [1])

    assert (row["entry_state"], row["hours"], row["entries"]) == (state, hours, 1)


def test_states_and_approval_are_never_mixed_in_one_row(warehouse_db: Database) -> None:
    add_entries(
        warehouse_db,
        {"hours": "4.00"},
        {"hours": "3.00", "approval_status": None},
        {"hours": None, "ongoing": True, "approval_status": None},
        {"hours": "0"},
    )

    rows = extract(warehouse_db, [1])

    assert sorted((r["approval_status"] or "-", r["entry_state"], r["hours"]) for r in rows) == [
        ("-", "ok", Decimal("3.00")),
        ("-", "ongoing", Decimal("0")),
        ("approved", "ok", Decimal("4.00")),
        ("approved", "zero_hours", Decimal("0")),
    ]


def test_entries_of_unknown_users_still_come_out(warehouse_db: Database) -> None:
    add_entries(warehouse_db, {"user_id": 404, "hours": "6.00"})

    (row,) = extract(warehouse_db, [1])

    assert (row["user_id"], row["user_code"], row["user_name"], row["hours"]) == (
        404,
        None,
        None,
        Decimal("6.00"),
    )


def test_user_code_and_name_are_trimmed(warehouse_db: Database) -> None:
    add_users(
        warehouse_db,
        {"id": 1, "code": " 104 ", "first_name": " Daan ", "surname": "Visser "},
        {"id": 2, "code": "  ", "first_name": "Henk", "surname": None},
        {"id": 3, "code": "", "first_name": None, "surname": None},
    )
    add_entries(warehouse_db, {"user_id": 1}, {"user_id": 2}, {"user_id": 3})

    rows = extract(warehouse_db, [1])

    assert [(r["user_code"], r["user_name"]) for r in rows] == [
        ("104", "Daan Visser"),
        (None, "Henk"),
        (None, None),
    ]


def test_only_the_requested_organisations_are_read(warehouse_db: Database) -> None:
    add_entries(
        warehouse_db,
        {"organisation_id": 1, "hours": "1.00"},
        {"organisation_id": 2, "hours": "2.00"},
        {"organisation_id": 3, "hours": "3.00"},
    )

    assert {r["organisation_id"] for r in extract(warehouse_db, [1, 2])} == {1, 2}
    assert {r["organisation_id"] for r in extract(warehouse_db, [3])} == {3}
    assert extract(warehouse_db, []) == []
    assert count(warehouse_db, [1, 2]) == (Decimal("3.00"), 2)
    assert count(warehouse_db, []) == (Decimal("0"), 0)


def test_rows_of_listed_users_projects_and_tasks_are_read_from_any_organisation(
    warehouse_db: Database,
) -> None:
    add_entries(
        warehouse_db,
        {"organisation_id": 1, "user_id": 1, "hours": "1.00"},
        {"organisation_id": 2, "user_id": 7, "hours": "2.00"},
        {"organisation_id": 3, "user_id": 8, "project_id": 30, "hours": "3.00"},
        {"organisation_id": 4, "user_id": 9, "project_id": 40, "task_id": 41, "hours": "4.00"},
        {"organisation_id": 5, "user_id": 10, "hours": "5.00"},
    )

    def hours(organisations, **also):
        rows = extract(warehouse_db, organisations, also=also)
        return sorted(float(r["hours"]) for r in rows)

    assert hours([1], user_ids=[7], project_ids=[30], task_ids=[41]) == [1, 2, 3, 4]
    assert hours([], user_ids=[7]) == [2]
    assert hours([], task_ids=[41]) == [4]
    assert hours(None, user_ids=[7]) == [1, 2, 3, 4, 5]  # null organisations: every row


def test_period_bounds_are_inclusive(warehouse_db: Database) -> None:
    add_entries(
        warehouse_db,
        {"date": "2026-10-31", "hours": "1.00"},
        {"date": "2026-11-01", "hours": "2.00"},
        {"date": "2026-11-30", "hours": "3.00"},
        {"date": "2026-12-01", "hours": "4.00"},
    )

    rows = extract(warehouse_db, [1])

    assert [(r["work_date"], r["hours"]) for r in rows] == [
        (dt.date(2026, 11, 1), Decimal("2.00")),
        (dt.date(2026, 11, 30), Decimal("3.00")),
    ]
    assert count(warehouse_db, [1]) == (Decimal("5.00"), 2)
    one_day = {"period_start": "2026-11-30", "period_end": "2026-11-30"}
    assert [r["hours"] for r in extract(warehouse_db, [1], **one_day)] == [Decimal("3.00")]


def test_count_matches_the_sum_of_the_extract(warehouse_db: Database) -> None:
    add_users(warehouse_db, {"id": 1, "code": "101"}, {"id": 2, "code": "102"})
    add_entries(
        warehouse_db,
        *[
            {
                "user_id": 1 + n % 3,
                "date": f"2026-11-{1 + n % 30:02d}",
                "hours": f"{n % 9}.{n:02d}",
                "purpose": ("work", "break", "sick_leave")[n % 3],
                "project_id": (None, 10)[n % 2],
            }
            for n in range(60)
        ],
        {"hours": None, "ongoing": True},
        {"hours": "-1.25"},
    )

    rows = extract(warehouse_db, [1])
    hours, entries = count(warehouse_db, [1])

    assert sum(r["hours"] for r in rows) == hours
    assert sum(r["entries"] for r in rows) == entries == 62


def test_postgres_hook_reads_the_extract_through_an_env_connection(
    warehouse_db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", os.environ.get("AIRFLOW_HOME", str(tmp_path)))
    monkeypatch.setenv("AIRFLOW_CONN_KEEPING_WAREHOUSE", warehouse_db.airflow_conn_json())
    postgres = pytest.importorskip("airflow.providers.postgres.hooks.postgres")
    add_users(warehouse_db, {"id": 1, "code": "101", "first_name": "Anna", "surname": "de Vries"})
    add_entries(warehouse_db, {"hours": "3.25"}, {"hours": "4.50"})

    hook = postgres.PostgresHook(postgres_conn_id="keeping_warehouse")
    params = {"organisation_ids": [1], **NO_OTHER_IDS, **NOVEMBER}
    records = hook.get_records(EXTRACT, parameters=params)

    assert [(r[2], r[3], r[11], r[12]) for r in records] == [
        ("101", "Anna de Vries", Decimal("7.75"), 2)
    ]
    assert tuple(hook.get_first(COUNT, parameters=params)) == (Decimal("7.75"), 2)


def test_extract_also_runs_with_psycopg3(warehouse_db: Database) -> None:
    psycopg = pytest.importorskip("psycopg")
    add_entries(warehouse_db, {"hours": "3.25"}, {"hours": "4.50"}, {"organisation_id": 2})

    with psycopg.connect(warehouse_db.uri) as conn:
        rows = conn.execute(
            EXTRACT,
            {
                "organisation_ids": [1],
                **NO_OTHER_IDS,
                "period_start": "2026-11-01",
                "period_end": "2026-11-30",
            },
        ).fetchall()

    assert [(r[0], r[11], r[12]) for r in rows] == [(1, Decimal("7.75"), 2)]
