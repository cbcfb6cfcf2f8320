"""Run-time knobs (latency, faults, throttle) and the choice of which call fails how."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

FAULT_KINDS = (
    "http_503",  # HTTP 503 before the call is processed
    "http_503_after_apply",  # the call is applied, then the answer is replaced by a 503
    "reset",  # the connection is reset before the call is processed
    "timeout",  # no answer for timeout_seconds, then the connection closes; nothing applied
    "timeout_after_apply",  # applied, then the answer is held back for timeout_seconds
    "fault_1006",  # SOAP fault 1006 Login security failure
)
# Kinds only for targeted injection, never drawn at random.
HELD_KINDS = ("hold",)  # held before applying until released or the sandbox stops; then dropped


@dataclass(frozen=True)
class Knobs:
    """Sandbox behaviour that can change while it runs."""

    latency_ms: float = 0.0
    fault_rate: float = 0.0
    fault_seed: int | None = None
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    timeout_seconds: float = 30.0
    throttle_limit: int = 150  # calls per window and account; 0 turns the throttle off
    throttle_window_s: float = 1.0
    throttle_delay_s: float = 0.5
    # REST: past rest_throttle_limit calls per user in the window, 429 with Retry-After.
    rest_throttle_limit: int = 150  # 0 turns the REST throttle off
    rest_throttle_window_s: float = 1.0
    rest_retry_after_s: int = 1
    access_token_lifetime_s: float = 3600.0
    refresh_token_lifetime_s: float = 30 * 24 * 3600.0
    subscription_key: str | None = None  # when set, /api calls need this X-Subscription-Key

    def updated(self, **changes: Any) -> Knobs:
        """A copy with ``changes`` applied; unknown names or bad values raise ValueError."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"unknown knobs: {unknown}")
        if "fault_kinds" in changes:
            changes["fault_kinds"] = _kinds(changes["fault_kinds"])
        knobs = dataclasses.replace(self, **changes)
        if not 0.0 <= knobs.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        numbers = (
            knobs.latency_ms,
            knobs.timeout_seconds,
            knobs.throttle_limit,
            knobs.throttle_window_s,
            knobs.throttle_delay_s,
            knobs.rest_throttle_limit,
            knobs.rest_throttle_window_s,
            knobs.rest_retry_after_s,
            knobs.access_token_lifetime_s,
            knobs.refresh_token_lifetime_s,
        )
        if min(numbers) < 0:
            raise ValueError("latency, timeout, throttle and lifetime knobs cannot be negative")
        if knobs.subscription_key is not None and not isinstance(knobs.subscription_key, str):
            raise ValueError("subscription_key must be a string or null")
        return knobs

    def as_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["fault_kinds"] = list(self.fault_kinds)
        return values


def _kinds(value: Any) -> tuple[str, ...]:
    kinds = (value,) if isinstance(value, str) else tuple(value)
    unknown = sorted(set(kinds) - set(FAULT_KINDS))
    if unknown or not kinds:
        raise ValueError(f"fault_kinds must be a non-empty subset of {FAULT_KINDS}")
    return kinds


@dataclass
class _Injection:
    operation: str | None
    kind: str
    times: int
    skip: int = 0  # matching calls to let through first
    employee_ids: frozenset[int] | None = None  # only calls naming one of these (None: any)

    def matches(self, service: str, operation: str, named: Callable[[], frozenset[int]]) -> bool:
        if self.operation not in (None, operation, f"{service}.{operation}"):
            return False
        return self.employee_ids is None or bool(self.employee_ids & named())


class Chaos:
    """Targeted one-shot faults first, then random ones at ``fault_rate``."""

    def __init__(self, seed: int | None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._injections: list[_Injection] = []

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def inject(
        self,
        operation: str | None,
        kind: str,
        times: int,
        skip: int = 0,
        employee_ids: Iterable[int] | None = None,
    ) -> None:
        """Fail the next ``times`` calls of ``operation`` (any when None) with ``kind``.

        The first ``skip`` matching calls are let through (e.g. ``skip=1``: the second call).
        With ``employee_ids`` only calls whose arguments name at least one of them match (a
        write-permission probe names employee 0, so it never matches real employees).
        """
        if kind not in FAULT_KINDS + HELD_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS + HELD_KINDS}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if skip < 0:
            raise ValueError("skip cannot be negative")
        targets = None if employee_ids is None else frozenset(_ids(employee_ids))
        if targets is not None and not targets:
            raise ValueError("employee_ids cannot be empty (None matches any call)")
        with self._lock:
            self._injections.append(_Injection(operation, kind, times, skip, targets))

    def clear(self) -> None:
        with self._lock:
            self._injections.clear()

    def draw(
        self,
        service: str,
        operation: str,
        knobs: Knobs,
        employee_ids: Callable[[], Iterable[int]] = tuple,
    ) -> str | None:
        """The fault kind for this call, or None to serve it normally.

        ``employee_ids`` gives the employees the call names; it is only called when an
        injection targets employees.
        """
        named_once: list[frozenset[int]] = []

        def named() -> frozenset[int]:
            if not named_once:
                named_once.append(frozenset(employee_ids()))
            return named_once[0]

        with self._lock:
            for injection in self._injections:
                if injection.matches(service, operation, named):
                    if injection.skip:
                        injection.skip -= 1
                        continue
                    injection.times -= 1
                    if injection.times == 0:
                        self._injections.remove(injection)
                    return injection.kind
            if knobs.fault_rate and self._rng.random() < knobs.fault_rate:
                return self._rng.choice(knobs.fault_kinds)
        return None


def _ids(values: Iterable[int]) -> list[int]:
    if isinstance(values, (str, bytes)):
        raise ValueError("employee_ids must be a list of integers")
    ids = list(values)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in ids):
        raise ValueError("employee_ids must be a list of integers")
    return ids
