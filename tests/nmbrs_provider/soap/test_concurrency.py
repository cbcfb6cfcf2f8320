"""Independent calls run side by side, bounded, in order, and stop at the first failure."""

from __future__ import annotations

import threading
import time

import pytest

from nmbrs_provider.soap.concurrency import run_concurrently


def test_results_come_back_in_the_order_of_the_items():
    assert run_concurrently(lambda x: x * x, range(50), max_workers=8) == [x * x for x in range(50)]


def test_no_more_than_max_workers_are_in_flight():
    in_flight, most = 0, 0
    lock = threading.Lock()

    def call(_: int) -> None:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.005)
        with lock:
            in_flight -= 1

    run_concurrently(call, range(60), max_workers=4)
    assert 1 < most <= 4


def test_the_first_failure_is_raised_and_the_rest_is_not_started():
    started: list[int] = []

    def call(item: int) -> int:
        started.append(item)
        if item == 3:
            raise ValueError("employee 3 refused")
        time.sleep(0.01)
        return item

    with pytest.raises(ValueError, match="employee 3 refused"):
        run_concurrently(call, range(200), max_workers=2)
    assert len(started) < 200


def test_one_worker_runs_in_the_callers_thread():
    threads = run_concurrently(lambda _: threading.current_thread(), range(3), max_workers=1)
    assert set(threads) == {threading.current_thread()}
