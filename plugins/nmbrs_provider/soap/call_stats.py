"""What one SOAP client did: calls sent per operation, retries, and waits for a call slot."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class CallStats:
    """Counters of one :class:`~nmbrs_provider.soap.client.NmbrsSoapClient`, thread-safe.

    ``calls`` and ``retries`` are keyed by ``(service, operation)``: every attempt sent
    counts as a call, every attempt after a transient failure also as a retry. A throttle
    wait is a call that had to wait for its slot under the account's ``calls_per_second``.
    """

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    retries: Counter[tuple[str, str]] = field(default_factory=Counter)
    throttle_waits: int = 0
    throttle_wait_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def sent(self, service: str, operation: str) -> None:
        """Count one attempt of ``service.operation``."""
        with self._lock:
            self.calls[(service, operation)] += 1

    def retried(self, service: str, operation: str) -> None:
        """Count one retry of ``service.operation`` (a transient failure, tried again)."""
        with self._lock:
            self.retries[(service, operation)] += 1

    def waited(self, seconds: float) -> None:
        """Count a wait for a call slot (nothing when the call did not wait)."""
        if seconds > 0:
            with self._lock:
                self.throttle_waits += 1
                self.throttle_wait_seconds += seconds

    @property
    def total_calls(self) -> int:
        """Attempts sent, all operations together."""
        with self._lock:
            return sum(self.calls.values())
