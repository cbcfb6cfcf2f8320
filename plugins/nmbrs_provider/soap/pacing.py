"""Client-side pacing: never send faster than the account's call budget allows."""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


class CallPacer:
    """Spaces the starts of calls at least ``1 / calls_per_second`` apart, across threads.

    Nmbrs counts calls per account and delays every call past about 150 per second by half a
    second; a pacer below that rate keeps a burst of concurrent calls from ever reaching it.
    Strict spacing (no burst allowance) means any one-second window holds at most
    ``calls_per_second + 1`` call starts.
    """

    def __init__(
        self,
        calls_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not calls_per_second > 0:
            raise ValueError(f"calls_per_second must be positive, got {calls_per_second!r}")
        self.calls_per_second = calls_per_second
        self._interval = 1.0 / calls_per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")

    #: A call that got its slot but could only go this much later (its thread was held up, say
    #: by another thread holding the GIL) takes a new slot instead: late calls sent together
    #: would arrive as a burst.
    late_tolerance = 0.02

    def wait(self) -> float:
        """Block until this call's slot; return the seconds waited."""
        waited = 0.0
        while True:
            slot, now = self._reserve()
            if slot > now:
                self._sleep(slot - now)
            waited += max(0.0, slot - now)
            if self._clock() - slot <= self.late_tolerance:
                return waited

    def _reserve(self) -> tuple[float, float]:
        """Take the next free slot; return it and the time it was taken at."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        return slot, now


#: A stored next slot further ahead than this is stale (a reboot resets the monotonic clock).
_STALE_AHEAD_SECONDS = 60.0
_PATH_LOCKS: dict[str, threading.Lock] = {}
_PATH_LOCKS_GUARD = threading.Lock()
_ACCOUNT_PACERS: dict[tuple[str, float], CallPacer] = {}
#: Set by :func:`pacer_factory`: who paces the accounts of this process instead of the file.
_FACTORY: list[Callable[[str, float], CallPacer]] = []


class SharedCallPacer(CallPacer):
    """A :class:`CallPacer` whose next free slot lives in a small file, locked with ``flock``.

    Every process of the machine that paces the same account (Airflow runs each company's task
    in its own process) shares one budget: a task alone may use all of it, several tasks
    together never exceed it. The file holds one float, the next free slot on the system-wide
    monotonic clock; nothing else.
    """

    def __init__(
        self,
        calls_per_second: float,
        path: Path,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(calls_per_second, clock=clock, sleep=sleep)
        import fcntl  # POSIX only; callers fall back to CallPacer elsewhere

        self._flock = fcntl.flock
        self._exclusive, self._unlock = fcntl.LOCK_EX, fcntl.LOCK_UN
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        with _PATH_LOCKS_GUARD:
            self._lock = _PATH_LOCKS.setdefault(str(path), threading.Lock())

    def _reserve(self) -> tuple[float, float]:
        with self._lock:  # flock does not exclude threads sharing one process
            self._flock(self._fd, self._exclusive)
            try:
                raw = os.pread(self._fd, 8, 0)
                now = self._clock()
                stored = struct.unpack("d", raw)[0] if len(raw) == 8 else float("-inf")
                if not stored < now + _STALE_AHEAD_SECONDS:  # also catches NaN
                    stored = float("-inf")
                slot = max(now, stored)
                os.pwrite(self._fd, struct.pack("d", slot + self._interval), 0)
            finally:
                self._flock(self._fd, self._unlock)
        return slot, now

    def close(self) -> None:
        """Close the state file."""
        os.close(self._fd)


@contextmanager
def pacer_factory(factory: Callable[[str, float], CallPacer]) -> Iterator[None]:
    """Inside the block, :func:`account_pacer` returns ``factory(account, calls_per_second)``
    (the budget shared across machines, :mod:`nmbrs_provider.coordination`)."""
    with _PATH_LOCKS_GUARD:
        _FACTORY.append(factory)
    try:
        yield
    finally:
        with _PATH_LOCKS_GUARD:
            _FACTORY.remove(factory)


def account_pacer(account: str, calls_per_second: float) -> CallPacer:
    """The pacer of ``account`` (base URL and API user).

    Inside :func:`pacer_factory`, the factory's (one budget across machines); else the
    machine's, shared by its processes through a lock file, or where file locks are not
    available a pacer of this process alone.
    """
    with _PATH_LOCKS_GUARD:
        factory = _FACTORY[-1] if _FACTORY else None
    if factory is not None:
        return factory(account, calls_per_second)
    digest = hashlib.sha256(account.encode("utf-8")).hexdigest()[:24]
    user = getattr(os, "getuid", lambda: "user")()
    path = Path(tempfile.gettempdir()) / f"airflow-provider-nmbrs-{user}" / f"pace-{digest}"
    with _PATH_LOCKS_GUARD:
        cached = _ACCOUNT_PACERS.get((str(path), calls_per_second))
    if cached is not None:
        return cached
    try:
        pacer: CallPacer = SharedCallPacer(calls_per_second, path)
    except (ImportError, OSError) as exc:
        log.warning("Pacing Nmbrs calls in this process only (%s)", type(exc).__name__)
        pacer = CallPacer(calls_per_second)
    with _PATH_LOCKS_GUARD:
        return _ACCOUNT_PACERS.setdefault((str(path), calls_per_second), pacer)
