"""How a budget is split: fair, never above the budget, a newcomer only takes what is free."""

from __future__ import annotations

import itertools

from nmbrs_provider.coordination.shares import (
    SPARE_CALLS,
    Lease,
    budget,
    demand,
    fair_share,
    fair_shares,
    next_share,
)


def test_a_task_alone_gets_the_whole_budget():
    assert next_share([Lease(1, 140, 0)], 1) == 140


def test_a_newcomer_takes_only_what_the_others_leave_free():
    # Task 1 still sends at 140: task 2 gets nothing until task 1 has lowered its share.
    leases = [Lease(1, 140, 140), Lease(2, 140, 0)]
    assert next_share(leases, 2) == 0
    assert next_share(leases, 1) == 70  # task 1 lowers to its fair share at its renewal
    lowered = [Lease(1, 140, 70), Lease(2, 140, 0)]
    assert next_share(lowered, 2) == 70


def test_a_lowered_share_still_held_keeps_its_old_claim():
    # Task 1 lowered to 70 a moment ago: its claim is still 140 (calls at the old rate are
    # still in the window), so the newcomer waits.
    assert next_share([Lease(1, 140, 140), Lease(2, 140, 0)], 2) == 0


def test_fair_shares_add_up_to_the_budget_and_remainders_go_to_the_oldest():
    leases = [Lease(i, 140, 0) for i in (5, 9, 12)]
    assert [fair_share(leases, i) for i in (5, 9, 12)] == [47, 47, 46]


def test_released_leases_count_for_their_claim_but_not_for_the_split():
    leases = [Lease(1, 140, 70, active=False), Lease(2, 140, 70)]
    assert fair_share(leases, 2) == 140
    assert next_share(leases, 2) == 70  # the released task's calls are still in the window


def test_the_lowest_rate_of_the_active_leases_is_the_budget():
    assert budget([Lease(1, 140, 0), Lease(2, 100, 0), Lease(3, 40, 0, active=False)]) == 100


def test_claims_never_exceed_the_budget_whatever_the_order_of_renewals():
    # Tasks join, renew in every order and leave; after each step the claims add up to at
    # most the budget.
    for order in itertools.permutations(range(4)):
        claims: dict[int, int] = {}
        for step, task in enumerate(order * 3):
            if step == 6:
                claims.pop(order[0], None)  # one leaves
                continue
            if step >= 6 and task == order[0]:
                continue
            claims.setdefault(task, 0)
            leases = [Lease(t, 140, c) for t, c in claims.items()]
            claims[task] = next_share(leases, task)
            assert sum(claims.values()) <= 140


def test_a_task_that_asks_for_little_leaves_the_rest_to_the_busy_ones():
    reading = Lease(1, 140, 0, demand=4)
    busy = [Lease(2, 140, 0), Lease(3, 140, 0)]
    assert fair_shares([reading, *busy]) == {1: 4, 2: 68, 3: 68}


def test_demands_below_the_budget_get_the_rest_spread_evenly():
    # Nobody is held up: each gets what it asks for and an even part of what is left, so a
    # task alone gets the whole budget whatever it asked for.
    assert fair_shares([Lease(1, 140, 0, demand=10), Lease(2, 140, 0, demand=30)]) == {
        1: 60,
        2: 80,
    }
    assert fair_share([Lease(1, 140, 0, demand=2)], 1) == 140


def test_modest_demands_are_met_before_the_rest_is_split():
    leases = [
        Lease(1, 140, 0, demand=100),
        Lease(2, 140, 0, demand=30),
        Lease(3, 140, 0, demand=None),
        Lease(4, 140, 0, demand=0, active=False),
    ]
    shares = fair_shares(leases)
    assert shares == {1: 55, 2: 30, 3: 55}
    assert sum(shares.values()) == 140


def test_a_held_up_task_asks_for_twice_its_share_and_an_idle_one_for_what_it_used():
    assert demand(recent=35, pressed=True, share=35, calls_per_second=140) == 70
    assert demand(recent=0, pressed=True, share=0, calls_per_second=140) == 8
    assert demand(recent=100, pressed=True, share=100, calls_per_second=140) == 140
    assert demand(recent=40, pressed=False, share=70, calls_per_second=140) == 50
    assert demand(recent=0, pressed=False, share=70, calls_per_second=140) == SPARE_CALLS
