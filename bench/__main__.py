"""``python -m bench``: the naive baseline and the project's load against a throttled sandbox.

Per size, the baseline runs on a fresh sandbox; the project runs twice on another fresh one (a
first run, then an unchanged re-run that must write nothing), and twice more on a third over
the sandbox's REST API (``bench/rest_load.py``). Each client runs in its own process against
the sandbox's latency and real throttle (150 calls per second per account); the table gives
the calls by operation, wall time, the throttle floor (calls / 150 s), wall time / floor, the
speed-up against the baseline, the client's peak RSS and whether Nmbrs ends up holding the
desired state, and a second table puts SOAP and REST side by side. Then the warehouse side,
the DAG file's import cost and the Nmbrs page's answer times over a year of runs. Everything
goes to stdout and to the untracked ``bench/latest.md``; ``--update-results`` writes the
tracked ``bench/RESULTS.md`` instead (with ``--page-only``, only the page's section of it).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.rest_load import authorized_rest, compare_apis, rest_settings
from bench.runner import CONN_ID
from bench.scenario import DOMAIN, MONTH, TOKEN, USERNAME, YEAR, BenchScenario, generate
from nmbrs_provider.connection_settings import DEFAULT_CALLS_PER_SECOND, DEFAULT_MAX_CONCURRENCY
from nmbrs_provider.core.config import LoadConfig
from nmbrs_sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
# Where a run writes unless asked to update RESULTS.md (ignored by git).
LATEST = Path(__file__).resolve().parent / "latest.md"
THROTTLE_PER_S = 150
FULL_SIZES = ((1_000, 20), (10_000, 20), (50_000, 20))
COLUMNS = ("baseline", "first run", "re-run")


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
        help="1,000 / 10,000 / 50,000 employees across 20 companies (about 40 minutes)",
    )
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=1_000,
        help="run the naive baseline only up to this many employees (default 1000; it is slow)",
    )
    defaults = LoadConfig()
    parser.add_argument("--parallel-companies", type=int, default=defaults.parallel_companies)
    parser.add_argument("--calls-per-second", type=float, default=DEFAULT_CALLS_PER_SECOND)
    parser.add_argument("--max-concurrency", type=int, default=DEFAULT_MAX_CONCURRENCY)
    parser.add_argument(
        "--rest-calls-per-second",
        type=float,
        default=None,
        help="the REST connection's budget (default: --calls-per-second, the same as SOAP's)",
    )
    parser.add_argument("--no-rest", action="store_true", help="skip the project on the REST API")
    parser.add_argument("--chunk-size", type=int, default=defaults.chunk_size)
    parser.add_argument(
        "--entries",
        type=int,
        default=None,
        help="warehouse time entries to extract and plan (default 100000; 1000000 with --full)",
    )
    parser.add_argument(
        "--nmbrs-only", action="store_true", help="skip the warehouse and DAG parse measurements"
    )
    parser.add_argument(
        "--page-employees",
        type=int,
        default=None,
        help="employees per company of the Nmbrs page's ledger (default 1000; 10000 with --full)",
    )
    parser.add_argument(
        "--page-only",
        action="store_true",
        help="only the Nmbrs page measurement (--update-results then replaces only its section)",
    )
    parser.add_argument(
        "--no-scale-out",
        action="store_true",
        help="skip the scale-out table (1 and 2 workers, 4 API users; 50,000 employees with "
        "--full, else 2,000)",
    )
    parser.add_argument(
        "--no-results", action="store_true", help="print only; write no results file"
    )
    parser.add_argument(
        "--update-results",
        action="store_true",
        help="write the tracked bench/RESULTS.md (default: the untracked bench/latest.md)",
    )
    return parser.parse_args(argv)


def run_clients(
    modes: list[str], bench: BenchScenario, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Run ``modes`` one after the other on one fresh sandbox; measure each separately.

    The project runs the DAG's pipeline, so it gets a throw-away warehouse with the scenario's
    Keeping rows (loaded before its clock starts).
    """
    with contextlib.ExitStack() as stack:
        warehouse_env = {}
        if {"project", "rest"} & set(modes):
            warehouse_env = stack.enter_context(_warehouse(bench))
        return _run_clients(modes, bench, args, warehouse_env)


@contextlib.contextmanager
def _warehouse(bench: BenchScenario) -> Iterator[dict[str, str]]:
    """An embedded PostgreSQL holding the scenario; yields the env naming its connection."""
    from bench.sync_load import WAREHOUSE_CONN_ID, load_warehouse
    from dev.local_warehouse import start_warehouse

    base = Path(tempfile.mkdtemp(prefix="nmbrs-bench-sync-"))
    try:
        with start_warehouse(base / "pgdata", dbname="bench", durable=False) as db:
            load_warehouse(db, bench)
            yield {f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": db.airflow_conn_json()}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run_clients(
    modes: list[str], bench: BenchScenario, args: argparse.Namespace, extra_env: dict[str, str]
) -> list[dict[str, Any]]:
    sandbox = Sandbox(
        bench.scenario,
        latency_ms=args.latency_ms,
        throttle_limit=THROTTLE_PER_S,
        rest_throttle_limit=THROTTLE_PER_S,
    )
    load = LoadConfig(parallel_companies=args.parallel_companies, chunk_size=args.chunk_size)
    results = []
    with sandbox.start(host="127.0.0.1", port=0), tempfile.TemporaryDirectory() as home:
        conn = {
            "conn_type": "nmbrs",
            "login": USERNAME,
            "password": TOKEN,
            "host": sandbox.url,
            "extra": {
                "domain": DOMAIN,
                "calls_per_second": args.calls_per_second,
                "max_concurrency": args.max_concurrency,
            },
        }
        env = {
            **os.environ,
            f"AIRFLOW_CONN_{CONN_ID.upper()}": json.dumps(conn),
            "AIRFLOW_HOME": home,
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            **extra_env,
        }
        if "rest" in modes:
            env.update(authorized_rest(sandbox, args, {**extra_env, "AIRFLOW_HOME": home}))
        for mode in modes:
            seen = len(sandbox.calls())
            args_ = [mode, str(bench.employees), str(bench.companies), str(bench.seed)]
            done = subprocess.run(
                [sys.executable, "-m", "bench.runner", *args_,
                 json.dumps(dataclasses.asdict(load))],
                cwd=ROOT, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise SystemExit(f"{mode} run failed:\n{done.stderr[-4000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            calls = sandbox.calls()[seen:]
            result["api"] = "rest" if mode == "rest" else "soap"
            result["calls"] = Counter(c["operation"] for c in calls)
            result["throttled"] = sum(1 for c in calls if c.get("throttled"))
            result["busiest_second"] = busiest_second(
                [c for c in calls if c["service"] != "identity"]
            )
            faulted = [c["operation"] for c in calls if c.get("fault_code") is not None]
            result["faults"], result["faulted"] = len(faulted), Counter(faulted)
            result["state_ok"] = state_ok(sandbox, bench)
            results.append(result)
    return results


def busiest_second(calls: list[dict[str, Any]]) -> int:
    """Most calls that arrived within any one second (Nmbrs delays calls past ~150)."""
    times = sorted(dt.datetime.fromisoformat(c["time"]).timestamp() for c in calls)
    most, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


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


def table(bench: BenchScenario, args: argparse.Namespace, results: dict[str, dict]) -> str:
    """One markdown table for one size: a column per client run."""
    flexible = len(bench.desired)
    with_hours = sum(1 for h, _ in bench.desired.values() if h > 0)
    title = (
        f"### {bench.employees:,} employees, {bench.companies} companies, "
        f"{args.latency_ms:g} ms latency ({flexible:,} flexible, {with_hours:,} with hours)"
    )
    cols = [c for c in COLUMNS if c in results]
    rows: list[tuple[str, ...]] = []
    operations = sorted(set().union(*(r["calls"] for r in results.values())))
    for op in operations:
        rows.append((op, *(str(results[c]["calls"].get(op, 0)) for c in cols)))
    totals = {c: sum(results[c]["calls"].values()) for c in cols}
    floors = {c: totals[c] / THROTTLE_PER_S for c in cols}
    base_wall = results["baseline"]["wall_s"] if "baseline" in results else None

    def row(label: str, value: Any) -> tuple[str, ...]:
        return (label, *(value(c) for c in cols))

    def speed_up(c: str) -> str:
        return f"{base_wall / results[c]['wall_s']:.1f}x" if base_wall else "not run"

    rows += [
        row("**calls, total**", lambda c: f"**{totals[c]:,}**"),
        row("calls per flexible employee", lambda c: f"{totals[c] / flexible:.2f}"),
        row("wall time (s)", lambda c: f"{results[c]['wall_s']:.1f}"),
        row("throttle floor = calls / 150 (s)", lambda c: f"{floors[c]:.1f}"),
        row("**wall / floor**", lambda c: f"**{results[c]['wall_s'] / floors[c]:.2f}x**"),
        row("**speed-up vs baseline**", lambda c: f"**{speed_up(c)}**"),
        row("peak RSS of the client (MiB)", lambda c: f"{results[c]['peak_rss_kib'] / 1024:.0f}"),
        row("busiest second (calls arrived)", lambda c: str(results[c]["busiest_second"])),
        row("calls delayed by the throttle", lambda c: str(results[c]["throttled"])),
        row("faults answered (permission probes)", lambda c: str(results[c]["faults"])),
        row("Nmbrs holds the desired state", lambda c: "yes" if results[c]["state_ok"] else "NO"),
    ]
    lines = [title, "", "| | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def settings_line(args: argparse.Namespace) -> str:
    """The settings the project ran with (connection extras and the config's load section)."""
    return (
        f"Settings: connection `calls_per_second: {args.calls_per_second:g}`, "
        f"`max_concurrency: {args.max_concurrency}`; config `load.parallel_companies: "
        f"{args.parallel_companies}`, `load.chunk_size: {args.chunk_size}`, "
        "`load.verify: sample` (3 employees), `load.check_days_fixed: false`." + rest_settings(args)
    )


def write_results(command: str, sections: list[str], target: Path) -> None:
    """Write the run's tables, date and command to ``target``."""
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
            *(t + "\n" for t in sections),
        ]
    )
    target.write_text(text.rstrip() + "\n", encoding="utf-8")


def page_employees(args: argparse.Namespace) -> int:
    """Employees per company of the page's ledger: ``--page-employees``, else by size."""
    from bench.ui_page import DEFAULT_EMPLOYEES, FULL_EMPLOYEES

    return args.page_employees or (FULL_EMPLOYEES if args.full else DEFAULT_EMPLOYEES)


def measure_page_section(args: argparse.Namespace) -> str:
    """The Nmbrs page over a year of runs of 20 companies (``bench/ui_page.py``)."""
    from bench.ui_page import measure_page
    from bench.ui_page import render as render_page

    employees = page_employees(args)
    print(f"... Nmbrs page: a year of runs, 20 companies, {employees:,} employees", flush=True)
    section = render_page(measure_page(employees, 20, seed=args.seed))
    print("\n" + section + "\n", flush=True)
    return section


PAGE_HEADING = "### Nmbrs page:"


def replace_section(text: str, section: str, heading: str = PAGE_HEADING) -> str:
    """``text`` with its section starting at ``heading`` (up to the next ``###``) replaced by
    ``section``, or with ``section`` appended."""
    start = text.find(heading)
    if start < 0:
        return text.rstrip() + "\n\n" + section.rstrip() + "\n"
    end = text.find("\n### ", start + len(heading))
    rest = "" if end < 0 else text[end:]
    return text[:start] + section.rstrip() + "\n" + rest


def page_only(args: argparse.Namespace, argv: list[str]) -> int:
    """``--page-only``: measure the page; write only its section of the results file."""
    section = measure_page_section(args)
    if args.no_results:
        return 0
    command = shlex.join(["python", "-m", "bench", *argv])
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section += f"\n\nMeasured {today} with `{command}` ({os.cpu_count()} CPUs)."
    target = RESULTS if args.update_results else LATEST
    if target.exists():
        target.write_text(replace_section(target.read_text("utf-8"), section), "utf-8")
    else:
        write_results(command, [section], target)
    print(f"Written to {target.relative_to(ROOT)}")
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.page_only:
        return page_only(args, argv)
    sizes = FULL_SIZES if args.full else ((args.employees, args.companies),)
    sections = [settings_line(args)]
    for employees, companies in sizes:
        bench = generate(employees, companies, args.seed)
        results: dict[str, dict[str, Any]] = {}
        if employees <= args.baseline_max:
            print(f"... baseline: {employees:,} employees, {companies} companies", flush=True)
            results["baseline"] = run_clients(["baseline"], bench, args)[0]
        print(f"... project, twice: {employees:,} employees, {companies} companies", flush=True)
        results["first run"], results["re-run"] = run_clients(["project", "project"], bench, args)
        sections.append(table(bench, args, results))
        print("\n" + sections[-1] + "\n", flush=True)
        if not args.no_rest:
            print(f"... REST, twice: {employees:,} employees, {companies} companies", flush=True)
            sections.append(
                compare_apis(bench, args, results, run_clients(["rest"] * 2, bench, args))
            )
            print("\n" + sections[-1] + "\n", flush=True)
    if not args.no_scale_out:
        from bench import scale_out

        scale_args = scale_out.parse_args(
            ["--employees", "50000" if args.full else "2000", "--companies", "20",
             "--latency-ms", f"{args.latency_ms:g}", "--seed", str(args.seed),
             "--calls-per-second", f"{args.calls_per_second:g}"]
        )  # fmt: skip
        sections.append(scale_out.render(scale_args, scale_out.measure(scale_args)))
        print("\n" + sections[-1] + "\n", flush=True)
    if not args.nmbrs_only:
        from bench.dag_import import measure_dag_import
        from bench.dag_import import render as render_dag_import
        from bench.warehouse_load import measure_warehouse
        from bench.warehouse_load import render as render_warehouse

        entries = args.entries or (1_000_000 if args.full else 100_000)
        print(f"... warehouse: extract and plan {entries:,} time entries", flush=True)
        sections.append(render_warehouse(measure_warehouse(entries, args.seed)))
        print("\n" + sections[-1] + "\n", flush=True)
        print("... DAG file import cost", flush=True)
        sections.append(render_dag_import(measure_dag_import()))
        print("\n" + sections[-1] + "\n", flush=True)
        sections.append(measure_page_section(args))
    if not args.no_results:
        target = RESULTS if args.update_results else LATEST
        write_results(shlex.join(["python", "-m", "bench", *argv]), sections, target)
        print(f"Written to {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
