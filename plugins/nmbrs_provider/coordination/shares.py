"""How an API user's call budget is split over the tasks that hold a lease on it (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Lease:
    """One task's lease as the database holds it.

    ``claim`` is what the task may still be sending at: its share, or its previous, higher
    share while that is held (one pacing window after it lowered it; a released lease keeps
    its claim that long too). ``active`` is false for a released lease.
    """

    lease_id: int
    calls_per_second: int
    claim: int
    active: bool = True


def budget(leases: Sequence[Lease]) -> int:
    """The account's budget: the lowest ``calls_per_second`` of its active leases."""
    rates = [lease.calls_per_second for lease in leases if lease.active]
    return min(rates) if rates else 0


def fair_share(leases: Sequence[Lease], lease_id: int) -> int:
    """The whole-call share of ``lease_id`` when the budget is split evenly over the active
    leases; the remainder goes to the oldest ones, so the fair shares add up to the budget."""
    active = sorted(lease.lease_id for lease in leases if lease.active)
    if lease_id not in active:
        return 0
    whole, rest = divmod(budget(leases), len(active))
    return whole + (1 if active.index(lease_id) < rest else 0)


def next_share(leases: Sequence[Lease], lease_id: int) -> int:
    """The share ``lease_id`` may pace at from now on: its fair share, but never more than
    what the other leases' claims leave free.

    A newcomer thus starts at what is free (nothing, while the others still send at their
    old shares) and reaches its fair share once they have lowered theirs and held the lower
    one for a window; the claims of all leases never add up to more than the budget.
    """
    others = sum(lease.claim for lease in leases if lease.lease_id != lease_id)
    return max(0, min(fair_share(leases, lease_id), budget(leases) - others))
