"""``python -m bench``: the naive baseline and the project's load against a throttled sandbox.

Per size, each client runs in its own process against a fresh sandbox with the given latency
and the real throttle (150 calls per second per account); the table gives the calls by
operation, wall time, the throttle floor (calls / 150 s), wall time / floor, the speed-up
against the baseline, the client's peak RSS and whether Nmbrs ends up holding the desired
state. The tables go to stdout and to ``bench/RESULTS.md`` (with the date and the command).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.runner import CONN_ID
from bench.scenario import DOMAIN, MONTH, TOKEN, USERNAME, YEAR, BenchScenario, generate
from nmbrs_sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
THROTTLE_PER_S = 150
FULL_SIZES = ((1_000, 20), (10_000, 20), (50_000, 20))
MODES = ("baseline", "project")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=100, help="employees (default 100)")
    parser.add_argument("--companies", type=int, default=2, help="companies (default 2)")
    parser.add_argument(
        "--latency-ms", type=float, default=50.0, help="sandbox latency per call (default 50)"
    )
    parser.add_argument("--seed", type=int, default=1, help="scenario seed (default 1)")
    parser.add_argument(
        "--full",
        action="store_true",
        help="1,000 / 10,000 / 50,000 employees across 20 companies (takes hours)",
    )
    parser.add_argument(
        "--no-results", action="store_true", help="print only; leave bench/RESULTS.md alone"
    )
    return parser.parse_args(argv)


def run_client(mode: str, bench: BenchScenario, latency_ms: float) -> dict[str, Any]:
    """Run one client on a fresh sandbox; return its measurements and the sandbox's calls."""
    sandbox = Sandbox(bench.scenario, latency_ms=latency_ms, throttle_limit=THROTTLE_PER_S)
    with sandbox.start(host="127.0.0.1", port=0), tempfile.TemporaryDirectory() as home:
        conn = {
            "conn_type": "nmbrs",
            "login": USERNAME,
            "password": TOKEN,
            "host": sandbox.url,
            "extra": {"domain": DOMAIN},
        }
        env = {
            **os.environ,
            f"AIRFLOW_CONN_{CONN_ID.upper()}": json.dumps(conn),
            "AIRFLOW_HOME": home,
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        }
        args = [mode, str(bench.employees), str(bench.companies), str(bench.seed)]
        done = subprocess.run(
            [sys.executable, "-m", "bench.runner", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{mode} run failed:\n{done.stderr[-4000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        calls = sandbox.calls()
        result["calls"] = Counter(c["operation"] for c in calls)
        result["throttled"] = sum(1 for c in calls if c.get("throttled"))
        result["faults"] = sum(1 for c in calls if c.get("fault_code") is not None)
        result["state_ok"] = state_ok(sandbox, bench)
    return result


def state_ok(sandbox: Sandbox, bench: BenchScenario) -> bool:
    """Every flexible employee holds exactly the desired 2100 hours and days worked."""
    for employee_id, (hours, days) in bench.desired.items():
        held = sorted(
            (int(c["HourCode"]), Decimal(str(c["Hours"])))
            for c in sandbox.hour_components(employee_id, YEAR, MONTH)
        )
        want = [(2100, hours)] if hours > 0 else []
        if held != want or (sandbox.days_var(employee_id, YEAR, MONTH) or 0) != days:
            return False
    return True


def table(bench: BenchScenario, latency_ms: float, results: dict[str, dict[str, Any]]) -> str:
    """One markdown table for one size: a column per client."""
    flexible = len(bench.desired)
    with_hours = sum(1 for h, _ in bench.desired.values() if h > 0)
    title = (
        f"### {bench.employees:,} employees, {bench.companies} companies, "
        f"{latency_ms:g} ms latency ({flexible:,} flexible, {with_hours:,} with hours)"
    )
    rows: list[tuple[str, ...]] = []
    operations = sorted(set().union(*(r["calls"] for r in results.values())))
    for op in operations:
        rows.append((op, *(str(results[m]["calls"].get(op, 0)) for m in MODES)))
    totals = {m: sum(results[m]["calls"].values()) for m in MODES}
    floors = {m: totals[m] / THROTTLE_PER_S for m in MODES}
    base_wall = results["baseline"]["wall_s"]

    def row(label: str, value: Any) -> tuple[str, ...]:
        return (label, *(value(m) for m in MODES))

    rows += [
        row("**calls, total**", lambda m: f"**{totals[m]:,}**"),
        row("calls per flexible employee", lambda m: f"{totals[m] / flexible:.2f}"),
        row("wall time (s)", lambda m: f"{results[m]['wall_s']:.1f}"),
        row("throttle floor = calls / 150 (s)", lambda m: f"{floors[m]:.1f}"),
        row("wall / floor", lambda m: f"{results[m]['wall_s'] / floors[m]:.1f}x"),
        row("speed-up vs baseline", lambda m: f"{base_wall / results[m]['wall_s']:.2f}x"),
        row("peak RSS of the client (MiB)", lambda m: f"{results[m]['peak_rss_kib'] / 1024:.0f}"),
        row("calls delayed by the throttle", lambda m: str(results[m]["throttled"])),
        row("faults answered (permission probes)", lambda m: str(results[m]["faults"])),
        row("Nmbrs holds the desired state", lambda m: "yes" if results[m]["state_ok"] else "NO"),
    ]
    lines = [title, "", "| | baseline (naive) | project |", "|---|---:|---:|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_results(command: str, tables: list[str]) -> None:
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            "Written by `python -m bench` (see bench/README.md for what the numbers mean).",
            "",
            f"- date: {today}",
            f"- command: `{command}`",
            f"- machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
            "",
            *(t + "\n" for t in tables),
        ]
    )
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    sizes = FULL_SIZES if args.full else ((args.employees, args.companies),)
    tables = []
    for employees, companies in sizes:
        bench = generate(employees, companies, args.seed)
        results = {}
        for mode in MODES:
            print(f"... {mode}: {employees:,} employees, {companies} companies", flush=True)
            results[mode] = run_client(mode, bench, args.latency_ms)
        tables.append(table(bench, args.latency_ms, results))
        print("\n" + tables[-1] + "\n", flush=True)
    if not args.no_results:
        write_results(shlex.join(["python", "-m", "bench", *argv]), tables)
        print(f"Written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
