"""Fixtures of the REST client tests: a real PostgreSQL token store and a token key."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from nmbrs_provider.rest.token_store import TokenStore

STORE_CONN_ID = "keeping_warehouse"


@pytest.fixture
def token_key(monkeypatch) -> str:
    """A fresh ``NMBRS_TOKEN_KEY``."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("NMBRS_TOKEN_KEY", key)
    return key


@pytest.fixture
def store_db(warehouse_db, monkeypatch, token_key):
    """A fresh warehouse database behind ``AIRFLOW_CONN_KEEPING_WAREHOUSE``."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{STORE_CONN_ID.upper()}", warehouse_db.airflow_conn_json())
    return warehouse_db


@pytest.fixture
def store(store_db) -> TokenStore:
    """The token store on ``store_db``."""
    return TokenStore(STORE_CONN_ID)


REST_CONN_ID = "nmbrs_rest_test"
DEMO_LOGIN = "demo@example.com"


def rest_conn_json(url: str, *, client: tuple[str, str] | None = None, **extra) -> str:
    """An ``AIRFLOW_CONN_*`` value for an ``nmbrs_rest`` connection to the sandbox, as OAuth
    ``client`` (id, secret; the sandbox's demo client by default), with ``extra``."""
    from nmbrs_sandbox.rest.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    client_id, secret = client or (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    return json.dumps(
        {
            "conn_type": "nmbrs_rest",
            "login": client_id,
            "password": secret,
            "host": url,
            "extra": {"identity_url": url, **extra},
        }
    )


@pytest.fixture
def rest_conn(nmbrs_sandbox, store_db, monkeypatch) -> str:
    """``nmbrs_rest_test`` on a fresh sandbox, its grant stored in ``store_db``."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{REST_CONN_ID.upper()}", rest_conn_json(nmbrs_sandbox.url))
    return REST_CONN_ID


@pytest.fixture
def authorized(rest_conn, nmbrs_sandbox) -> str:
    """``rest_conn`` authorized once by the demo user (the loopback flow, in this process)."""
    authorize_in_process(rest_conn, nmbrs_sandbox)
    return rest_conn


def authorize_in_process(conn_id: str, sandbox, *, login: str = DEMO_LOGIN) -> list[str]:
    """Run :func:`authorize` with the sandbox's auto-login as ``login``; return what it
    printed."""
    import queue
    import threading

    import requests

    from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook
    from nmbrs_provider.rest.authorize import authorize

    sandbox.auth.set_auto_login(login)
    settings = NmbrsRestHook(nmbrs_conn_id=conn_id).settings
    printed: queue.Queue[str] = queue.Queue()
    result: list[object] = []

    def run() -> None:
        store = TokenStore(settings.warehouse_conn_id)
        done = authorize(settings, store, port=0, open_browser=False, out=printed.put,
                         wait_seconds=120)  # fmt: skip
        result.append(done)

    worker = threading.Thread(target=run)
    worker.start()
    lines = [printed.get(timeout=120)]
    url = next(w for w in lines[0].split() if "/connect/authorize" in w)
    assert requests.get(url, timeout=60).status_code == 200  # follows the redirect to us
    worker.join(120)
    assert result, "authorize did not finish"
    while not printed.empty():
        lines.append(printed.get())
    return [*lines, result[0].message()]
