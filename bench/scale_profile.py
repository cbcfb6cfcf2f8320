"""Where a scale-out run's wall time went (``python -m bench.scale_out --profile``).

Per company task: the time before its first Nmbrs call (warehouse reads, the lease's join),
between its first and last call, and after its last call (recording). Per API user: the
seconds of the run in which it sent at least 90% of its paced rate, the seconds in which
none of its tasks was calling Nmbrs at all, and its sandbox server's CPU.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
from typing import Any


def _at(call: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(call["time"]).timestamp()


def profile(
    result: dict[str, Any],
    per_user: list[list[dict]],
    args: argparse.Namespace,
    company_of: dict[int, int],
) -> str:
    """The report; ``company_of`` maps employee ids to their company (calls name either)."""
    tasks = result["tasks"]
    t0 = min(t["started"] for t in tasks)
    wall = result["wall_s"]
    calls_of: dict[int, list[float]] = {}
    for log in per_user:
        for call in log:
            company = call.get("company_id")
            if company is None and call.get("employee_ids"):
                company = company_of.get(int(call["employee_ids"][0]))
            if company is not None:
                calls_of.setdefault(int(company), []).append(_at(call))
    lines = ["", f"profile of the {len(tasks)}-task run, wall {wall:.1f} s:"]
    before, during, after = [], [], []
    for t in sorted(tasks, key=lambda t: t["started"]):
        times = sorted(calls_of.get(int(t["company_id"]), []))
        if not times:
            continue
        b, d, a = times[0] - t["started"], times[-1] - times[0], t["ended"] - times[-1]
        before.append(b)
        during.append(d)
        after.append(a)
        lines.append(
            f"  company {t['company_id']}: start {t['started'] - t0:6.1f}  before-first-call "
            f"{b:5.1f}  calling {d:6.1f}  after-last-call {a:5.1f}  calls {len(times):6}  "
            f"task cpu {t['cpu_s']:5.1f} s"
        )
    lines.append(
        f"  mean per task: before {statistics.mean(before):.1f} s, calling "
        f"{statistics.mean(during):.1f} s, after {statistics.mean(after):.1f} s"
    )
    paced = args.calls_per_second / 1.1
    for k, log in enumerate(per_user):
        seconds: dict[int, int] = {}
        for call in log:
            second = int(_at(call) - t0)
            seconds[second] = seconds.get(second, 0) + 1
        span = int(wall) + 1
        full = sum(1 for s in range(span) if seconds.get(s, 0) >= 0.9 * paced)
        idle = sum(1 for s in range(span) if seconds.get(s, 0) == 0)
        lines.append(
            f"  API user {k + 1}: {len(log)} calls, {full} of {span} s at >=90% of the paced "
            f"{paced:.0f}/s, {idle} s with no call, sandbox cpu {result['sandbox_cpu_s'][k]:.1f} s"
        )
    return "\n".join(lines)
