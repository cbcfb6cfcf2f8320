"""What Nmbrs says right now, for the Nmbrs page: company names, current periods, permissions.

One ``list_company_periods`` call per connection (not per company), all connections at once,
bounded by :data:`LIVE_TIMEOUT_SECONDS` so the page answers even when Nmbrs does not; answers
are kept for :data:`CACHE_SECONDS`. Every failure becomes a message a user can act on; no
token or password is part of any result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from nmbrs_provider.exceptions import (
    NmbrsAuthenticationError,
    NmbrsConfigurationError,
    NmbrsError,
    NmbrsPermissionError,
    NmbrsTransientError,
)

LIVE_TIMEOUT_SECONDS = 8.0
CACHE_SECONDS = 30.0
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="nmbrs-page")
_cache: dict[str, tuple[float, ConnectionView]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class ConnectionView:
    """A connection as the page shows it: its API user and what Nmbrs reports (or why not)."""

    conn_id: str
    login: str | None = None
    api: str | None = None  # "soap" or "rest": the API of the connection's backend
    companies: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (name, period)
    error: str | None = None


def _hook(conn_id: str) -> Any:
    from nmbrs_provider.backends import backend_for

    return backend_for(conn_id)  # SOAP or REST by the connection's type


def explain(exc: BaseException) -> str:
    """A message for a failed Nmbrs call, naming what to correct."""
    if isinstance(exc, NmbrsTransientError):
        return f"Nmbrs cannot be reached right now: {exc}"
    if isinstance(exc, NmbrsAuthenticationError):
        return f"Nmbrs refused the API user's credentials (fault 1001): {exc}"
    if isinstance(exc, NmbrsPermissionError):
        return f"A permission is missing (fault 1002): {exc}"
    if isinstance(exc, NmbrsConfigurationError):
        return f"The connection is not usable: {exc}"
    if isinstance(exc, NmbrsError):
        return f"Nmbrs refused the call: {exc}"
    return f"Unexpected error ({type(exc).__name__}); see the API server log."


def _fetch(conn_id: str) -> ConnectionView:
    hook = _hook(conn_id)
    api = getattr(hook, "api", None)
    try:
        settings = hook.settings  # the SOAP API user, or the REST app's OAuth client id
        login = getattr(settings, "username", None) or getattr(settings, "client_id", None)
    except Exception as exc:  # shown on the page
        return ConnectionView(conn_id, api=api, error=explain(exc))
    try:
        companies = {
            cp.company.id: (cp.company.name, str(cp.period)) for cp in hook.list_company_periods()
        }
    except Exception as exc:  # shown on the page
        return ConnectionView(conn_id, login, api, error=explain(exc))
    return ConnectionView(conn_id, login, api, companies)


def connections(conn_ids: Iterable[str], *, timeout: float = LIVE_TIMEOUT_SECONDS) -> dict:
    """``conn_id -> ConnectionView`` for every connection, asked in parallel."""
    now = time.monotonic()
    result: dict[str, ConnectionView] = {}
    pending = {}
    for conn_id in dict.fromkeys(conn_ids):
        with _lock:
            cached = _cache.get(conn_id)
        if cached and now - cached[0] < CACHE_SECONDS:
            result[conn_id] = cached[1]
        else:
            pending[conn_id] = _pool.submit(_fetch, conn_id)
    wait(pending.values(), timeout=timeout)
    for conn_id, future in pending.items():
        if future.done():
            view = future.result()
            result[conn_id] = view
            if view.error is None:
                with _lock:
                    _cache[conn_id] = (time.monotonic(), view)
        else:
            result[conn_id] = ConnectionView(
                conn_id, error=f"Nmbrs did not answer within {timeout:.0f} s; reload to try again."
            )
    return result


CHECK_TIMEOUT_SECONDS = 30.0


def _report(conn_id: str) -> tuple[Any | None, str | None]:
    try:
        report = _hook(conn_id).permission_report()
    except Exception as exc:  # shown on the page
        return None, explain(exc)
    if report.unchecked and not report.granted and not report.missing:
        return None, f"Nmbrs cannot be reached right now: {next(iter(report.unchecked.values()))}"
    return report, None


def permission_report(
    conn_id: str, *, timeout: float = CHECK_TIMEOUT_SECONDS
) -> tuple[Any | None, str | None]:
    """The permission report of ``python -m nmbrs_provider check`` (or why there is none)."""
    future = _pool.submit(_report, conn_id)
    wait([future], timeout=timeout)
    if not future.done():
        return None, f"Nmbrs did not answer within {timeout:.0f} s; try again later."
    return future.result()
