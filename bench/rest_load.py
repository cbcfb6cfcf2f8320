"""The REST half of the load bench: its ``nmbrs_rest`` connection, the one authorization before
the clock starts, and the table that puts SOAP and REST side by side.

The same scenario runs on the sandbox's REST API (the sandbox serves both APIs from one world),
through the same pipeline (``bench/sync_load.py`` with ``api="rest"``: the company ids of the
config are the REST UUIDs). The grant is stored, encrypted, in the bench's warehouse, as a
person running ``python -m nmbrs_provider authorize`` would leave it; the sandbox's identity
server logs the bench's user in at once (auto-login).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from bench.scenario import USERNAME

if TYPE_CHECKING:
    from bench.scenario import BenchScenario

REST_CONN_ID = "bench_nmbrs_rest"
#: What the rows of the side-by-side table group: the SOAP and the REST operations doing it.
PURPOSES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("current period", ("Company_GetCurrentPeriod",), ("getCurrentPeriod",)),
    ("employees and contract facts (company-wide)",
     ("List_GetByCompany", "PersonalInfo_GetAll_AllEmployeesByCompany",
      "Employment_GetAll_AllEmployeesByCompany", "Salary_GetAll_AllEmployeesByCompany",
      "Schedule_GetAll_AllEmployeesByCompany"),
     ("getEmployeesByCompany", "getEmploymentsByCompany", "getSalariesByCompany",
      "getSchedulesByCompany")),
    ("hour codes (company-wide)", ("HourModel_GetHourCodes",), ("getHourCodesByCompany",)),
    ("hour components read (per employee)", ("HourComponentVar_Get",),
     ("getVariableHourComponentsByEmployee",)),
    ("days worked read (per employee)", ("DaysVarWorked_Get",), ("GetVariableWorkedDays",)),
    ("hour components deleted", ("HourComponent_Delete",), ("deleteEmployeeHours",)),
    ("hour components updated", (), ("updateEmployeeVariableHours",)),
    ("hour components inserted", ("HourComponentVar_Insert_Batch",),
     ("createVariableHourComponent",)),
    ("days worked written", ("DaysVar_Set_Batch",), ("CreateVariableWorkedDays",)),
    ("OAuth token (identity server)", (), ("token",)),
)  # fmt: skip


def rest_conn(url: str, warehouse_conn_id: str, calls_per_second: float, max_concurrency: int):
    """The bench's ``nmbrs_rest`` connection to the sandbox (its demo OAuth client)."""
    from nmbrs_sandbox.rest.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    return {
        "conn_type": "nmbrs_rest",
        "login": DEMO_CLIENT_ID,
        "password": DEMO_CLIENT_SECRET,
        "host": url,
        "extra": {
            "identity_url": url,
            "warehouse_conn_id": warehouse_conn_id,
            "calls_per_second": calls_per_second,
            "max_concurrency": max_concurrency,
        },
    }


@contextlib.contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def authorize_once(sandbox: Any, username: str, env: Mapping[str, str]) -> None:
    """Authorize ``REST_CONN_ID`` as ``username`` (the sandbox logs in at once), in this process
    with ``env`` (the connections and ``NMBRS_TOKEN_KEY``): the real loopback flow."""
    import requests

    from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook
    from nmbrs_provider.rest.authorize import authorize
    from nmbrs_provider.rest.token_store import TokenStore

    sandbox.auth.set_auto_login(username)
    with _environ(env):
        settings = NmbrsRestHook(nmbrs_conn_id=REST_CONN_ID).settings
        printed: queue.Queue[str] = queue.Queue()
        failed: list[BaseException] = []

        def run() -> None:
            try:
                authorize(settings, TokenStore(settings.warehouse_conn_id), port=0,
                          open_browser=False, out=printed.put, wait_seconds=120)  # fmt: skip
            except BaseException as exc:  # reported below
                failed.append(exc)
                printed.put("")

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        first = printed.get(timeout=120)
        url = next((w for w in first.split() if "/connect/authorize" in w), None)
        if url is not None:
            requests.get(url, timeout=60)  # the auto-login redirects to the loopback listener
        worker.join(120)
    if failed or worker.is_alive():
        raise SystemExit(f"authorizing the bench's REST connection failed: {failed}")


def rest_env(conn: dict[str, Any], token_key: str) -> dict[str, str]:
    """The environment naming the REST connection and the key of its stored grant."""
    return {f"AIRFLOW_CONN_{REST_CONN_ID.upper()}": json.dumps(conn), "NMBRS_TOKEN_KEY": token_key}


def _rate(count: int, flexible: int) -> str:
    return f"{count / flexible:.2f}" if count else "-"


def compare_table(
    title: str, flexible: int, budget: dict[str, float], results: dict[str, dict[str, Any]]
) -> str:
    """SOAP and REST side by side: calls per flexible employee by what they do, wall time, the
    budget floor (calls / calls_per_second) and the throttle's answers.

    ``results`` maps column names ("SOAP, first run", ...) to a run's measurements, each with
    ``api`` ("soap"/"rest"), ``calls`` (a Counter by operation), ``faulted`` (the calls
    answered with a fault or an error, by operation: SOAP's write-permission probe), ``wall_s``,
    ``throttled``, ``busiest_second`` and ``state_ok``.
    """
    cols = list(results)
    served = {c: results[c]["calls"] - results[c].get("faulted", Counter()) for c in cols}
    rows: list[tuple[str, ...]] = []
    mapped: set[str] = set()
    for label, soap_ops, rest_ops in PURPOSES:
        mapped |= set(soap_ops) | set(rest_ops)
        cells = []
        for c in cols:
            ops = soap_ops if results[c]["api"] == "soap" else rest_ops
            cells.append(_rate(sum(served[c].get(op, 0) for op in ops), flexible))
        rows.append((label, *cells))
    others: Counter[str] = Counter()
    for c in cols:
        others.update({op: n for op, n in served[c].items() if op not in mapped})
    for op in sorted(others):
        rows.append((op, *(_rate(served[c].get(op, 0), flexible) for c in cols)))
    faulted = {c: sum(results[c].get("faulted", Counter()).values()) for c in cols}
    rows.append(
        ("answered with a fault (SOAP: the write-permission probe; REST: 429)",
         *(_rate(faulted[c], flexible) for c in cols))
    )  # fmt: skip
    totals = {c: sum(results[c]["calls"].values()) for c in cols}
    floors = {c: totals[c] / budget[results[c]["api"]] for c in cols}

    def row(label: str, value: Any) -> tuple[str, ...]:
        return (label, *(value(c) for c in cols))

    rows += [
        row("**calls per flexible employee**", lambda c: f"**{totals[c] / flexible:.2f}**"),
        row("calls, total", lambda c: f"{totals[c]:,}"),
        row("wall time (s)", lambda c: f"{results[c]['wall_s']:.1f}"),
        row("budget floor = calls / calls_per_second (s)", lambda c: f"{floors[c]:.1f}"),
        row("**wall / floor**", lambda c: f"**{results[c]['wall_s'] / floors[c]:.2f}x**"),
        row("busiest second (calls arrived)", lambda c: str(results[c]["busiest_second"])),
        row("throttled calls (SOAP: delayed; REST: 429)", lambda c: str(results[c]["throttled"])),
        row("Nmbrs holds the desired state", lambda c: "yes" if results[c]["state_ok"] else "NO"),
    ]
    lines = [title, "", "| calls per flexible employee | " + " | ".join(cols) + " |",
             "|---|" + "---:|" * len(cols)]  # fmt: skip
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def rest_budget(args: argparse.Namespace) -> float:
    """The REST connection's ``calls_per_second`` in this bench."""
    return args.rest_calls_per_second or args.calls_per_second


def rest_settings(args: argparse.Namespace) -> str:
    """The REST connection's settings, for the results' settings line."""
    if args.no_rest:
        return ""
    return (
        f" REST connection: `calls_per_second: {rest_budget(args):g}`, "
        f"`max_concurrency: {args.max_concurrency}` (the same budget as SOAP's)."
    )


def authorized_rest(sandbox: Any, args: argparse.Namespace, env: dict[str, str]) -> dict[str, str]:
    """The REST connection's environment, its grant stored (authorized once, not measured)."""
    from cryptography.fernet import Fernet

    from bench.sync_load import WAREHOUSE_CONN_ID

    conn = rest_conn(sandbox.url, WAREHOUSE_CONN_ID, rest_budget(args), args.max_concurrency)
    found = rest_env(conn, Fernet.generate_key().decode())
    authorize_once(sandbox, USERNAME, {**env, **found})
    return found


def compare_apis(
    bench: BenchScenario, args: argparse.Namespace, soap: dict[str, dict], rest: list[dict]
) -> str:
    """The project on SOAP and on REST side by side (``bench/rest_load.py``)."""
    title = (
        f"### SOAP and REST: {bench.employees:,} employees, {bench.companies} companies, "
        f"{args.latency_ms:g} ms latency ({len(bench.desired):,} flexible)"
    )
    columns = {
        "SOAP, first run": soap["first run"],
        "REST, first run": rest[0],
        "SOAP, re-run": soap["re-run"],
        "REST, re-run": rest[1],
    }
    budget = {"soap": args.calls_per_second, "rest": rest_budget(args)}
    return compare_table(title, len(bench.desired), budget, columns)
