"""How an API user's call budget is split over the tasks that hold a lease on it (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Lease:
    """One task's lease as the database holds it.

    ``claim`` bounds what the task may still be sending at: the most calls it can have in any
    pacing window from now on (its share, or more while calls it started at a higher share are
    still in the window; a released lease keeps its claim a window long). ``active`` is false
    for a released lease. ``demand`` is how many calls per window the task would use, from its
    last window (None: as many as it gets, its calls were waiting for the pacer).
    """

    lease_id: int
    calls_per_second: int
    claim: int
    active: bool = True
    demand: int | None = None


def budget(leases: Sequence[Lease]) -> int:
    """The account's budget: the lowest ``calls_per_second`` of its active leases."""
    rates = [lease.calls_per_second for lease in leases if lease.active]
    return min(rates) if rates else 0


def fair_shares(leases: Sequence[Lease]) -> dict[int, int]:
    """The whole-call shares of the active leases, by demand (max-min fair).

    A lease that wants less than an even split gets what it wants; what is left is split
    evenly over the others. When all demands together are less than the budget, the rest is
    spread evenly over every lease, so a task alone gets the whole budget whatever it asked
    for. Remainders go to the oldest leases; the shares add up to the budget.
    """
    total = budget(leases)
    active = sorted((lease for lease in leases if lease.active), key=lambda lease: lease.lease_id)
    wants = {
        lease.lease_id: total if lease.demand is None else max(0, min(total, lease.demand))
        for lease in active
    }
    shares = dict.fromkeys(wants, 0)
    if sum(wants.values()) <= total:
        shares.update(wants)
        _spread(shares, list(wants), total - sum(wants.values()))
        return shares
    left, hungry = total, list(wants)
    while hungry:
        even = left // len(hungry)
        modest = [lease_id for lease_id in hungry if wants[lease_id] <= even]
        if not modest:
            _spread(shares, hungry, left)
            break
        for lease_id in modest:
            shares[lease_id] = wants[lease_id]
            left -= wants[lease_id]
        hungry = [lease_id for lease_id in hungry if lease_id not in modest]
    return shares


def _spread(shares: dict[int, int], lease_ids: list[int], calls: int) -> None:
    """Add ``calls`` evenly to ``lease_ids`` (in age order), the remainder to the oldest."""
    if not lease_ids:
        return
    whole, rest = divmod(calls, len(lease_ids))
    for index, lease_id in enumerate(lease_ids):
        shares[lease_id] += whole + (1 if index < rest else 0)


def fair_share(leases: Sequence[Lease], lease_id: int) -> int:
    """The fair share of ``lease_id`` (:func:`fair_shares`); 0 when it is not active."""
    return fair_shares(leases).get(lease_id, 0)


def next_share(leases: Sequence[Lease], lease_id: int) -> int:
    """The share ``lease_id`` may pace at from now on: its fair share, but never more than
    what the other leases' claims leave free.

    A newcomer thus starts at what is free (nothing, while the others still send at their
    old shares) and reaches its fair share once the calls they sent at their old shares have
    left the window; the claims of all leases never add up to more than the budget.
    """
    others = sum(lease.claim for lease in leases if lease.lease_id != lease_id)
    return max(0, min(fair_share(leases, lease_id), budget(leases) - others))


#: A task that is not held up by its share asks for this many calls per window more than it
#: used in the last one (and a quarter more), so that it can speed up a little between
#: renewals without waiting.
SPARE_CALLS = 2


def demand(recent: int, pressed: bool, share: int, calls_per_second: int) -> int:
    """What a task asks for at a renewal, from its last window.

    ``recent`` is the calls it started in the last window; ``pressed`` whether a call had to
    wait for the share since the last renewal. A task held up by its share asks for twice that
    share (at least 8 calls): its share grows renewal by renewal while the other tasks' shrink,
    so the budget stays in use while it moves. Otherwise it asks for what it used, a quarter
    and ``SPARE_CALLS`` more: a task that reads the warehouse or plans gives the rest back.
    """
    if pressed:
        return min(int(calls_per_second), max(2 * share, recent + 8))
    return min(int(calls_per_second), recent + max(SPARE_CALLS, recent // 4))
