"""`make airflow`: the world of `make demo` with a real Airflow to click through.

Starts, on 127.0.0.1 only: the embedded PostgreSQL warehouse with the demo data, the Nmbrs
sandbox, and Airflow (SQLite metadata under .demo/airflow-ui: api-server, scheduler,
dag-processor, triggerer) with the connections and the sync config. Prints the URL and the
login, then waits; Ctrl-C (or SIGTERM) stops every process it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from dev.airflow_home import airflow_env
from dev.demo import _nmbrs_conn
from dev.local_warehouse import seed_demo, start_warehouse
from nmbrs_sandbox import Sandbox, Scenario

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".demo" / "airflow-ui"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
HOST = "127.0.0.1"
USER = "admin"
SERVICES = (
    ("api-server", "--host", HOST),
    ("scheduler", "--skip-serve-logs"),
    ("dag-processor",),
    ("triggerer", "--skip-serve-logs"),
)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _env(port: int, sandbox_url: str, warehouse_json: str, password: str) -> dict[str, str]:
    env = airflow_env(HOME)
    passwords = HOME / "passwords.json"
    passwords.write_text(json.dumps({USER: password}), "utf-8")
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{HOST}:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__API__HOST": HOST,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://{HOST}:{port}",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "NMBRS_SYNC_CONFIG": str(ROOT / "include" / "nmbrs_sync.yaml"),
            "AIRFLOW_CONN_KEEPING_WAREHOUSE": warehouse_json,
        }
    )
    env["_NMBRS_DEMO_CONN"] = _nmbrs_conn(sandbox_url, "demo@example.com", "sandbox-demo-token")
    return env


def _save_connection(env: dict[str, str]) -> None:
    """nmbrs_default as a saved connection (the UI lists and edits only those)."""
    conn = json.loads(env.pop("_NMBRS_DEMO_CONN"))
    subprocess.run(
        [AIRFLOW, "connections", "add", "nmbrs_default", "--conn-type", "nmbrs",
         "--conn-login", conn["login"], "--conn-password", conn["password"],
         "--conn-host", conn["host"], "--conn-extra", json.dumps(conn["extra"])],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip


def _wait_for(url: str, procs: list[subprocess.Popen], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit(f"an Airflow service exited; see {HOME / 'services'}")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - http://127.0.0.1
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise SystemExit(f"the API server did not answer on {url}; see {HOME / 'services'}")


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> int:
    """Start everything, print the URL and login, wait for Ctrl-C, stop everything."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    shutil.rmtree(HOME, ignore_errors=True)
    (HOME / "services").mkdir(parents=True)
    procs: list[subprocess.Popen] = []
    with start_warehouse(ROOT / ".demo" / "pgdata") as warehouse:
        seed_demo(warehouse)
        with Sandbox(Scenario.demo()).start() as sandbox:
            port, password = _port(), secrets.token_urlsafe(12)
            env = _env(port, sandbox.url, warehouse.airflow_conn_json(), password)
            subprocess.run([AIRFLOW, "db", "migrate"], env=env, cwd=ROOT, check=True,
                           capture_output=True)  # fmt: skip
            _save_connection(env)
            try:
                for name, *args in SERVICES:
                    log = (HOME / "services" / f"{name}.log").open("ab")
                    extra = ["--port", str(port)] if name == "api-server" else []
                    procs.append(
                        subprocess.Popen(
                            [AIRFLOW, name, *args, *extra], env=env, cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )  # fmt: skip
                    log.close()
                    if name == "api-server":
                        _wait_for(f"http://{HOST}:{port}/api/v2/monitor/health", procs)
                print(
                    f"\nAirflow is up at http://{HOST}:{port}/  (login {USER} / {password})\n"
                    f"Nmbrs sandbox at {sandbox.url}, warehouse at {HOST}:{warehouse.port}.\n"
                    f"Trigger nmbrs_payroll_sync (Params form), then open 'Nmbrs payroll' in "
                    f"the navigation. Logs: {HOME / 'services'}. Ctrl-C stops everything.",
                    flush=True,
                )
                while all(p.poll() is None for p in procs):
                    time.sleep(1)
                print("An Airflow service exited; stopping.", file=sys.stderr)
                return 1
            except KeyboardInterrupt:
                return 0
            finally:
                _stop(procs)
                print("Stopped Airflow, the sandbox and the warehouse.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
