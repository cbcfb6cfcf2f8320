"""The warehouse side of the call budget: join, renew and release leases in one transaction each.

Every statement of an API user's leases runs under the row lock of its
``nmbrs_sync.call_budget_accounts`` row, so the shares computed from the leases
(:mod:`nmbrs_provider.coordination.shares`) never add up to more than the budget. Times are the
database's (``now()``, ``clock_timestamp()``), so the workers' clocks need not agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nmbrs_provider.coordination.shares import Lease, next_share

SCHEMA_SQL = Path(__file__).resolve().parents[1] / "sql" / "call_budget_schema.sql"

#: A lease not renewed for this long is dead: its share returns to the others. Its task stops
#: calling ``HOLD_SECONDS`` earlier, so a busy machine may miss a few renewals in a row.
TTL_SECONDS = 6.0
#: How long a released lease still counts at the claim it was released with: one pacing window
#: plus a margin, so the calls its task sent have left every window.
HOLD_SECONDS = 1.35

_LOCK = """
insert into nmbrs_sync.call_budget_accounts (account) values (%(account)s)
    on conflict do nothing;
select account from nmbrs_sync.call_budget_accounts where account = %(account)s for update;
"""
# ``claim`` is what the lease's task wrote at its last renewal: the most calls it can have in
# any window from then on. Rows written before that column (a worker of an older version)
# hold their previous share for HOLD_SECONDS after lowering it, as that version did.
_LIVE = """
select lease_id, calls_per_second, share,
       coalesce(claim,
                case when lowered_at + make_interval(secs => %(hold)s) > now()
                     then greatest(share, previous_share) else share end) as claim,
       not released as active, demand
  from nmbrs_sync.call_budget_leases
 where account = %(account)s and expires_at > now()
 order by lease_id
"""
_JOIN = """
delete from nmbrs_sync.call_budget_leases
 where account = %(account)s and expires_at < now() - interval '10 minutes';
insert into nmbrs_sync.call_budget_leases
       (account, holder, calls_per_second, claim, demand, expires_at)
values (%(account)s, %(holder)s, %(calls_per_second)s, 0, %(demand)s,
        now() + make_interval(secs => %(ttl)s))
returning lease_id
"""
# previous_share and lowered_at are still written for workers of an older version.
_UPDATE = """
update nmbrs_sync.call_budget_leases
   set share = %(share)s, claim = %(claim)s, demand = %(demand)s,
       expires_at = now() + make_interval(secs => %(ttl)s),
       previous_share = case when %(lowered)s then %(old_claim)s else previous_share end,
       lowered_at = case when %(lowered)s then clock_timestamp() else lowered_at end
 where lease_id = %(lease_id)s
"""
_RELEASE = """
update nmbrs_sync.call_budget_leases
   set previous_share = greatest(share, previous_share), share = 0, released = true,
       claim = %(recent)s, demand = 0, lowered_at = clock_timestamp(),
       expires_at = least(expires_at, clock_timestamp() + make_interval(secs => %(hold)s))
 where lease_id = %(lease_id)s and expires_at > now()
"""
_RESUME = """
update nmbrs_sync.call_budget_leases
   set released = false, expires_at = now() + make_interval(secs => %(ttl)s)
 where lease_id = %(lease_id)s and expires_at > now()
returning lease_id
"""


class LeaseLost(RuntimeError):
    """The lease expired in the database (not renewed in time): join again."""


@dataclass(frozen=True)
class Renewal:
    """What a join or renewal decided: the lease and its share from now on."""

    lease_id: int
    share: int


def apply_schema(conn: Any) -> None:
    """Create the lease tables when missing (one transaction)."""
    with conn, conn.cursor() as cursor:
        cursor.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


#: ``before_commit(share)`` runs inside a join's or renewal's transaction, before anyone else
#: can see the new share: the caller lowers its pacer there and returns how many calls it
#: started in the last pacing window (the lease's claim is the larger of the two).
BeforeCommit = Callable[[int], int]


def join(
    conn: Any,
    account: str,
    holder: str,
    calls_per_second: int,
    before_commit: BeforeCommit,
    demand: int | None = None,
) -> Renewal:
    """Insert a lease for ``account`` and take the share that is free for it.

    The caller raises its pacer to the share after this returns.
    """
    params = {"account": account, "holder": holder[:200], "ttl": TTL_SECONDS, "demand": demand}
    with conn, conn.cursor() as cursor:
        cursor.execute(_LOCK, params)
        cursor.execute(_JOIN, {**params, "calls_per_second": int(calls_per_second)})
        lease_id = cursor.fetchone()[0]
        return _decide(cursor, account, lease_id, before_commit, demand)


def renew(
    conn: Any,
    account: str,
    lease_id: int,
    before_commit: BeforeCommit,
    demand: int | None = None,
) -> Renewal:
    """Extend the lease, record the task's ``demand`` (calls per window it would use; None:
    all it gets) and move its share towards the fair one (one transaction, two round trips:
    the account's row lock is held as briefly as possible).

    Raises :class:`LeaseLost` when the lease has expired meanwhile.
    """
    with conn, conn.cursor() as cursor:
        return _decide(cursor, account, lease_id, before_commit, demand, lock=True)


def resume(
    conn: Any,
    account: str,
    lease_id: int,
    before_commit: BeforeCommit,
    demand: int | None = None,
) -> Renewal:
    """Take a released lease up again while it still counts (its task's pacer went idle and
    now calls again): its own held claim does not stand in its way, as a new lease's would.

    Raises :class:`LeaseLost` when it no longer counts (then :func:`join` anew).
    """
    with conn, conn.cursor() as cursor:
        cursor.execute(_LOCK, {"account": account})
        cursor.execute(_RESUME, {"lease_id": lease_id, "ttl": TTL_SECONDS})
        if cursor.fetchone() is None:
            raise LeaseLost(f"lease {lease_id} expired")
        return _decide(cursor, account, lease_id, before_commit, demand)


def release(conn: Any, lease_id: int, recent: int) -> None:
    """Give the share back; the ``recent`` calls its task started in the last pacing window
    still count for :data:`HOLD_SECONDS`."""
    with conn, conn.cursor() as cursor:
        cursor.execute(
            _RELEASE, {"lease_id": lease_id, "hold": HOLD_SECONDS, "recent": max(0, recent)}
        )


def _decide(
    cursor: Any,
    account: str,
    lease_id: int,
    before_commit: BeforeCommit,
    demand: int | None,
    *,
    lock: bool = False,
) -> Renewal:
    cursor.execute((_LOCK if lock else "") + _LIVE, {"account": account, "hold": HOLD_SECONDS})
    rows = cursor.fetchall()
    leases = [
        Lease(int(i), int(cps), int(claim), bool(active), None if want is None else int(want))
        for i, cps, _, claim, active, want in rows
    ]
    mine = next((lease for lease in leases if lease.lease_id == lease_id), None)
    if mine is None or not mine.active:
        raise LeaseLost(f"lease {lease_id} expired")
    leases = [dataclasses.replace(mine, demand=demand) if lease is mine else lease
              for lease in leases]  # fmt: skip
    current = next(int(share) for i, _, share, _, _, _ in rows if i == lease_id)
    share = next_share(leases, lease_id)
    recent = int(before_commit(share))
    cursor.execute(
        _UPDATE,
        {
            "lease_id": lease_id,
            "share": share,
            "claim": max(share, recent),
            "demand": demand,
            "ttl": TTL_SECONDS,
            "lowered": share < current,
            "old_claim": mine.claim,
        },
    )
    return Renewal(lease_id, share)
