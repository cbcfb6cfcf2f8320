"""The record of every SOAP call a sandbox received."""

from __future__ import annotations

import copy
import threading
from datetime import datetime, timezone
from typing import Any


def call_record(arrived_at: float, service: str, **fields: Any) -> dict[str, Any]:
    """A new record of one call that arrived at ``arrived_at`` (wall-clock seconds), every
    outcome still unset; ``fields`` (REST's method, path, client id) follow ``operation``."""
    return {
        "time": datetime.fromtimestamp(arrived_at, timezone.utc).isoformat(timespec="milliseconds"),
        "service": service,
        "operation": None,
        **fields,
        "username": None,
        "company_id": None,
        "employee_ids": [],
        "fault_code": None,
        "fault": None,
        "http_status": None,
        "injected": None,
        "throttled": False,
        "duration_ms": None,
    }


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
