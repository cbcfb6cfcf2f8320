"""Each company extracts only the rows that can route to it, and loses none of them."""

from __future__ import annotations

import shutil

import pytest

from dev.local_warehouse import SQL_DIR
from nmbrs_provider.core.config import parse_config
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.routing import route_hours
from nmbrs_provider.sync.extract import extract_company_hours, rows_to_read
from nmbrs_provider.sync.warehouse import SyncWarehouse
from tests.warehouse.test_warehouse_extract import add_entries, add_users

NOVEMBER = PayrollPeriod.parse("2026-11-M")
CONFIG = parse_config(
    {
        "companies": [
            {"company_id": 1, "organisations": [1]},
            {"company_id": 2, "users": [7], "projects": [30]},
            {"company_id": 3, "default": True},
        ]
    }
)


@pytest.fixture
def sync_warehouse(warehouse_db, monkeypatch) -> SyncWarehouse:
    monkeypatch.setenv("AIRFLOW_CONN_KEEPING_WAREHOUSE", warehouse_db.airflow_conn_json())
    add_users(warehouse_db, *({"id": u, "code": str(u)} for u in (1, 7, 8, 9)))
    add_entries(
        warehouse_db,
        {"organisation_id": 1, "user_id": 1, "hours": "1.00"},
        {"organisation_id": 1, "user_id": 7, "hours": "2.00"},  # user 7 beats organisation 1
        {"organisation_id": 5, "user_id": 8, "project_id": 30, "hours": "3.00"},
        {"organisation_id": 5, "user_id": 9, "hours": "4.00"},  # only the default takes it
    )
    return SyncWarehouse("keeping_warehouse", SQL_DIR)


def routed_hours(warehouse: SyncWarehouse, company_id: int) -> list[float]:
    hours = extract_company_hours(warehouse, CONFIG, company_id, NOVEMBER)
    routing = route_hours(hours, CONFIG, period=NOVEMBER, company_ids=[company_id])
    return sorted(routing.for_company(company_id)["hours"].tolist())


def test_only_the_default_company_reads_everything():
    assert rows_to_read(CONFIG, 3) is None
    assert rows_to_read(CONFIG, 2).users == [7] and rows_to_read(CONFIG, 2).organisations == []


def test_narrowed_extracts_route_exactly_what_a_full_extract_routes(sync_warehouse):
    everything = sync_warehouse.extract_hours(None, NOVEMBER)
    for company_id in (1, 2, 3):
        full = route_hours(everything, CONFIG, period=NOVEMBER, company_ids=[company_id])
        expected = sorted(full.for_company(company_id)["hours"].tolist())
        assert routed_hours(sync_warehouse, company_id) == expected
    assert routed_hours(sync_warehouse, 1) == [1.0]
    assert routed_hours(sync_warehouse, 2) == [2.0, 3.0]
    assert routed_hours(sync_warehouse, 3) == [4.0]


def test_an_own_extract_sql_without_the_new_selectors_reads_everything(sync_warehouse, tmp_path):
    shutil.copytree(SQL_DIR, tmp_path / "sql")
    own = tmp_path / "sql" / "extract_period_hours.sql"
    text = own.read_text()
    for name in ("user_ids", "project_ids", "task_ids"):
        text = text.replace(f"or e.{name[:-4]}_id = any(%({name})s::bigint[])", "")
    own.write_text(text)
    old = SyncWarehouse("keeping_warehouse", tmp_path / "sql")
    assert not old.selects_rows_by_user_project_task
    assert routed_hours(old, 2) == [2.0, 3.0]  # nothing lost to the older SQL
