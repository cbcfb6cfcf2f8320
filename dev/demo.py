"""`make demo`: run the main job end to end on embedded defaults, then stop what it started.

Starts the Nmbrs sandbox on 127.0.0.1, points an Airflow connection at it, lists the companies
the demo API user sees and reports its permissions (and those of a user that lacks some).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nmbrs_sandbox import Sandbox, Scenario

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / ".demo"


def _nmbrs_conn(url: str, username: str, token: str) -> str:
    return json.dumps(
        {
            "conn_type": "nmbrs",
            "login": username,
            "password": token,
            "host": url,
            "extra": {"domain": "demo"},
        }
    )


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so that the cleanup below runs."""
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(title: str, args: list[str], env: dict[str, str]) -> int:
    print(f"\n$ {title}", flush=True)
    return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, check=False).returncode


def main() -> int:
    """Run the demo; return the exit status."""
    DEMO_DIR.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("AIRFLOW_HOME", str(DEMO_DIR / "airflow"))
    with _stop_on_sigterm(), Sandbox(Scenario.demo()).start() as sandbox:
        print(f"Nmbrs sandbox running at {sandbox.url}")
        env["AIRFLOW_CONN_NMBRS_DEFAULT"] = _nmbrs_conn(
            sandbox.url, "demo@example.com", "sandbox-demo-token"
        )
        env["AIRFLOW_CONN_NMBRS_LIMITED"] = _nmbrs_conn(
            sandbox.url, "limited@example.com", "sandbox-limited-token"
        )
        status = _run(
            "python -m nmbrs_provider companies --conn-id nmbrs_default",
            ["-m", "nmbrs_provider", "companies", "--conn-id", "nmbrs_default"],
            env,
        )
        status |= _run(
            "python -m nmbrs_provider check --conn-id nmbrs_default",
            ["-m", "nmbrs_provider", "check", "--conn-id", "nmbrs_default"],
            env,
        )
        limited = _run(
            "python -m nmbrs_provider check --conn-id nmbrs_limited   (an API user lacking two)",
            ["-m", "nmbrs_provider", "check", "--conn-id", "nmbrs_limited"],
            env,
        )
        if limited != 1:
            print(f"expected exit status 1 for the limited user, got {limited}")
            status |= 1
        print(f"\nNmbrs sandbox received {len(sandbox.calls())} calls; stopping it.")
    return status


if __name__ == "__main__":
    sys.exit(main())
