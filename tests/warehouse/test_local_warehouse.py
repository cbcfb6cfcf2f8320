"""dev/local_warehouse.py: the embedded PostgreSQL used by make targets and tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from dev.local_warehouse import (
    REPO_ROOT,
    Warehouse,
    running_warehouse,
    start_warehouse,
    stop_warehouse,
)

embedded_only = pytest.mark.skipif(
    bool(os.environ.get("NMBRS_TEST_POSTGRES_URI")),
    reason="NMBRS_TEST_POSTGRES_URI is set: tests use an external server",
)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data directory outside pytest's 0700 basetemp (PostgreSQL may run as 'pgserver')."""
    base = Path(tempfile.mkdtemp(prefix="nmbrs-lw-test-"))
    try:
        yield base / "pgdata"
    finally:
        stop_warehouse(base / "pgdata")
        shutil.rmtree(base, ignore_errors=True)


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dev.local_warehouse", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@embedded_only
def test_cli_start_uri_stop_and_restart_keeps_data_and_port(data_dir: Path) -> None:
    started = cli("start", "--data-dir", data_dir)
    assert started.returncode == 0, started.stderr
    uri = cli("uri", "--data-dir", data_dir).stdout.strip()
    assert uri.startswith("postgresql://postgres@127.0.0.1:") and uri.endswith("/warehouse")
    assert uri in started.stdout
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:  # accepting connections already
        cur.execute("create table kept (n int); insert into kept values (42)")

    stopped = cli("stop", "--data-dir", data_dir)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(uri, connect_timeout=3)
    assert cli("uri", "--data-dir", data_dir).returncode == 1

    assert cli("start", "--data-dir", data_dir).returncode == 0
    assert cli("uri", "--data-dir", data_dir).stdout.strip() == uri
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute("select n from kept")
        assert cur.fetchall() == [(42,)]
    conn_json = json.loads(cli("conn-json", "--data-dir", data_dir).stdout)
    assert conn_json == {
        "conn_type": "postgres",
        "host": "127.0.0.1",
        "port": int(uri.rsplit(":", 1)[1][:-10]),
        "schema": "warehouse",
        "login": "postgres",
    }
    assert cli("stop", "--data-dir", data_dir).returncode == 0
    assert "not running" in cli("stop", "--data-dir", data_dir).stdout


@embedded_only
def test_cli_seed_loads_the_demo(data_dir: Path) -> None:
    seeded = cli("seed", "--data-dir", data_dir, "--dbname", "demo")

    assert seeded.returncode == 0, seeded.stderr
    assert "10 users, 225 time entries" in seeded.stdout
    running = running_warehouse(data_dir, dbname="demo")
    assert running is not None
    assert running.query("select count(*) from keeping.users where code = '203'") == [(1,)]


@embedded_only
def test_context_manager_stops_only_a_server_it_started(data_dir: Path) -> None:
    with start_warehouse(data_dir) as outer:
        assert outer.owned and outer.startup_seconds is not None
        with start_warehouse(data_dir, dbname="other") as inner:
            assert not inner.owned and inner.port == outer.port
            assert inner.query("select current_database()") == [("other",)]
        assert outer.query("select 1") == [(1,)]
    assert running_warehouse(data_dir) is None


def test_external_uri_becomes_an_airflow_connection_without_leaking_the_password() -> None:
    external = Warehouse.from_uri(
        "postgresql://sync%40acme:s3cr%2Ft@db.internal:6543/dwh?sslmode=require"
    )

    assert json.loads(external.airflow_conn_json()) == {
        "conn_type": "postgres",
        "host": "db.internal",
        "port": 6543,
        "schema": "dwh",
        "login": "sync@acme",
        "password": "s3cr/t",
        "extra": {"sslmode": "require"},
    }
    assert external.uri == "postgresql://sync%40acme:s3cr%2Ft@db.internal:6543/dwh?sslmode=require"
    assert "s3cr" not in repr(external)
    assert external.database("other").dbname == "other"


def test_a_unix_socket_uri_keeps_its_socket_directory() -> None:
    socket_server = Warehouse.from_uri("postgresql://postgres@/keeping?host=/run/pg&port=5433")

    assert socket_server.uri == "postgresql://postgres@/keeping?host=/run/pg&port=5433"
    assert json.loads(socket_server.airflow_conn_json())["host"] == "/run/pg"
