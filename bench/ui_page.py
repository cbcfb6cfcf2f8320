"""How fast the Nmbrs page answers over a year of runs: median and p95 per endpoint.

``python -m bench.ui_page [--employees N] [--companies N] [--requests N]`` starts an
embedded PostgreSQL (127.0.0.1, a throw-away data directory), seeds the ``nmbrs_sync`` ledger
with a year of runs (``bench/ledger_seed.py``: the real ledger DDL, COPY of the rows the sync
writes), starts the Nmbrs sandbox with the companies (for the live period of the companies
page) and a real ``airflow api-server`` on 127.0.0.1 with the simple auth manager and the
provider's plugin, as ``make airflow`` does. It logs in (``POST /auth/token``) and requests
every endpoint of the page with the token, round robin, through one keep-alive HTTP client:
the time is the whole answer as a browser gets it (auth, the page's queries, the HTML).
Seeding, migrating Airflow's database and starting the server are not measured.

The seeded runs have no stored totals, as in a ledger from before ``ledger_finish_run.sql``
stored them: the page sums each listed run's lines ("before"). Then the ledger DDL is applied
again, which stores the totals of every finished run (timed: the one-off migration), and every
endpoint is timed again ("after"), in the same server, on the same ledger.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.ledger_seed import PERIODS, YEAR, ledger_companies, seed_ledger

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
USER, USERNAME, TOKEN, DOMAIN = "bench", "bench@example.com", "bench-token", "bench"
TARGET_SECONDS = 1.0
DEFAULT_EMPLOYEES = 1_000
FULL_EMPLOYEES = 10_000


def _port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def sandbox_scenario(companies: int) -> dict[str, Any]:
    """The companies in Nmbrs (no employees: the page asks Nmbrs only for names and periods)."""
    current = {"M": 12, "4W": 13, "W": 52}
    return {
        "accounts": [{"username": USERNAME, "token": TOKEN, "domain": DOMAIN,
                      "permissions": "all",
                      "companies": [c.company_id for c in ledger_companies(companies)]}],
        "companies": [
            {"id": c.company_id, "number": c.index + 1, "name": f"Bench Company {c.index + 1} BV",
             "period_type": c.period_type, "current_period": f"{YEAR}-{current[c.period_type]}",
             "hour_codes": {2100: "Gewerkte uren", 3200: "Ziek"}}
            for c in ledger_companies(companies)
        ],
    }  # fmt: skip


def sync_config(companies: int) -> str:
    """The sync config (YAML is JSON) of the ledger's companies."""
    return json.dumps(
        {
            "warehouse_conn_id": "bench_warehouse",
            "hour_codes": {"worked": 2100, "purposes": {"sick_leave": 3200}},
            "companies": [
                {"company_id": c.company_id, "nmbrs_conn_id": "bench_nmbrs",
                 "organisations": [c.index + 1], "period_type": c.period_type}
                for c in ledger_companies(companies)
            ],
        },
        indent=1,
    )  # fmt: skip


def _env(
    home: Path, port: int, password: str, warehouse_json: str, sandbox_url: str, companies: int
) -> dict[str, str]:
    from dev.airflow_home import airflow_env

    env = airflow_env(home)
    (home / "passwords.json").write_text(json.dumps({USER: password}), "utf-8")
    (home / "nmbrs_sync.yaml").write_text(sync_config(companies), "utf-8")
    env.update(
        {
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__API__HOST": HOST,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://{HOST}:{port}",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "NMBRS_SYNC_CONFIG": str(home / "nmbrs_sync.yaml"),
            "AIRFLOW_CONN_BENCH_WAREHOUSE": warehouse_json,
            "AIRFLOW_CONN_BENCH_NMBRS": json.dumps(
                {"conn_type": "nmbrs", "login": USERNAME, "password": TOKEN,
                 "host": sandbox_url, "extra": {"domain": DOMAIN}}
            ),
        }
    )  # fmt: skip
    return env


@contextlib.contextmanager
def api_server(env: dict[str, str], home: Path, port: int) -> Iterator[str]:
    """A real ``airflow api-server`` on 127.0.0.1:``port``; stopped (its process group) after."""
    import httpx

    subprocess.run([AIRFLOW, "db", "migrate"], env=env, cwd=ROOT, check=True,
                   capture_output=True)  # fmt: skip
    log = (home / "api-server.log").open("ab")
    proc = subprocess.Popen(
        [AIRFLOW, "api-server", "--host", HOST, "--port", str(port)],
        env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    log.close()
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            if proc.poll() is not None:
                raise RuntimeError("the API server exited:\n" + _tail(home / "api-server.log"))
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/api/v2/monitor/health", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    "the API server did not start:\n" + _tail(home / "api-server.log")
                )
            time.sleep(1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _tail(path: Path) -> str:
    return path.read_text("utf-8", "replace")[-4000:] if path.exists() else ""


def endpoints(db: Any, companies: int) -> list[tuple[str, str, str]]:
    """(label, path, a marker the answer must contain) for every endpoint measured."""
    from nmbrs_provider.ui.queries import PAGE_SIZE

    every = ledger_companies(companies)
    monthly = next(c for c in every if c.period_type == "M")
    weekly = next((c for c in every if c.period_type == "W"), monthly)
    runs = db.query("select count(*) from nmbrs_sync.runs where company_id = %s::text",
                    (weekly.company_id,))[0][0]  # fmt: skip
    last_page = (runs - 1) // PAGE_SIZE * PAGE_SIZE

    def latest(company: int, status: str) -> str:
        return db.query(
            "select run_id from nmbrs_sync.runs where company_id = %s::text and status = %s"
            " order by started_at desc limit 1", (company, status))[0][0]  # fmt: skip

    done, dry = latest(monthly.company_id, "succeeded"), latest(monthly.company_id, "dry_run")
    sent = db.query("select count(*) from nmbrs_sync.sent_lines where run_id = %s", (done,))[0][0]
    done, dry = quote(done, safe=""), quote(dry, safe="")
    last_sent = (sent - 1) // PAGE_SIZE * PAGE_SIZE
    period = f"{YEAR}-{PERIODS['M'] - 1}-M"
    return [
        ("companies (live period cached)", "/nmbrs/", 'id="companies"'),
        (f"history, monthly company ({monthly.company_id})",
         f"/nmbrs/history?company={monthly.company_id}", 'id="history"'),
        (f"history, weekly company ({weekly.company_id}), first page",
         f"/nmbrs/history?company={weekly.company_id}", 'id="history"'),
        (f"history, weekly company, last page (offset {last_page})",
         f"/nmbrs/history?company={weekly.company_id}&offset={last_page}", 'id="history"'),
        (f"history, one period ({period})",
         f"/nmbrs/history?company={monthly.company_id}&period={period}", 'id="history"'),
        ("run: balance, exclusions by reason, sent lines", f"/nmbrs/run?id={done}",
         'id="sent"'),
        (f"run, last page of {sent:,} sent lines", f"/nmbrs/run?id={done}&sent_offset={last_sent}",
         'id="sent"'),
        ("dry run: exclusions and the plan diff", f"/nmbrs/run?id={dry}", 'id="plan"'),
    ]  # fmt: skip


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def time_endpoints(url: str, password: str, targets: list, requests: int) -> list[dict]:
    """Log in, then request every target ``requests`` times (round robin, after a warm-up)."""
    import httpx

    token = httpx.post(f"{url}/auth/token", json={"username": USER, "password": password},
                       timeout=60).raise_for_status().json()["access_token"]  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    samples: dict[str, list[float]] = {label: [] for label, _, _ in targets}
    sizes: dict[str, int] = {}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for label, path, marker in targets:  # warm-up: the live Nmbrs call, caches, imports
            answer = client.get(path)
            if answer.status_code != 200 or marker not in answer.text:
                raise RuntimeError(f"{path}: HTTP {answer.status_code}\n{answer.text[:2000]}")
            sizes[label] = len(answer.content)
        if client.get("/nmbrs/", headers={"Authorization": ""}).status_code != 401:
            raise RuntimeError("an anonymous request was not refused")
        for _ in range(requests):
            for label, path, _ in targets:
                began = time.perf_counter()
                answer = client.get(path)
                samples[label].append(time.perf_counter() - began)
                answer.raise_for_status()
    return [
        {"endpoint": label, "path": path, "median_ms": statistics.median(samples[label]) * 1000,
         "p95_ms": _p95(samples[label]) * 1000, "max_ms": max(samples[label]) * 1000,
         "kib": sizes[label] / 1024, "requests": requests}
        for label, path, _ in targets
    ]  # fmt: skip


def measure_page(
    employees: int = DEFAULT_EMPLOYEES, companies: int = 20, requests: int = 30, seed: int = 1
) -> dict[str, Any]:
    """Seed, serve and time the page; returns the sizes, the seeding time and one row per
    endpoint (``median_ms``, ``p95_ms``, ``max_ms``, ``kib``)."""
    from dev.local_warehouse import start_warehouse
    from nmbrs_sandbox import Sandbox, Scenario

    if threading.current_thread() is threading.main_thread():  # stop the servers on SIGTERM
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Not under a 0700 directory: as root, pgserver runs PostgreSQL as user "pgserver".
    base = Path(tempfile.mkdtemp(prefix="nmbrs-bench-page-"))
    try:
        with start_warehouse(base / "pgdata", dbname="bench", durable=False) as warehouse:
            began = time.perf_counter()
            counts = seed_ledger(warehouse, companies, employees, seed)
            seed_s = time.perf_counter() - began
            size = warehouse.query("select pg_database_size(current_database())")[0][0]
            targets = endpoints(warehouse, companies)
            scenario = Scenario.from_dict(sandbox_scenario(companies))
            with Sandbox(scenario).start(host=HOST, port=0) as sandbox:
                home, port, password = base / "airflow", _port(), secrets.token_urlsafe(12)
                home.mkdir()
                conn = warehouse.airflow_conn_json()
                env = _env(home, port, password, conn, sandbox.url, companies)
                with api_server(env, home, port) as url:
                    loads = [os.getloadavg()[0]]
                    before = time_endpoints(url, password, targets, requests)
                    loads.append(os.getloadavg()[0])
                    began = time.perf_counter()
                    warehouse.run_sql_file(ROOT / "include" / "sql" / "ledger_schema.sql")
                    migrate_s = time.perf_counter() - began
                    warehouse.execute("vacuum (analyze) nmbrs_sync.runs")  # as autovacuum would
                    stored = warehouse.query(
                        "select count(*) from nmbrs_sync.runs where totals_at is not null"
                    )[0][0]
                    loads.append(os.getloadavg()[0])
                    after = time_endpoints(url, password, targets, requests)
                    loads.append(os.getloadavg()[0])
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if stored != counts["runs"]:
        raise RuntimeError(f"the migration stored the totals of {stored} of {counts['runs']} runs")
    rows = [
        {**a, **{f"before_{k}": b[k] for k in ("median_ms", "p95_ms", "max_ms")}}
        for b, a in zip(before, after, strict=True)
    ]
    return {"employees": employees, "companies": companies, "seed_s": seed_s,
            "database_mib": size / 2**20, "load_average": max(loads),
            "load_averages": loads, "migrate_s": migrate_s, **counts,
            "endpoints": rows}  # fmt: skip


def render(result: dict[str, Any]) -> str:
    """A markdown table: median and p95 per endpoint before and after the runs stored their
    totals, against the target."""
    worst = max(row["p95_ms"] for row in result["endpoints"])
    worst_before = max(row.get("before_p95_ms", row["p95_ms"]) for row in result["endpoints"])
    loads = ", ".join(f"{v:.1f}" for v in result.get("load_averages", [])) or "?"
    lines = [
        f"### Nmbrs page: a year of runs of {result['companies']} companies with "
        f"{result['employees']:,} employees",
        "",
        f"Ledger: {result['runs']:,} runs, {result['sent_lines']:,} sent lines, "
        f"{result['plan_lines']:,} plan lines, {result['excluded_hours']:,} excluded rows "
        f"({result['database_mib']:,.0f} MiB; seeded in {result['seed_s']:.0f} s, not measured). "
        f"{result['endpoints'][0]['requests']} requests per endpoint through a real "
        "`airflow api-server`, authenticated, in one run: *before*, the runs have no stored "
        "totals (a ledger from before they existed: the page sums each listed run's lines); "
        "then the ledger DDL stores them "
        f"({result.get('migrate_s', float('nan')):.1f} s for every run, once); *after*, "
        "the runs' totals are read from their rows. The machine's 1-minute load average was "
        f"{loads} (before, after the first timing, after the migration, at the end) on "
        f"{os.cpu_count()} CPUs.",
        "",
        "| endpoint | before: median (ms) | before: p95 (ms) | after: median (ms) "
        "| after: p95 (ms) | after: max (ms) | answer (KiB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["endpoints"]:
        lines.append(
            f"| {row['endpoint']} | {row.get('before_median_ms', float('nan')):.0f} | "
            f"{row.get('before_p95_ms', float('nan')):.0f} | {row['median_ms']:.0f} | "
            f"{row['p95_ms']:.0f} | {row['max_ms']:.0f} | {row['kib']:.0f} |"
        )
    verdict = "yes" if worst < TARGET_SECONDS * 1000 else "NO"
    verdict_before = "yes" if worst_before < TARGET_SECONDS * 1000 else "NO"
    lines.append(
        f"| **every p95 under {TARGET_SECONDS:g} s** | | **{verdict_before}** | | "
        f"**{verdict}** | | |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m bench.ui_page``."""
    parser = argparse.ArgumentParser(prog="python -m bench.ui_page", description=__doc__)
    parser.add_argument("--employees", type=int, default=DEFAULT_EMPLOYEES)
    parser.add_argument("--companies", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = measure_page(args.employees, args.companies, args.requests, args.seed)
    print(json.dumps(result) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
