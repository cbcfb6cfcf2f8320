"""One call budget per API user across processes, coordinated through a real PostgreSQL.

Each worker is a separate process (as a company task on another machine would be) that paces
on a lease in the warehouse; the tests merge the call times they report (the machine's
monotonic clock, shared by its processes) and count every one-second window.
"""

from __future__ import annotations

import bisect
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import pytest

from nmbrs_provider.coordination import leases
from nmbrs_provider.coordination.scope import CoordinationUnavailable, shared_call_budgets
from nmbrs_provider.exceptions import NmbrsTransientError

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT_A = "http://127.0.0.1:1|a@example.com"
ACCOUNT_B = "http://127.0.0.1:1|b@example.com"


def busiest_second(times: list[float]) -> int:
    """The most calls that started in any window [t, t + 1)."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


class Worker:
    """A budget_worker process and the lines it printed."""

    def __init__(self, connect_kwargs: dict, account: str, rate: float, seconds: float) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.nmbrs_provider.coordination.budget_worker",
             json.dumps(connect_kwargs), account, str(rate), str(seconds)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        self.calls: list[float] = []
        self.shares: list[tuple[int, float]] = []
        self.events: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            kind, *rest = line.split()
            if kind == "call":
                self.calls.append(float(rest[0]))
            elif kind == "share":
                self.shares.append((int(rest[0]), float(rest[1])))
            self.events.put(kind)

    def wait_for(self, kind: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.events.get(timeout=max(0.0, deadline - time.monotonic())) == kind:
                    return
            except queue.Empty:
                raise AssertionError(f"no {kind!r} from the worker: {self.stderr()}") from None

    def wait_for_share(self, share: int, timeout: float = 60, after: float = 0.0) -> float:
        """Block until the worker reports ``share`` (changed to after ``after``); return when."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for value, at in list(self.shares):
                if value == share and at >= after:
                    return at
            time.sleep(0.05)
        raise AssertionError(f"share never reached {share}: {self.shares}")

    def finish(self, timeout: float = 60) -> None:
        assert self.proc.wait(timeout=timeout) == 0, self.stderr()
        self._reader.join(timeout=10)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        return (self.proc.stderr.read() if self.proc.stderr else "")[-3000:]


@pytest.fixture
def connect_kwargs(warehouse_db) -> dict:
    return warehouse_db.connect_kwargs()


def test_workers_joining_and_leaving_stay_under_the_budget_in_every_second(connect_kwargs):
    budget = 40
    first = Worker(connect_kwargs, ACCOUNT_A, budget, 8)
    first.wait_for("joined")
    first.wait_for_share(budget)  # alone: the whole budget
    joiners = []
    for seconds in (4, 3, 2):  # three more join one after another while the first one sends
        time.sleep(0.7)
        joiners.append(Worker(connect_kwargs, ACCOUNT_A, budget, seconds))
    for worker in (first, *joiners):
        worker.finish()
    calls = [t for w in (first, *joiners) for t in w.calls]
    assert busiest_second(calls) <= budget
    assert all(w.calls for w in joiners)  # every newcomer got a share
    # Once the others have left, the first one is back at the whole budget.
    assert first.shares[-1][0] == budget


def test_a_task_alone_uses_the_whole_budget(connect_kwargs):
    worker = Worker(connect_kwargs, ACCOUNT_A, 50, 3)
    worker.finish()
    rate = (len(worker.calls) - 1) / (worker.calls[-1] - worker.calls[0])
    assert worker.shares[0][0] == 50  # the whole budget at once
    assert busiest_second(worker.calls) <= 50
    # Paced at 50 per pacing window (a little over a second, for arrival jitter).
    assert rate >= 0.85 * 50


def test_a_killed_task_gives_its_share_back_within_seconds(connect_kwargs):
    budget = 40
    survivor = Worker(connect_kwargs, ACCOUNT_A, budget, -1)
    survivor.wait_for("joined")
    doomed = Worker(connect_kwargs, ACCOUNT_A, budget, -1)
    doomed.wait_for("joined")
    survivor.wait_for_share(budget // 2)
    doomed.wait_for("call")
    doomed.kill()  # SIGKILL: no release, its lease just stops being renewed
    killed_at = time.monotonic()
    try:
        regained = survivor.wait_for_share(budget, timeout=30, after=killed_at)
        assert regained - killed_at <= leases.TTL_SECONDS + 4.0
        assert regained - killed_at >= leases.TTL_SECONDS - 1.0  # held until it expired
    finally:
        survivor.kill()
    # Before and after: never over the budget, also while the dead lease was still counted.
    assert busiest_second(survivor.calls + doomed.calls) <= budget


def test_two_api_users_each_get_their_own_budget(connect_kwargs):
    workers = [
        Worker(connect_kwargs, account, rate, 4)
        for account, rate in ((ACCOUNT_A, 20), (ACCOUNT_A, 20), (ACCOUNT_B, 60), (ACCOUNT_B, 60))
    ]
    for worker in workers:
        worker.finish()
    for pair, budget in ((workers[:2], 20), (workers[2:], 60)):
        calls = sorted(t for w in pair for t in w.calls)
        assert busiest_second(calls) <= budget
        # Account A's tasks do not slow account B's: each account runs near its own budget.
        middle = [t for t in calls if calls[0] + 1.5 <= t < calls[0] + 2.5]
        assert len(middle) >= 0.8 * budget


def test_an_unreachable_warehouse_fails_the_task_before_any_call():
    dead = {"host": "127.0.0.1", "port": 9, "dbname": "warehouse", "user": "nobody"}
    with shared_call_budgets(lambda: psycopg2.connect(**dead, connect_timeout=2)):
        from nmbrs_provider.soap.pacing import account_pacer

        with pytest.raises(CoordinationUnavailable, match="never sent unpaced") as caught:
            account_pacer(ACCOUNT_A, 40)
    assert isinstance(caught.value, NmbrsTransientError)  # Airflow retries the task
    assert "a@example.com" in str(caught.value) and "OperationalError" in str(caught.value)


def test_a_warehouse_that_stops_answering_stops_the_calls(connect_kwargs, warehouse_db):
    with shared_call_budgets(lambda: psycopg2.connect(**connect_kwargs)):
        from nmbrs_provider.coordination.scope import account_key
        from nmbrs_provider.soap.pacing import account_pacer

        pacer = account_pacer(ACCOUNT_A, 40)
        pacer.wait()
        # Another session holds the account's row: no renewal gets through any more.
        blocker = psycopg2.connect(**connect_kwargs)
        try:
            with blocker.cursor() as cursor:
                cursor.execute(
                    "select 1 from nmbrs_sync.call_budget_accounts where account = %s for update",
                    (account_key(ACCOUNT_A),),
                )
            blocked_at = time.monotonic()
            last_call = blocked_at
            with pytest.raises(NmbrsTransientError, match=r"lapsed .*did not renew") as caught:
                while time.monotonic() < blocked_at + 30:
                    pacer.wait()
                    last_call = time.monotonic()
            # No call after the lease could have expired for the others.
            assert last_call <= blocked_at + leases.TTL_SECONDS - leases.HOLD_SECONDS
            assert caught.value.maybe_applied is False
        finally:
            blocker.rollback()
            blocker.close()
        # Once the warehouse answers again, the task joins anew and goes on.
        deadline = time.monotonic() + 30
        while True:
            try:
                pacer.wait()
                break
            except NmbrsTransientError:
                assert time.monotonic() < deadline, "never recovered"
                time.sleep(0.2)
