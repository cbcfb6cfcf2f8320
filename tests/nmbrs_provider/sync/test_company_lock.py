"""Two runs of one company and period never interleave: the second waits or fails clearly."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.sync.warehouse import SyncWarehouse, WarehouseLockTimeout

SQL_DIR = Path(__file__).resolve().parents[3] / "include" / "sql"
NOVEMBER = PayrollPeriod.parse("2026-11-M")
DEADLINE = 300  # seconds: generous, the tests wait on events, not on the clock


@pytest.fixture
def sync_warehouse(warehouse_db, monkeypatch) -> SyncWarehouse:
    monkeypatch.setenv("AIRFLOW_CONN_KEEPING_WAREHOUSE", warehouse_db.airflow_conn_json())
    return SyncWarehouse("keeping_warehouse", SQL_DIR)


class _Waiting(logging.Handler):
    """Sets ``event`` (and ``seen``) when the lock logs that a run waits for another."""

    def __init__(self) -> None:
        super().__init__()
        self.event = threading.Event()
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        if "is locked by another run; waiting" in record.getMessage():
            self.seen = True
            self.event.set()


def test_a_second_run_waits_for_the_first_and_then_goes_on(sync_warehouse):
    order: list[str] = []
    first_holds = threading.Event()
    waiting = _Waiting()
    logger = logging.getLogger("nmbrs_provider.sync.warehouse")
    level = logger.level
    logger.addHandler(waiting)
    logger.setLevel(logging.INFO)

    def first() -> None:
        with sync_warehouse.company_lock(54613, NOVEMBER):
            order.append("first in")
            first_holds.set()
            # Hold the lock until the second run has seen it taken and waits (or got in).
            waiting.event.wait(DEADLINE)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert first_holds.wait(DEADLINE)
        with sync_warehouse.company_lock(54613, NOVEMBER, wait_seconds=DEADLINE):
            order.append("second in")
            waiting.event.set()  # (without a lock it got here at once: let the first go on)
    finally:
        thread.join(DEADLINE)
        logger.removeHandler(waiting)
        logger.setLevel(level)
    assert waiting.seen, "the second run never waited"
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
