"""Fixtures of the REST client tests: a real PostgreSQL token store and a token key."""

from __future__ import annotations

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
