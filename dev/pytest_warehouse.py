"""Pytest plugin: a real PostgreSQL for tests, one fresh database per test.

Register it in the top-level ``tests/conftest.py``::

    pytest_plugins = ["dev.pytest_warehouse"]

Fixtures:

``warehouse`` (session)
    The server, a :class:`dev.local_warehouse.Warehouse`. By default an embedded server in a
    temporary directory (started once per session, about 1.5 s; fsync off). If the environment
    variable ``NMBRS_TEST_POSTGRES_URI`` is set (e.g. ``postgresql://user:pw@127.0.0.1:5432/postgres``)
    that server is used instead; its role needs CREATEDB. Test databases are created there and
    dropped afterwards.

``warehouse_db`` (function)
    A new, empty database with ``include/sql/keeping_schema.sql`` applied, cloned from a
    per-session template (tens of milliseconds), dropped after the test. A
    :class:`dev.local_warehouse.Database` with ``.uri``, ``.dbname``, ``.airflow_conn_json()``,
    ``.execute(sql, params)``, ``.query(sql, params)``, ``.query_dicts(sql, params)``,
    ``.query_df(sql, params)`` and
    ``.run_sql_file(path, params)``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dev.local_warehouse import SQL_DIR, Database, Warehouse, start_warehouse

ENV_URI = "NMBRS_TEST_POSTGRES_URI"
KEEPING_SCHEMA = SQL_DIR / "keeping_schema.sql"


@pytest.fixture(scope="session")
def warehouse() -> Iterator[Warehouse]:
    """The PostgreSQL server for this test session (embedded, or ``NMBRS_TEST_POSTGRES_URI``)."""
    uri = os.environ.get(ENV_URI)
    if uri:
        external = Warehouse.from_uri(uri)
        external.query("select 1")  # fail early, with the driver's own message
        yield external
        return
    # Not under pytest's basetemp: when run as root, pgserver runs PostgreSQL as the user
    # "pgserver", which needs to traverse the path, and pytest keeps resetting its
    # /tmp/pytest-of-<user> directory to mode 0700 (also from concurrent sessions).
    base = Path(tempfile.mkdtemp(prefix="nmbrs-warehouse-"))
    try:
        with start_warehouse(base / "pgdata", dbname="postgres", durable=False) as embedded:
            yield embedded
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def warehouse_template(warehouse: Warehouse) -> Iterator[str]:
    """Name of a session-scoped database holding the keeping schema, cloned per test."""
    name = f"nmbrs_tpl_{os.getpid()}_{secrets.token_hex(3)}"
    template = warehouse.create_database(name)
    try:
        template.run_sql_file(KEEPING_SCHEMA)
        yield name
    finally:
        warehouse.drop_database(name)


@pytest.fixture
def warehouse_db(
    warehouse: Warehouse, warehouse_template: str, request: pytest.FixtureRequest
) -> Iterator[Database]:
    """A fresh database with the keeping schema (and no rows), dropped after the test."""
    label = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")[:36]
    name = f"t_{label}_{secrets.token_hex(3)}"
    # The embedded server runs without fsync: copying files beats WAL-logging every block.
    strategy = "file_copy" if warehouse.data_dir is not None else None
    db = warehouse.create_database(name, template=warehouse_template, strategy=strategy)
    try:
        yield db
    finally:
        warehouse.drop_database(name)
