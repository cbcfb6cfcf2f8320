"""The record of every SOAP call a sandbox received."""

from __future__ import annotations

import copy
import threading
from typing import Any


class CallLog:
    """Thread-safe, append-only list of call records (JSON-ready dicts)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []

    def add(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
