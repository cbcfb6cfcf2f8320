"""Several worker processes need a new access token at the same moment: exactly one refreshes.

All block on the grant's row lock in PostgreSQL (the test holds it first, so all are surely
waiting), then the lock is released: one refreshes and commits the rotated refresh token, the
others find the new access token under the lock and use it. The identity server never sees a
refresh token twice, so its reuse detection never revokes the grant. And a worker killed while
its refresh is on the way leaves the old refresh token stored and usable: nothing is dropped
before the rotated one is stored.
"""

from __future__ import annotations

import json
import os
import signal
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


WORKERS = 3


def _env(airflow_env) -> dict[str, str]:
    return {**airflow_env, **{k: v for k, v in os.environ.items()
                              if k.startswith(("AIRFLOW_CONN_", "NMBRS_TOKEN_KEY"))}}  # fmt: skip


def _worker(conn_id: str, env: dict[str, str]) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, conn_id],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
    return worker


def _expire(store_db, sandbox) -> None:
    """Neither the store nor Nmbrs takes the current access token any more."""
    store_db.execute("update nmbrs_sync.oauth_grant set access_expires_at = now()")
    sandbox.auth.expire_access_tokens()


def test_several_processes_refresh_once_and_all_get_a_valid_token(
    authorized, nmbrs_sandbox, store_db, airflow_env
):
    store = TokenStore("keeping_warehouse")
    before = store.read(authorized)
    _expire(store_db, nmbrs_sandbox)
    env = _env(airflow_env)
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with store.locked(authorized):
            holding.set()
            release.wait(300)

    blocker = threading.Thread(target=hold_the_lock)
    blocker.start()
    assert holding.wait(60)
    workers = [_worker(authorized, env) for _ in range(WORKERS)]
    try:
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        deadline = time.monotonic() + 120
        while _lock_waiters(store_db) < WORKERS:  # all wait for the grant's row lock
            assert time.monotonic() < deadline, "the workers never all waited for the lock"
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
    assert sorted(r["refreshes"] for r in results) == [0] * (WORKERS - 1) + [1]
    assert len({r["token"] for r in results}) == 1  # the one new access token, shared
    assert [c["reuse_detected"] for c in _token_calls(nmbrs_sandbox)] == [False]
    (grant,) = nmbrs_sandbox.auth.grants()
    assert not grant["revoked"]
    after = store.read(authorized)
    assert after.generation == before.generation + 1
    assert after.refresh_token != before.refresh_token  # the rotated one replaced the old
    # the stored refresh token is the newest one: a later refresh still works
    store_db.execute("update nmbrs_sync.oauth_grant set access_expires_at = now()")
    from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook

    assert NmbrsRestHook(nmbrs_conn_id=authorized).test_connection()[0]
    assert [c["reuse_detected"] for c in _token_calls(nmbrs_sandbox)] == [False, False]


def _token_calls(sandbox) -> list[dict]:
    return [c for c in sandbox.calls() if c.get("grant_type") == "refresh_token"]


def test_a_worker_killed_mid_refresh_leaves_the_old_refresh_token_usable(
    authorized, nmbrs_sandbox, store_db, airflow_env
):
    """The identity server holds the refresh (never applied) and the worker is SIGKILLed while
    it waits, holding the row lock: the lock goes with its connection, the old refresh token
    is still the stored one, and the next process refreshes with it."""
    store = TokenStore("keeping_warehouse")
    before = store.read(authorized)
    _expire(store_db, nmbrs_sandbox)
    nmbrs_sandbox.inject("identity.token", kind="hold")
    worker = _worker(authorized, _env(airflow_env))
    try:
        worker.stdin.write("go\n")
        worker.stdin.flush()
        assert nmbrs_sandbox.wait_for_held(120), worker.stderr.read()
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(60) == -signal.SIGKILL
    finally:
        nmbrs_sandbox.release_held()
        worker.kill()
        worker.communicate(timeout=60)
    deadline = time.monotonic() + 60
    while not [c for c in _token_calls(nmbrs_sandbox) if c["injected"] == "hold"]:
        assert time.monotonic() < deadline, "the held refresh was never logged"
        time.sleep(0.05)
    kept = store.read(authorized)
    assert (kept.refresh_token, kept.generation) == (before.refresh_token, before.generation)
    from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook

    hook = NmbrsRestHook(nmbrs_conn_id=authorized)
    assert hook.test_connection()[0]
    assert hook.tokens.refreshes == 1
    refreshes = [(c["injected"], c["reuse_detected"], c["http_status"])
                 for c in _token_calls(nmbrs_sandbox)]  # fmt: skip
    assert refreshes == [("hold", False, None), (None, False, 200)]
    (grant,) = nmbrs_sandbox.auth.grants()
    assert not grant["revoked"]
    assert store.read(authorized).generation == before.generation + 1
