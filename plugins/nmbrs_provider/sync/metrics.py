"""StatsD metrics of a company's run, through Airflow's stats (``[metrics] statsd_on``).

Every name starts with :data:`PREFIX` (after Airflow's own ``statsd_prefix``: by default
``airflow.nmbrs_sync.hours_sent``); every metric has the tags ``company_id`` and ``status``
(``succeeded``, ``dry_run``, ``skipped`` or ``failed``). Plain StatsD carries tags only with
``[metrics] statsd_influxdb_enabled`` (``name,tag=value``); DogStatsD and OpenTelemetry carry
them natively. The README's "Lineage and metrics" lists every metric.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from nmbrs_provider.core.exclusions import REASONS
from nmbrs_provider.soap.call_stats import CallStats

log = logging.getLogger(__name__)

PREFIX = "nmbrs_sync"
#: Statuses whose hours and employees are reported (a skipped or failed run has none).
_WITH_TOTALS = frozenset({"succeeded", "dry_run"})


@dataclass(frozen=True)
class Metric:
    """One value to send: a counter (``incr``), a ``gauge`` or a ``timing``."""

    kind: Literal["incr", "gauge", "timing"]
    name: str
    value: float
    tags: Mapping[str, str]


def company_run_metrics(
    company_id: int,
    result: Mapping[str, Any] | None,
    calls: CallStats,
    duration_seconds: float,
) -> list[Metric]:
    """The metrics of one company run; ``result`` None for a run that failed.

    Per run: ``runs`` (counter), ``run_duration`` (timing). With totals (succeeded or dry
    run): gauges ``hours_read``, ``hours_sent``, ``hours_excluded`` per ``reason`` (every
    reason, 0 when none, so a dashboard never shows a reason of an earlier run),
    ``employees_written``, ``employees_unchanged``. Per Nmbrs ``service`` and ``operation``:
    counters ``nmbrs_calls`` (attempts sent) and ``retries``. Waits for a call slot under the
    account's ``calls_per_second``: counter ``throttle_waits``, timing ``throttle_wait_time``.
    """
    status = str(result["status"]) if result is not None else "failed"
    tags = {"company_id": str(company_id), "status": status}
    out = [
        Metric("incr", "runs", 1, tags),
        Metric("timing", "run_duration", duration_seconds, tags),
    ]
    if result is not None and status in _WITH_TOTALS:
        for name in ("hours_read", "hours_sent", "employees_written", "employees_unchanged"):
            out.append(Metric("gauge", name, float(result[name]), tags))
        by_reason = {reason: 0.0 for reason in REASONS} | {
            str(k): float(v) for k, v in result["excluded_by_reason"].items()
        }
        for reason, hours in sorted(by_reason.items()):
            out.append(Metric("gauge", "hours_excluded", hours, {**tags, "reason": reason}))
    for counter, name in ((calls.calls, "nmbrs_calls"), (calls.retries, "retries")):
        for (service, operation), count in sorted(counter.items()):
            op_tags = {**tags, "service": service, "operation": operation}
            out.append(Metric("incr", name, count, op_tags))
    if calls.throttle_waits:
        out.append(Metric("incr", "throttle_waits", calls.throttle_waits, tags))
        out.append(Metric("timing", "throttle_wait_time", calls.throttle_wait_seconds, tags))
    return [Metric(m.kind, f"{PREFIX}.{m.name}", m.value, m.tags) for m in out]


def emit(metrics: list[Metric]) -> None:
    """Send through Airflow's stats (nothing when metrics are off); never fails the run."""
    try:
        from airflow.sdk.observability.stats import Stats

        for m in metrics:
            if m.kind == "incr":
                Stats.incr(m.name, int(m.value), tags=dict(m.tags))
            elif m.kind == "gauge":
                Stats.gauge(m.name, m.value, tags=dict(m.tags))
            else:
                Stats.timing(m.name, dt.timedelta(seconds=m.value), tags=dict(m.tags))
    except Exception:  # metrics are best effort: the payroll run matters, not its telemetry
        log.warning("Could not send the sync's metrics", exc_info=True)
