"""A private Airflow 3 installation with its own services, for tests that need the scheduler.

``AirflowServices`` owns one AIRFLOW_HOME (SQLite metadata, LocalExecutor) and starts the API
server (REST and execution API, bound to 127.0.0.1 on a free port) and the scheduler in the
background, each in its own process group. ``stop()`` (also via ``with``) terminates every
process it started and all their descendants, then kills whatever did not exit.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil

from dev.airflow_home import airflow_env
from tests.airflow_fixtures import AIRFLOW, ROOT, run_airflow

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def base_env(home: Path) -> dict[str, str]:
    """Environment of every Airflow process of ``home``: SQLite, LocalExecutor, the repo's DAGs."""
    return airflow_env(home)


def migrated_database(directory: Path) -> Path:
    """An ``airflow.db`` with the current schema in ``directory`` (copy it per installation)."""
    directory.mkdir(parents=True, exist_ok=True)
    run_airflow(base_env(directory), "db", "migrate")
    return directory / "airflow.db"


class AirflowServices:
    """An AIRFLOW_HOME of its own, its CLI, and its API server and scheduler.

    :param home: the AIRFLOW_HOME (created; logs of the services go to ``home/services``).
    :param extra_env: variables for every process (connections, the sync's settings).
    :param database: an already migrated ``airflow.db`` to copy instead of migrating.
    """

    def __init__(
        self, home: Path, extra_env: Mapping[str, str], database: Path | None = None
    ) -> None:
        self.home = home
        self.port = free_port()
        home.mkdir(parents=True, exist_ok=True)
        (home / "services").mkdir(exist_ok=True)
        self.env = base_env(home)
        self.env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{HOST}:{self.port}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__API__HOST": HOST,
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__BASE_URL": f"http://{HOST}:{self.port}",
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            }
        )
        self.env.update(extra_env)
        if database is not None:
            shutil.copyfile(database, home / "airflow.db")
        else:
            self.cli("db", "migrate")
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    # ------------------------------------------------------------------------------ the CLI
    def cli(self, *args: str, check: bool = True, timeout: float = 300):
        """Run ``airflow *args`` in this installation."""
        return run_airflow(self.env, *args, check=check, timeout=timeout)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query on the metadata database."""
        uri = f"file:{self.home / 'airflow.db'}?mode=ro"
        with sqlite3.connect(uri, uri=True, timeout=30) as conn:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, params).fetchall()

    def task_states(self, dag_id: str, run_id: str) -> dict[str, list[str]]:
        """States of a run's task instances by task id (mapped ones in map-index order)."""
        states: dict[str, list[str]] = {}
        for row in self.query(
            "select task_id, state from task_instance where dag_id = ? and run_id = ?"
            " order by task_id, map_index",
            (dag_id, run_id),
        ):
            states.setdefault(row["task_id"], []).append(row["state"])
        return states

    # ------------------------------------------------------------------------- the services
    def start(self, timeout: float = 120, *, scheduler: bool = True) -> AirflowServices:
        """Start the API server, wait until it answers, then start the scheduler (if asked)."""
        try:
            self._spawn("api-server", "api-server", "--host", HOST, "--port", str(self.port))
            self._wait_for_api(timeout)
            if scheduler:
                # Without its log server, which would listen on every interface at a fixed
                # port; the task logs are files in this AIRFLOW_HOME anyway.
                self._spawn("scheduler", "scheduler", "--skip-serve-logs")
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, *args: str) -> None:
        log = (self.home / "services" / f"{name}.log").open("ab")
        try:
            self._procs[name] = subprocess.Popen(
                [AIRFLOW, *args],
                env=self.env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, ended as a whole by stop()
            )
        finally:
            log.close()

    def _wait_for_api(self, timeout: float) -> None:
        url = f"http://{HOST}:{self.port}/api/v2/monitor/health"
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the API server did not answer on {url} within {timeout:.0f}s\n" + self.logs()
                )
            time.sleep(1)

    def get_json(self, path: str) -> Any:
        """``GET path`` on the API server (all-admins mode: no login needed), parsed."""
        url = f"http://{HOST}:{self.port}{path}"
        with urllib.request.urlopen(url, timeout=60) as response:
            return json.loads(response.read())

    def check_alive(self) -> None:
        """Fail, with the logs, when a service has exited."""
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"airflow {name} exited with {proc.returncode}\n{self.logs()}")

    def logs(self, tail: int = 4000) -> str:
        """The end of each service's log."""
        parts = []
        for path in sorted((self.home / "services").glob("*.log")):
            text = path.read_text(errors="replace")
            parts.append(f"--- {path.name}\n{text[-tail:]}")
        return "\n".join(parts)

    def stop(self, grace: float = 20) -> None:
        """End every process started here and its descendants: TERM, then KILL what is left."""
        procs = list(self._procs.values())
        self._procs.clear()
        family: list[psutil.Process] = []
        for proc in procs:
            try:
                parent = psutil.Process(proc.pid)
                family.append(parent)
                family.extend(parent.children(recursive=True))
            except psutil.NoSuchProcess:
                pass
        for proc in procs:
            _signal_group(proc.pid, signal.SIGTERM)
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.terminate()
        _, alive = psutil.wait_procs(family, timeout=grace)
        for proc in procs:
            _signal_group(proc.pid, signal.SIGKILL)
        for member in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.kill()
        psutil.wait_procs(alive, timeout=10)
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)

    def __enter__(self) -> AirflowServices:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    """Signal the process group ``pgid`` (one this module created with start_new_session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
