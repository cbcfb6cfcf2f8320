"""Nmbrs' per-account throttle: past ``limit`` calls in a sliding window, calls are delayed."""

from __future__ import annotations

import bisect
import threading
import time


class Throttle:
    """Counts call arrivals per account in a sliding window of ``window`` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrivals: dict[str, list[float]] = {}  # per account, sorted

    def over_limit(
        self, account: str, limit: int, window: float, arrived: float | None = None
    ) -> bool:
        """Record a call that ``arrived`` (monotonic seconds; default now); true when ``limit``
        calls already arrived within the window before it."""
        now = time.monotonic() if arrived is None else arrived
        with self._lock:
            arrivals = self._arrivals.setdefault(account, [])
            del arrivals[: bisect.bisect_right(arrivals, now - window)]
            # Calls are counted in arrival order; one handled late still counts when it came.
            over = bisect.bisect_right(arrivals, now) >= limit
            bisect.insort(arrivals, now)
        return over

    def reset(self) -> None:
        with self._lock:
            self._arrivals.clear()
