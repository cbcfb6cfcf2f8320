"""Two worker processes need a new access token at the same moment: exactly one refreshes.

Both block on the grant's row lock in PostgreSQL (the test holds it first, so both are surely
waiting), then the lock is released: one refreshes and commits the rotated refresh token, the
other finds the new access token under the lock and uses it. The identity server never sees a
refresh token twice, so its reuse detection never revokes the grant.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

from nmbrs_provider.rest.token_store import TokenStore

WORKER = """
import hashlib, json, sys
from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook
hook = NmbrsRestHook(nmbrs_conn_id=sys.argv[1])
hook.settings, hook.tokens.store.apply_schema()
print("ready", flush=True)
sys.stdin.readline()
token = hook.tokens.access_token()
ok, message = hook.test_connection()
print(json.dumps({"ok": ok, "message": message, "refreshes": hook.tokens.refreshes,
                  "token": hashlib.sha256(token.encode()).hexdigest()}), flush=True)
"""


def _lock_waiters(db) -> int:
    rows = db.query(
        "select count(*) from pg_stat_activity where datname = current_database() "
        "and wait_event_type = 'Lock'"
    )
    return int(rows[0][0])


def test_two_processes_refresh_once_and_both_get_a_valid_token(
    authorized, nmbrs_sandbox, store_db, airflow_env
):
    store = TokenStore("keeping_warehouse")
    before = store.read(authorized)
    store_db.execute("update nmbrs_sync.oauth_grant set access_expires_at = now()")
    nmbrs_sandbox.auth.expire_access_tokens()
    env = {**airflow_env, **{k: v for k, v in os.environ.items()
                             if k.startswith(("AIRFLOW_CONN_", "NMBRS_TOKEN_KEY"))}}  # fmt: skip
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with store.locked(authorized):
            holding.set()
            release.wait(300)

    blocker = threading.Thread(target=hold_the_lock)
    blocker.start()
    assert holding.wait(60)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, authorized],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        deadline = time.monotonic() + 120
        while _lock_waiters(store_db) < 2:  # both wait for the grant's row lock
            assert time.monotonic() < deadline, "the workers never both waited for the lock"
            assert all(w.poll() is None for w in workers), [w.stderr.read() for w in workers]
            time.sleep(0.05)
        assert not _token_calls(nmbrs_sandbox)  # nobody refreshed while the lock was held
    finally:
        release.set()
        blocker.join(60)
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["ok"] for r in results), results
    assert sorted(r["refreshes"] for r in results) == [0, 1]
    assert results[0]["token"] == results[1]["token"]  # the one new access token, shared
    assert [c["reuse_detected"] for c in _token_calls(nmbrs_sandbox)] == [False]
    (grant,) = nmbrs_sandbox.auth.grants()
    assert not grant["revoked"]
    after = store.read(authorized)
    assert after.generation == before.generation + 1
    # the stored refresh token is the newest one: a later refresh still works
    store_db.execute("update nmbrs_sync.oauth_grant set access_expires_at = now()")
    from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook

    assert NmbrsRestHook(nmbrs_conn_id=authorized).test_connection()[0]
    assert [c["reuse_detected"] for c in _token_calls(nmbrs_sandbox)] == [False, False]


def _token_calls(sandbox) -> list[dict]:
    return [c for c in sandbox.calls() if c.get("grant_type") == "refresh_token"]
