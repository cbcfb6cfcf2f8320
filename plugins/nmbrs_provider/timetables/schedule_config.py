"""The config's ``schedule`` section: when the sync DAGs run by themselves (Airflow only).

The core config keeps the section as written; the DAG file turns it into a
:class:`ScheduleConfig` with :func:`load_schedule` when it is parsed, so a mistake is a DAG
import error naming the file and key, like every other config problem. No Airflow import.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nmbrs_provider.core.config import ConfigError, SyncConfig
from nmbrs_provider.core.config.checks import Checker, describe
from nmbrs_provider.core.periods import PayrollPeriod, PeriodError

SCHEDULE_KEYS = ("enabled", "timezone", "delay_hours", "catchup", "start", "assets")
_ASSET_URI_RE = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$")


@dataclass(frozen=True)
class ScheduleConfig:
    """When the sync DAGs run: once per payroll period, and on upstream asset events."""

    enabled: bool = True
    timezone: str = "Europe/Amsterdam"
    delay_hours: float = 48.0
    catchup: bool = False
    start: str | None = None  # ISO date or period text; the first period to run
    assets: tuple[str, ...] = ()  # URIs of assets whose events also trigger a run


def load_schedule(config: SyncConfig) -> ScheduleConfig:
    """The checked ``schedule`` section of ``config``; ConfigError listing every problem."""
    check = Checker()
    schedule = check_schedule(check, dict(config.schedule))
    if check.problems:
        raise ConfigError(config.source, check.problems)
    return schedule


def check_schedule(check: Checker, value: Any) -> ScheduleConfig:
    """The section's typed value; problems are collected in ``check``."""
    raw = check.mapping(value, "schedule", SCHEDULE_KEYS) or {}
    kwargs: dict[str, Any] = {}
    for name in ("enabled", "catchup"):
        if name in raw:
            kwargs[name] = check.boolean(raw[name], f"schedule.{name}")
    if "timezone" in raw:
        kwargs["timezone"] = _timezone(check, raw["timezone"])
    if "delay_hours" in raw:
        delay = raw["delay_hours"]
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            check.fail("schedule.delay_hours", f"expected hours >= 0, got {describe(delay)}")
        else:
            kwargs["delay_hours"] = float(delay)
    if "start" in raw:
        kwargs["start"] = _start(check, raw["start"])
    if "assets" in raw:
        kwargs["assets"] = _asset_uris(check, raw["assets"])
    return ScheduleConfig(**{k: v for k, v in kwargs.items() if v is not None})


def _timezone(check: Checker, value: Any) -> str | None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        check.fail("schedule.timezone", f"unknown time zone {value!r} (e.g. Europe/Amsterdam)")
        return None
    return str(value)


def _start(check: Checker, value: Any) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        try:
            PayrollPeriod.parse(text)
        except PeriodError:
            check.fail("schedule.start", f"expected a date (2026-01-01) or a period, got {text!r}")
            return None
    return text


def _asset_uris(check: Checker, value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        check.fail("schedule.assets", f"expected a list of asset URIs, got {describe(value)}")
        return None
    bad = [v for v in value if not _ASSET_URI_RE.match(v)]
    if bad:
        check.fail("schedule.assets", f"not asset URIs (scheme://path): {bad}")
        return None
    return tuple(value)
