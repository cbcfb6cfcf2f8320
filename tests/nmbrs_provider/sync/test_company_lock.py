"""Two runs of one company and period never interleave: the second waits or fails clearly."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.sync.warehouse import SyncWarehouse, WarehouseLockTimeout

SQL_DIR = Path(__file__).resolve().parents[3] / "include" / "sql"
NOVEMBER = PayrollPeriod.parse("2026-11-M")


@pytest.fixture
def sync_warehouse(warehouse_db, monkeypatch) -> SyncWarehouse:
    monkeypatch.setenv("AIRFLOW_CONN_KEEPING_WAREHOUSE", warehouse_db.airflow_conn_json())
    return SyncWarehouse("keeping_warehouse", SQL_DIR)


def test_a_second_run_waits_for_the_first_and_then_goes_on(sync_warehouse):
    order: list[str] = []
    first_holds = threading.Event()

    def first() -> None:
        with sync_warehouse.company_lock(54613, NOVEMBER):
            order.append("first in")
            first_holds.set()
            time.sleep(3)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    first_holds.wait(10)
    with sync_warehouse.company_lock(54613, NOVEMBER, wait_seconds=30):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


def test_a_second_run_that_waits_too_long_fails_naming_company_and_period(sync_warehouse):
    with (
        sync_warehouse.company_lock(54613, NOVEMBER),
        pytest.raises(WarehouseLockTimeout, match=r"company 54613, period 2026-11-M"),
        sync_warehouse.company_lock(54613, NOVEMBER, wait_seconds=1),
    ):
        pass


def test_other_companies_and_periods_are_not_blocked(sync_warehouse):
    with sync_warehouse.company_lock(54613, NOVEMBER):
        with sync_warehouse.company_lock(54614, NOVEMBER, wait_seconds=1):
            pass
        with sync_warehouse.company_lock(54613, NOVEMBER.next(), wait_seconds=1):
            pass
