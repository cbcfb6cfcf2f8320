"""Client-side pacing: never send faster than the account's call budget allows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


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

    def wait(self) -> float:
        """Block until this call's slot; return the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay
