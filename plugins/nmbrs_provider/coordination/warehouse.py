"""The Airflow side of the shared call budgets: the warehouse connection, the task's scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nmbrs_provider.coordination.scope import (
    BudgetCoordinator,
    default_holder,
    shared_call_budgets,
)

#: libpq settings of a Postgres connection's extra that the budget's connection keeps too.
_LIBPQ_EXTRA = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "target_session_attrs")


def postgres_connect(conn_id: str) -> Callable[[], Any]:
    """A function opening a new psycopg2 connection of Airflow connection ``conn_id``.

    The connection is looked up once, here (in the task's main thread); the heartbeat thread
    only calls the function.
    """
    import psycopg2
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    extra = conn.extra_dejson
    kwargs: dict[str, Any] = {
        "host": conn.host or None,
        "port": conn.port or None,
        "user": conn.login or None,
        "password": conn.password or None,
        "dbname": conn.schema or extra.get("dbname") or None,
        **{key: extra[key] for key in _LIBPQ_EXTRA if extra.get(key)},
    }
    kwargs = {key: value for key, value in kwargs.items() if value is not None}

    def connect() -> Any:
        return psycopg2.connect(**kwargs, connect_timeout=3, application_name="nmbrs-budget")

    return connect


@contextmanager
def task_call_budgets(warehouse_conn_id: str, context: Any) -> Iterator[BudgetCoordinator]:
    """Pace the task's Nmbrs calls on leases in the warehouse of ``warehouse_conn_id``."""
    ti = context.get("ti") if context else None
    task = ""
    if ti is not None:
        task = (
            f"{ti.dag_id}/{ti.task_id}[{getattr(ti, 'map_index', -1)}]"
            f" try {getattr(ti, 'try_number', '?')}"
        )
    with shared_call_budgets(postgres_connect(warehouse_conn_id), default_holder(task)) as c:
        yield c
