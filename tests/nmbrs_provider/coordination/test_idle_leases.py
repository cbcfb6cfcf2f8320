"""A task that is not calling Nmbrs (reading the warehouse, planning) holds no share.

Its lease is released after ``IDLE_SECONDS`` without a call, so the API user's other tasks get
the whole budget; its next call takes the lease up again. Real PostgreSQL, real processes.
"""

from __future__ import annotations

import time

import psycopg2

from nmbrs_provider.coordination import leases, scope, shares
from nmbrs_provider.coordination.scope import shared_call_budgets
from tests.nmbrs_provider.coordination.test_budget_across_processes import (
    ACCOUNT_A,
    Worker,
    busiest_second,
    connect_kwargs,  # noqa: F401 - the fixture
)


def _wait_until(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_an_idle_task_gives_its_share_to_the_busy_one_and_gets_one_back(connect_kwargs):  # noqa: F811
    budget = 40
    busy = Worker(connect_kwargs, ACCOUNT_A, budget, -1)
    try:
        busy.wait_for("joined")
        busy.wait_for_share(budget)
        with shared_call_budgets(lambda: psycopg2.connect(**connect_kwargs), "idle task"):
            from nmbrs_provider.soap.pacing import account_pacer

            # It joins asking only for a couple of calls, as a task that has not called yet:
            # the busy one keeps the rest.
            idle = account_pacer(ACCOUNT_A, budget)
            joined_at = time.monotonic()
            busy.wait_for_share(budget - shares.SPARE_CALLS, after=joined_at - 1)
            # The idle task sends nothing: within seconds the busy one has the whole budget,
            # although the idle one's task is still running.
            regained = busy.wait_for_share(budget, timeout=30, after=joined_at)
            assert regained - joined_at <= scope.IDLE_SECONDS + leases.HOLD_SECONDS + 5
            assert idle.share == 0
            # Its next calls take a share again, growing until the two split the budget; they
            # stay under it together.
            woke_at = time.monotonic()
            mine = []
            while time.monotonic() < woke_at + 4:
                idle.wait()
                mine.append(time.monotonic())
            assert idle.share > 0
            assert busy.wait_for_share(budget // 2, after=woke_at)
        assert busiest_second(mine + busy.calls) <= budget
    finally:
        busy.kill()


def test_a_task_alone_resumes_the_whole_budget_at_once_after_a_pause(connect_kwargs):  # noqa: F811
    budget = 40
    with shared_call_budgets(lambda: psycopg2.connect(**connect_kwargs), "pausing task") as c:
        from nmbrs_provider.soap.pacing import account_pacer

        pacer = account_pacer(ACCOUNT_A, budget)
        for _ in range(20):
            pacer.wait()
        (entry,) = c._accounts.values()
        before = entry.lease_id
        _wait_until(lambda: pacer.dozing)  # released after a second without calls
        # Its own released lease still counts for HOLD_SECONDS; taking that same lease up
        # again (not a new one, which the old claim would hold at 0) costs no pause.
        waited = pacer.wait()
        assert waited < leases.HOLD_SECONDS * 0.7
        assert pacer.share == budget
        assert entry.lease_id == before
