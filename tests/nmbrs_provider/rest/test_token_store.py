"""The token store on a real PostgreSQL: idempotent DDL, ciphertext at rest, one row lock."""

from __future__ import annotations

import threading
import time

import pytest

from nmbrs_provider.rest.token_store import NewTokens, TokenStore

TOKENS = NewTokens(
    "access-AAAA-1111", 3600, "refresh-RRRR-2222", "company.info.read offline_access"
)


def _columns(db) -> set[str]:
    rows = db.query(
        "select column_name from information_schema.columns "
        "where table_schema = 'nmbrs_sync' and table_name = 'oauth_grant'"
    )
    return {r[0] for r in rows}


def test_the_schema_applies_twice_and_from_two_workers_at_once(store_db):
    errors: list[BaseException] = []

    def apply() -> None:
        try:
            TokenStore("keeping_warehouse").apply_schema()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=apply) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    TokenStore("keeping_warehouse").apply_schema()
    assert {"conn_id", "client_id", "refresh_token_enc", "access_token_enc",
            "access_expires_at", "generation", "revoked_at"} <= _columns(store_db)  # fmt: skip


def test_tokens_are_stored_encrypted_and_read_back(store, store_db):
    store.save_authorized("nmbrs_rest_a", "client-1", "http://id", TOKENS)
    raw = store_db.query("select * from nmbrs_sync.oauth_grant")
    text = repr(raw)
    assert "access-AAAA-1111" not in text and "refresh-RRRR-2222" not in text
    grant = store.read("nmbrs_rest_a")
    assert grant.refresh_token == "refresh-RRRR-2222"
    assert grant.access_token == "access-AAAA-1111"
    assert 3500 < grant.access_seconds_left <= 3600 and grant.access_lifetime == 3600
    assert not grant.revoked and grant.generation == 1
    assert "RRRR" not in repr(grant) and "AAAA" not in repr(grant)
    assert store.read("nmbrs_rest_other") is None


def test_authorizing_again_replaces_the_grant_and_clears_a_revocation(store, store_db):
    store.save_authorized("c", "client-1", "http://id", TOKENS)
    with store.locked("c") as locked:
        locked.mark_revoked("invalid_grant: revoked")
    assert store.read("c").revoked
    store.save_authorized("c", "client-1", "http://id", NewTokens("a2", 60, "r2", "s"))
    grant = store.read("c")
    assert (grant.revoked, grant.refresh_token, grant.generation) == (False, "r2", 2)


def test_a_failed_block_under_the_lock_changes_nothing(store):
    store.save_authorized("c", "client-1", "http://id", TOKENS)
    with pytest.raises(RuntimeError), store.locked("c") as locked:
        locked.replace(NewTokens("a2", 60, "r2", "s"))
        raise RuntimeError("crash before commit")
    assert store.read("c").refresh_token == "refresh-RRRR-2222"
    with store.locked("c") as locked:
        locked.replace(NewTokens("a3", 60, "r3", "s"))
    assert (store.read("c").refresh_token, store.read("c").generation) == ("r3", 2)


def test_a_second_process_waits_for_the_row_lock(store, store_db):
    store.save_authorized("c", "client-1", "http://id", TOKENS)
    holding, release, second_done = threading.Event(), threading.Event(), threading.Event()
    seen: list[int] = []

    def first() -> None:
        with store.locked("c") as locked:
            holding.set()
            release.wait(60)
            locked.replace(NewTokens("a2", 60, "r2", "s"))

    def second() -> None:
        with TokenStore("keeping_warehouse").locked("c") as locked:
            seen.append(locked.grant.generation)
        second_done.set()

    a = threading.Thread(target=first)
    a.start()
    assert holding.wait(60)
    b = threading.Thread(target=second)
    b.start()
    deadline = time.monotonic() + 60
    while not _waiting_for_a_lock(store_db):  # the second really blocks in PostgreSQL
        assert time.monotonic() < deadline, "the second locker never waited"
        time.sleep(0.05)
    assert not second_done.is_set()
    release.set()
    a.join(60)
    b.join(60)
    assert seen == [2]  # it saw the first one's committed rotation, not the old row


def _waiting_for_a_lock(db) -> bool:
    rows = db.query(
        "select count(*) from pg_stat_activity where datname = current_database() "
        "and wait_event_type = 'Lock'"
    )
    return rows[0][0] > 0


def test_a_lock_held_too_long_is_a_transient_error_naming_the_connection(store, monkeypatch):
    from nmbrs_provider.exceptions import NmbrsTransientError
    from nmbrs_provider.rest import token_store

    store.save_authorized("c", "client-1", "http://id", TOKENS)
    monkeypatch.setattr(token_store, "LOCK_TIMEOUT_MS", 200)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.locked("c"):
            holding.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(60)
        second = TokenStore("keeping_warehouse")
        with (
            pytest.raises(NmbrsTransientError, match="grant of connection 'c'"),
            second.locked("c"),
        ):
            pass
    finally:
        release.set()
        holder.join(60)
