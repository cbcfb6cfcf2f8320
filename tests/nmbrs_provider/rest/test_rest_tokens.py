"""Access tokens against the sandbox's identity server over HTTP, the grant in real PostgreSQL."""

from __future__ import annotations

import pytest

from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook
from nmbrs_provider.rest.errors import NmbrsGrantError
from nmbrs_provider.rest.token_store import TokenStore
from tests.nmbrs_provider.rest.conftest import authorize_in_process

COMMAND = "python -m nmbrs_provider authorize --conn-id nmbrs_rest_test"


def _token_calls(sandbox, grant_type: str) -> list[dict]:
    return [c for c in sandbox.calls() if c.get("grant_type") == grant_type]


def _expire_stored_access_token(db) -> None:
    db.execute("update nmbrs_sync.oauth_grant set access_expires_at = now()")


def test_authorize_stores_the_grant_and_says_where(rest_conn, nmbrs_sandbox, store_db):
    lines = authorize_in_process(rest_conn, nmbrs_sandbox)
    message = lines[-1]
    assert "Authorized Nmbrs connection 'nmbrs_rest_test' (OAuth client 'sandbox-client'" in message
    assert "table nmbrs_sync.oauth_grant of Postgres connection 'keeping_warehouse'" in message
    assert f"database {store_db.dbname}" in message and "$NMBRS_TOKEN_KEY" in message
    assert "http://127.0.0.1:" in lines[1] and "/callback" in lines[1]
    (grant,) = nmbrs_sandbox.auth.grants()
    assert grant["username"] == "demo@example.com" and not grant["revoked"]
    assert len(_token_calls(nmbrs_sandbox, "authorization_code")) == 1


def test_the_hook_uses_the_stored_token_without_a_refresh(authorized, nmbrs_sandbox):
    hook = NmbrsRestHook(nmbrs_conn_id=authorized)
    ok, message = hook.test_connection()
    assert (ok, message) == (
        True,
        "Connected with OAuth client sandbox-client: 2 companies visible",
    )
    assert hook.tokens.refreshes == 0 and not _token_calls(nmbrs_sandbox, "refresh_token")


def test_an_expired_access_token_is_refreshed_once_and_the_rotation_stored(
    authorized, nmbrs_sandbox, store_db
):
    store = TokenStore("keeping_warehouse")
    before = store.read(authorized)
    _expire_stored_access_token(store_db)
    hook = NmbrsRestHook(nmbrs_conn_id=authorized)
    assert hook.test_connection()[0]
    after = store.read(authorized)
    assert after.refresh_token != before.refresh_token  # rotated and committed
    assert after.generation == before.generation + 1
    # a second task of the same API user reuses the stored access token
    other = NmbrsRestHook(nmbrs_conn_id=authorized)
    assert other.tokens.access_token() == after.access_token and other.tokens.refreshes == 0
    assert [c["reuse_detected"] for c in _token_calls(nmbrs_sandbox, "refresh_token")] == [False]


def test_a_401_refreshes_the_token_once_and_repeats_the_call(authorized, nmbrs_sandbox):
    hook = NmbrsRestHook(nmbrs_conn_id=authorized)
    assert hook.test_connection()[0]
    nmbrs_sandbox.auth.expire_access_tokens()  # Nmbrs ends the token before its time
    assert hook.test_connection()[0]
    assert hook.tokens.refreshes == 1
    assert len(_token_calls(nmbrs_sandbox, "refresh_token")) == 1


def test_a_revoked_grant_names_the_connection_and_the_command(authorized, nmbrs_sandbox, store_db):
    nmbrs_sandbox.auth.revoke_grants(username="demo@example.com")
    _expire_stored_access_token(store_db)
    hook = NmbrsRestHook(nmbrs_conn_id=authorized)
    with pytest.raises(NmbrsGrantError) as caught:
        hook.tokens.access_token()
    assert "Nmbrs connection 'nmbrs_rest_test'" in str(caught.value)
    assert "invalid_grant" in str(caught.value) and str(caught.value).endswith(COMMAND)
    # recorded: the next task fails at once without asking the identity server again
    ok, message = NmbrsRestHook(nmbrs_conn_id=authorized).test_connection()
    assert not ok and message.endswith(COMMAND)
    assert len(_token_calls(nmbrs_sandbox, "refresh_token")) == 1


def test_a_connection_never_authorized_says_what_to_run(rest_conn, nmbrs_sandbox):
    ok, message = NmbrsRestHook(nmbrs_conn_id=rest_conn).test_connection()
    assert not ok
    assert message == (
        "Nmbrs connection 'nmbrs_rest_test': not authorized yet (no grant in table "
        "nmbrs_sync.oauth_grant of Postgres connection 'keeping_warehouse' (database "
        f"{message.split('(database ')[1].split(')')[0]})). Run {COMMAND}"
    )
    assert not nmbrs_sandbox.calls()


def test_another_client_id_than_the_grant_was_given_to_is_refused(
    authorized, monkeypatch, nmbrs_sandbox
):
    from tests.nmbrs_provider.rest.conftest import rest_conn_json

    moved = rest_conn_json(nmbrs_sandbox.url).replace('"sandbox-client"', '"another-app"')
    monkeypatch.setenv("AIRFLOW_CONN_NMBRS_REST_TEST", moved)
    with pytest.raises(NmbrsGrantError, match="belongs to OAuth client 'sandbox-client'"):
        NmbrsRestHook(nmbrs_conn_id=authorized).tokens.access_token()
