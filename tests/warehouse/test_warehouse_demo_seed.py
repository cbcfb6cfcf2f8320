"""include/sql/demo_seed.sql: the demo warehouse for the Nmbrs sandbox scenario."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dev import demo_data
from dev.local_warehouse import SQL_DIR, Database, seed_demo

NOVEMBER = {"period_start": "2026-11-01", "period_end": "2026-11-30"}


@pytest.fixture
def demo_db(warehouse_db: Database) -> Database:
    seed_demo(warehouse_db)
    return warehouse_db


def november(db: Database, organisation_ids: list[int]) -> tuple[Decimal, int]:
    (row,) = db.query(
        (SQL_DIR / "count_period_hours.sql").read_text(),
        {"organisation_ids": organisation_ids, **NOVEMBER},
    )
    return row


def test_seed_file_is_generated_from_dev_demo_data() -> None:
    assert demo_data.main(["--check"]) == 0


def test_demo_has_the_users_of_the_scenario(demo_db: Database) -> None:
    users = demo_db.query(
        "select organisation_id, code, first_name || ' ' || surname from keeping.users order by id"
    )

    assert users == [
        (1, "101", "Anna de Vries"),
        (1, "102", "Bram Jansen"),
        (1, "103", "Chantal Bakker"),
        (1, "104", "Daan Visser"),
        (1, None, "Henk Dijkstra"),
        (1, "999", "Iris Vermeulen"),
        (2, "201", "Eva Smit"),
        (2, "202", "Finn Mulder"),
        (2, "203", "Gijs de Boer"),
        (3, "301", "Jesse Kok"),
    ]


def test_demo_november_totals(demo_db: Database) -> None:
    assert november(demo_db, [1]) == (Decimal("479.36"), 138)
    assert november(demo_db, [2]) == (Decimal("281.43"), 76)
    assert november(demo_db, [3]) == (Decimal("39.83"), 7)
    per_user = demo_db.query(
        "select u.code, sum(e.hours) filter (where e.purpose = 'work'), count(*)"
        " from keeping.time_entries e join keeping.users u on u.id = e.user_id"
        " where e.date between '2026-11-01' and '2026-11-30' and u.code in ('101', '203')"
        " group by u.code order by 1"
    )
    assert per_user == [("101", Decimal("98.01"), 39), ("203", Decimal("72.07"), 24)]


def test_demo_contains_the_awkward_cases(demo_db: Database) -> None:
    special = demo_db.query(
        "select u.code, e.date::text, e.purpose, e.hours, e.ongoing, e.approval_status"
        " from keeping.time_entries e join keeping.users u on u.id = e.user_id"
        " where e.purpose = 'sick_leave' or e.ongoing or e.approval_status is null"
        "    or e.date not between '2026-11-01' and '2026-11-30'"
        "    or (u.code = '203' and e.date < '2026-11-10')"
        " order by e.date, u.code"
    )

    assert special == [
        ("101", "2026-10-30", "work", Decimal("5.25"), False, "approved"),
        ("102", "2026-10-31", "work", Decimal("4.00"), False, "approved"),
        ("203", "2026-11-05", "work", Decimal("4.00"), False, "approved"),
        ("101", "2026-11-12", "sick_leave", Decimal("6.00"), False, "approved"),
        ("102", "2026-11-27", "work", Decimal("4.50"), False, None),
        ("104", "2026-11-30", "work", None, True, None),
        ("201", "2026-12-01", "work", Decimal("6.50"), False, None),
        ("104", "2026-12-02", "work", Decimal("3.75"), False, None),
    ]
    assert demo_db.query(
        "select p.name, t.name, count(*) from keeping.time_entries e"
        " join keeping.projects p on p.id = e.project_id join keeping.tasks t on t.id = e.task_id"
        " group by 1, 2 order by 1, 2"
    ) == [
        ("Bar", "Service", 19),
        ("Bar", "Setup", 10),
        ("Kitchen", "Service", 15),
        ("Kitchen", "Setup", 9),
    ]
    assert demo_db.query("select count(*) from keeping.time_entries where purpose = 'break'") == [
        (44,)
    ]


def test_demo_extract_loses_nothing(demo_db: Database) -> None:
    params = {"organisation_ids": [1, 2], "user_ids": [], "project_ids": [], "task_ids": [],
              **NOVEMBER}  # fmt: skip
    rows = demo_db.query_dicts((SQL_DIR / "extract_period_hours.sql").read_text(), params)

    assert sum(r["hours"] for r in rows) == Decimal("760.79")
    assert sum(r["entries"] for r in rows) == 214
    assert {r["entry_state"] for r in rows} == {"ok", "ongoing"}


def test_reloading_the_demo_resets_it_and_leaves_other_organisations_alone(
    demo_db: Database,
) -> None:
    demo_db.execute(
        "insert into keeping.users (id, organisation_id, code) values (99001, 9, '901');"
        " insert into keeping.time_entries (id, organisation_id, user_id, date, purpose, hours)"
        " values (1, 9, 99001, '2026-11-02', 'work', 2.00), (2, 1, 71001, '2026-11-02', 'work', 9);"
        " update keeping.time_entries set hours = 1 where id = 880010"
    )

    seed_demo(demo_db)

    assert november(demo_db, [1, 2, 3]) == (Decimal("800.62"), 221)
    assert november(demo_db, [9]) == (Decimal("2.00"), 1)
