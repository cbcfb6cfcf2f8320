"""The scale-out table: one period load on 1 and on 2 workers, four API users, shared budgets.

``python -m bench.scale_out [--employees N --companies N --accounts N --latency-ms MS]``
(``python -m bench --scale-out`` runs it after the other tables). The companies are spread
over the API users in turn (company i on user i mod accounts). A worker is a pool of
``parallel_companies`` task processes with a temporary directory of its own (as on its own
machine); every company task runs the project's Nmbrs load (``bench.sync_load``) inside the
shared call budgets, leases in an embedded PostgreSQL. Companies go to the workers in blocks
of ``accounts``, so every API user has tasks on both workers. Per run: wall time, calls, the
floor (calls / the sum of the budgets), wall / floor, each user's busiest second, the calls
the sandbox's throttle (150 per second per user) delayed, and whether Nmbrs ends in the
desired state.
"""

from __future__ import annotations

import argparse
import copy
import functools
import gc
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.scenario import DOMAIN, PERIOD, BenchScenario, generate

THROTTLE_PER_S = 150


def account_of(index: int, accounts: int) -> int:
    return index % accounts


def user(k: int) -> tuple[str, str, str]:
    """conn id, username and token of API user ``k`` (public bench data)."""
    return f"bench_nmbrs_{k}", f"bench{k}@example.com", f"bench-token-{k}"


def scenario(bench: BenchScenario, accounts: int, only: int | None = None) -> dict[str, Any]:
    """The sandbox scenario of every API user, or of API user ``only`` and its companies."""
    data = copy.deepcopy(bench.scenario)
    owned = {k: [c for i, c in enumerate(bench.company_ids) if account_of(i, accounts) == k]
             for k in range(accounts)}  # fmt: skip
    data["accounts"] = [
        {
            "username": user(k)[1],
            "token": user(k)[2],
            "domain": DOMAIN,
            "permissions": "all",
            "companies": owned[k],
        }
        for k in range(accounts)
        if only is None or k == only
    ]
    if only is not None:
        data["companies"] = [c for c in data["companies"] if c["id"] in owned[only]]
    return data


@functools.cache
def _scenario(employees: int, companies: int, seed: int) -> BenchScenario:
    return generate(employees, companies, seed)


def _slot(tmpdir: str) -> None:
    """A task process of one worker: its machine's temporary directory."""
    os.environ["TMPDIR"] = tmpdir
    tempfile.tempdir = None


def _company_task(job: dict[str, Any]) -> dict[str, Any]:
    import psycopg2

    from bench.sync_load import sync_one
    from nmbrs_provider.coordination.scope import shared_call_budgets
    from nmbrs_provider.core.config import LoadConfig
    from nmbrs_provider.core.periods import PayrollPeriod

    bench = _scenario(job["employees"], job["companies"], job["seed"])
    connect = functools.partial(psycopg2.connect, **job["connect"])
    started, cpu = time.time(), time.process_time()
    with shared_call_budgets(connect, f"bench company {job['company_id']}"):
        sync_one(
            job["conn_id"], bench, job["company_id"], PayrollPeriod.parse(PERIOD),
            LoadConfig(**job["load"]), job["batch"],
        )  # fmt: skip
    return {
        "company_id": job["company_id"],
        "started": started,
        "ended": time.time(),
        "cpu_s": time.process_time() - cpu,
    }


def run_once(
    workers: int, bench: BenchScenario, args: argparse.Namespace, connect: dict, home: Path
) -> dict[str, Any]:
    """Load every company on ``workers`` workers; return the wall time."""
    context = multiprocessing.get_context("fork")
    # The bench's own objects (the whole scenario, 50,000 employees) stay out of the task
    # processes' garbage collections: a worker's task process does not carry them either.
    gc.collect()
    gc.freeze()
    pools = []
    for w in range(workers):
        tmp = home / f"worker-{workers}-{w}"
        tmp.mkdir(parents=True, exist_ok=True)
        pools.append(
            ProcessPoolExecutor(
                args.parallel_companies,
                mp_context=context,
                initializer=_slot,
                initargs=(str(tmp),),
            )
        )
    batch = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    futures = []
    for i, company_id in enumerate(bench.company_ids):
        job = {
            "company_id": company_id,
            "conn_id": user(account_of(i, args.accounts))[0],
            "employees": bench.employees,
            "companies": bench.companies,
            "seed": bench.seed,
            "connect": connect,
            "load": {"parallel_companies": args.parallel_companies},
            "batch": f"scale-{workers}-{batch}",
        }
        futures.append(pools[(i // args.accounts) % workers].submit(_company_task, job))
    tasks = [future.result() for future in futures]
    wall = time.perf_counter() - started
    for pool in pools:
        pool.shutdown()
    return {"wall_s": wall, "tasks": tasks}


def _cpu_s(pid: int) -> float:
    """User plus system CPU seconds process ``pid`` has used (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(args: argparse.Namespace) -> dict[int, dict[str, Any]]:
    # Imported before the task processes fork, as a Celery worker's pool has them loaded.
    from bench.__main__ import busiest_second
    from bench.account_servers import account_servers
    from bench.sync_load import WAREHOUSE_CONN_ID, load_warehouse
    from dev.local_warehouse import start_warehouse
    from nmbrs_provider.coordination import scope  # noqa: F401
    from nmbrs_provider.hooks import nmbrs  # noqa: F401

    bench = _scenario(args.employees, args.companies, args.seed)
    results: dict[int, dict[str, Any]] = {}
    # One sandbox server per API user, each in its own process (see bench.account_servers).
    scenarios = [scenario(bench, args.accounts, only=k) for k in range(args.accounts)]
    with (
        tempfile.TemporaryDirectory(prefix="nmbrs-scale-") as base,
        account_servers(
            scenarios, bench.desired, latency_ms=args.latency_ms, throttle_limit=THROTTLE_PER_S
        ) as servers,
    ):
        home = Path(base)
        os.chmod(home, 0o755)  # noqa: S103 - PostgreSQL may run as another user (root)
        for k in range(args.accounts):
            conn_id, username, token = user(k)
            os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(
                {
                    "conn_type": "nmbrs", "login": username, "password": token,
                    "host": servers[k].url,
                    "extra": {"domain": DOMAIN, "calls_per_second": args.calls_per_second},
                }
            )  # fmt: skip
        os.environ["AIRFLOW_HOME"] = str(home / "airflow")
        os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
        # One PostgreSQL, as in a deployment: the warehouse the tasks read and record in, and
        # the coordination of the API users' budgets.
        with start_warehouse(home / "pgdata", dbname="coordination", durable=False) as pg:
            load_warehouse(pg, bench)
            os.environ[f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}"] = pg.airflow_conn_json()
            for workers in args.workers:
                for server in servers:
                    server.ask("reset")
                print(f"... scale-out: {bench.employees:,} employees on {workers} worker(s)",
                      flush=True)  # fmt: skip
                cpu = [_cpu_s(server.process.pid) for server in servers]
                result = run_once(workers, bench, args, pg.connect_kwargs(), home)
                result["sandbox_cpu_s"] = [
                    _cpu_s(server.process.pid) - before
                    for server, before in zip(servers, cpu, strict=True)
                ]
                per_user = [server.ask("calls") for server in servers]
                calls = [c for log in per_user for c in log]
                result["calls"] = len(calls)
                result["throttled"] = sum(1 for c in calls if c.get("throttled"))
                result["busiest"] = [busiest_second(log) for log in per_user]
                result["state_ok"] = all(server.ask("state_ok") for server in servers)
                if args.profile:
                    from bench.scale_profile import profile

                    company_of = {
                        e["id"]: c["id"] for c in bench.scenario["companies"]
                        for e in c["employees"]
                    }  # fmt: skip
                    print(profile(result, per_user, args, company_of), flush=True)
                results[workers] = result
    return results


def render(args: argparse.Namespace, results: dict[int, dict[str, Any]]) -> str:
    budget = args.accounts * args.calls_per_second
    cols = sorted(results)
    lines = [
        f"### Scale-out: {args.employees:,} employees, {args.companies} companies, "
        f"{args.accounts} API users, {args.latency_ms:g} ms latency",
        "",
        "Each API user's budget is `calls_per_second: "
        f"{args.calls_per_second:g}`, shared by its tasks on every worker through leases in "
        f"the warehouse; a worker runs {args.parallel_companies} company tasks at once.",
        "",
        "| | " + " | ".join(f"{w} worker{'s' if w > 1 else ''}" for w in cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]

    def row(label: str, cell: Any) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(results[w]) for w in cols) + " |")

    row("wall time (s)", lambda r: f"{r['wall_s']:.1f}")
    row("calls", lambda r: f"{r['calls']:,}")
    row(f"floor = calls / {budget:g} (s)", lambda r: f"{r['calls'] / budget:.1f}")
    row("**wall / floor**", lambda r: f"**{r['wall_s'] / (r['calls'] / budget):.2f}x**")
    for k in range(args.accounts):
        row(f"busiest second, API user {k + 1}", lambda r, k=k: str(r["busiest"][k]))
    row("calls delayed by the throttle", lambda r: str(r["throttled"]))
    row("CPU of the company tasks (s)", lambda r: f"{sum(t['cpu_s'] for t in r['tasks']):.0f}")
    row("CPU of the sandbox servers (s)", lambda r: f"{sum(r['sandbox_cpu_s']):.0f}")
    row("Nmbrs holds the desired state", lambda r: "yes" if r["state_ok"] else "NO")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__)
    parser.add_argument("--employees", type=int, default=2_000)
    parser.add_argument("--companies", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--parallel-companies", type=int, default=4)
    parser.add_argument("--calls-per-second", type=float, default=140.0)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="the runs (default: 1 2)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print where each run's wall time went"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    text = render(args, measure(args))
    print("\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
