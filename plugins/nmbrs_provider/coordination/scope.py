"""A task's part in the shared call budgets: its leases, their heartbeat, and its pacers.

Inside ``with shared_call_budgets(connect):`` every Nmbrs client the process builds paces with
a :class:`LeasedPacer` on a lease of its API user (``soap.pacing.account_pacer`` asks the
installed factory). The lease is taken when the client is built, which fails at once, with
the reason, when the warehouse cannot be reached; a heartbeat thread renews it every
:data:`RENEW_SECONDS` (reporting the task's demand: the calls it started in the last window,
and whether its calls waited for the share), and leaving the block releases it. A lease whose
pacer has started no
call for :data:`IDLE_SECONDS` is released too (the task is reading the warehouse or
planning), so the API user's other tasks get its share; the pacer's next call takes the same
lease up again while its claim still counts (:func:`leases.resume`), or joins anew. The same
applies to any client of the provider (a REST one too) that gets its pacer from
``account_pacer``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nmbrs_provider.coordination import leases, shares
from nmbrs_provider.coordination.pacer import LeasedPacer
from nmbrs_provider.exceptions import NmbrsTransientError
from nmbrs_provider.soap import pacing

log = logging.getLogger(__name__)

#: How often each lease is renewed (and its share rebalanced); a lease waiting for its first
#: share renews twice as often.
RENEW_SECONDS = 0.25
#: A lease whose task has not called Nmbrs for this long is released (the task is reading the
#: warehouse, say), so the other tasks of its API user get its share; its next call joins again.
IDLE_SECONDS = 1.0


class CoordinationUnavailable(NmbrsTransientError):
    """The warehouse could not be reached to take a share of the call budget."""

    def __init__(self, message: str) -> None:
        super().__init__(message, maybe_applied=False)


def account_key(account: str) -> str:
    """The digest an account (base URL and API user) is stored under."""
    return hashlib.sha256(account.encode("utf-8")).hexdigest()[:24]


def _describe(account: str) -> str:
    url, _, user = account.rpartition("|")
    return f"API user {user} at {url}" if url else "the API user"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


class _AccountLease:
    """One account's lease and its pacer."""

    def __init__(self, account: str, calls_per_second: int) -> None:
        self.key = account_key(account)
        self.calls_per_second = calls_per_second
        self.pacer = LeasedPacer(_describe(account))
        self.lease_id: int | None = None
        #: Released while its pacer dozes (no call for IDLE_SECONDS); resumed on the next call.
        self.released = False

    def apply(self, renewal: leases.Renewal, sent_at: float) -> None:
        self.lease_id = renewal.lease_id
        self.pacer.grant(renewal.share, sent_at + leases.TTL_SECONDS - leases.HOLD_SECONDS)

    def lower_now(self, share: int) -> int:
        """Inside the transaction: a lower share applies before the database hears of it.
        Returns the calls started in the last window (they still count, whatever the share)."""
        if share < self.pacer.share:
            self.pacer.grant(share, self.pacer_deadline())
        return self.pacer.recent_starts()

    def demand(self) -> int:
        """The calls per window this task asks for at this renewal (from its last window)."""
        recent, pressed = self.pacer.usage()
        return shares.demand(recent, pressed, self.pacer.share, self.calls_per_second)

    def pacer_deadline(self) -> float:
        return self.pacer._deadline


class BudgetCoordinator:
    """The leases of one task process, renewed by one heartbeat thread over one connection.

    :param connect: returns a new DB-API connection to the warehouse (psycopg2).
    :param holder: what the lease rows name as their holder (host, process, task).
    """

    def __init__(self, connect: Callable[[], Any], holder: str) -> None:
        self._connect = connect
        self.holder = holder
        self._conn: Any = None
        self._db = threading.Lock()
        self._accounts: dict[tuple[str, int], _AccountLease] = {}
        self._stop = threading.Event()
        self._poke = threading.Event()  # wakes the heartbeat early (stop, or a dozing pacer)
        self._thread: threading.Thread | None = None
        self._failing: str | None = None

    # -- the pacer factory ----------------------------------------------------------------
    def pacer(self, account: str, calls_per_second: float) -> LeasedPacer:
        """The pacer of ``account``, joining its budget on first use (raises when the
        warehouse cannot be reached: the task must not call Nmbrs unpaced)."""
        rate = max(1, int(calls_per_second))
        with self._db:
            entry = self._accounts.get((account, rate))
            if entry is None:
                entry = _AccountLease(account, rate)
                try:
                    self._renew(entry)
                except Exception as exc:
                    self._close_conn()
                    raise CoordinationUnavailable(
                        f"Could not take a share of the Nmbrs call budget of {entry.pacer.describe}"
                        f" in the warehouse ({_short(exc)}). Nmbrs calls are paced across "
                        "workers through the warehouse and are never sent unpaced: check the "
                        "warehouse connection; Airflow retries the task."
                    ) from None
                entry.pacer.on_wake = functools.partial(self._wake, entry)
                self._accounts[(account, rate)] = entry
        self._start_heartbeat()
        return entry.pacer

    def _wake(self, entry: _AccountLease) -> None:
        """A call of a dozing pacer: have the heartbeat join again right away."""
        entry.pacer.wake_deadline(time.monotonic() + leases.TTL_SECONDS)
        self._poke.set()

    # -- database -------------------------------------------------------------------------
    def _db_conn(self) -> Any:
        if self._conn is None:
            conn = self._connect()
            conn.autocommit = False
            with conn, conn.cursor() as cursor:
                cursor.execute("set statement_timeout = 3000; set lock_timeout = 2000")
            leases.apply_schema(conn)
            self._conn = conn
        return self._conn

    def _close_conn(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a broken connection is dropped anyway
                self._conn.close()
            self._conn = None

    def _renew(self, entry: _AccountLease) -> None:
        sent_at = time.monotonic()
        if entry.released and entry.pacer.dozing:
            return  # released while idle: nothing to renew until the task calls again
        conn = self._db_conn()
        demand = entry.demand()
        if entry.released:  # the task calls again: resume the lease while it still counts
            entry.released = False
            try:
                renewal = leases.resume(conn, entry.key, entry.lease_id, entry.lower_now, demand)
            except leases.LeaseLost:
                entry.lease_id = None
            else:
                entry.apply(renewal, sent_at)
                return
        elif entry.lease_id is not None and entry.pacer.doze(IDLE_SECONDS):
            # Its calls of the last window still count for HOLD_SECONDS.
            leases.release(conn, entry.lease_id, entry.pacer.recent_starts())
            entry.released = True
            return
        if entry.lease_id is not None:
            try:
                renewal = leases.renew(conn, entry.key, entry.lease_id, entry.lower_now, demand)
            except leases.LeaseLost:
                entry.pacer.revoke("its lease expired before it could be renewed")
                entry.lease_id = None
        if entry.lease_id is None:
            renewal = leases.join(
                conn, entry.key, self.holder, entry.calls_per_second, entry.lower_now, demand
            )
        entry.apply(renewal, sent_at)

    # -- heartbeat ------------------------------------------------------------------------
    def _start_heartbeat(self) -> None:
        with self._db:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._beat, name="nmbrs-call-budget", daemon=True
                )
                self._thread.start()

    def _beat(self) -> None:
        while True:
            entries = list(self._accounts.values())
            waiting = any(e.pacer.share == 0 and not e.pacer.dozing for e in entries)
            self._poke.wait(RENEW_SECONDS / 2 if waiting else RENEW_SECONDS)
            self._poke.clear()
            if self._stop.is_set():
                return
            with self._db:
                if self._stop.is_set():
                    return
                for entry in list(self._accounts.values()):
                    try:
                        self._renew(entry)
                    except Exception as exc:
                        self._close_conn()
                        reason = f"the warehouse did not renew it: {_short(exc)}"
                        entry.pacer.lapse_reason(reason)
                        if self._failing != reason:
                            log.warning("Nmbrs call budget: %s", reason)
                        self._failing = reason
                        break
                else:
                    if self._failing is not None:
                        log.info("Nmbrs call budget: the warehouse answers again")
                    self._failing = None

    def close(self) -> None:
        """Stop the heartbeat and release every lease."""
        self._stop.set()
        self._poke.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._db:
            for entry in self._accounts.values():
                entry.pacer.revoke("the task released it")
                if entry.lease_id is not None and not entry.released and self._conn is not None:
                    try:
                        leases.release(self._conn, entry.lease_id, entry.pacer.recent_starts())
                    except Exception as exc:
                        log.warning("Nmbrs call budget: release failed (%s)", _short(exc))
            self._close_conn()


def default_holder(task: str = "") -> str:
    """``host:pid`` plus the task, for the lease rows."""
    return f"{socket.gethostname()}:{os.getpid()} {task}".strip()


@contextmanager
def shared_call_budgets(
    connect: Callable[[], Any], holder: str = ""
) -> Iterator[BudgetCoordinator]:
    """Pace every Nmbrs client built inside the block on a lease in the warehouse."""
    coordinator = BudgetCoordinator(connect, holder or default_holder())
    with pacing.pacer_factory(coordinator.pacer):
        try:
            yield coordinator
        finally:
            coordinator.close()
