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

    def over_limit(self, account: str, limit: int, window: float) -> bool:
        """Record a call; true when ``limit`` calls already arrived within the window."""
        now = time.monotonic()
        with self._lock:
            arrivals = self._arrivals.setdefault(account, deque())
            while arrivals and arrivals[0] <= now - window:
                arrivals.popleft()
            over = len(arrivals) >= limit
            arrivals.append(now)
        return over

    def reset(self) -> None:
        with self._lock:
            self._arrivals.clear()
