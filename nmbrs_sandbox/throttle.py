"""Nmbrs' per-account throttle: past ``limit`` calls in a sliding window, calls are delayed."""

from __future__ import annotations

import threading
import time
from collections import deque


class Throttle:
    """Counts call arrivals per account in a sliding window of ``window`` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrivals: dict[str, deque[float]] = {}

    def over_limit(
        self, account: str, limit: int, window: float, arrived: float | None = None
    ) -> bool:
        """Record a call that ``arrived`` (monotonic seconds; default now); true when ``limit``
        calls already arrived within the window before it."""
        now = time.monotonic() if arrived is None else arrived
        with self._lock:
            arrivals = self._arrivals.setdefault(account, deque())
            while arrivals and arrivals[0] <= now - window:
                arrivals.popleft()
            # Calls are counted in arrival order; one handled late still counts when it came.
            over = sum(1 for t in arrivals if t <= now) >= limit
            arrivals.append(now)
            if len(arrivals) > 1 and arrivals[-2] > now:
                arrivals = self._arrivals[account] = deque(sorted(arrivals))
        return over

    def reset(self) -> None:
        with self._lock:
            self._arrivals.clear()
