"""No token or secret reaches a log, an exception, a repr or the terminal.

Every flow of the REST client runs with every logger at DEBUG (requests, urllib3, authlib and
ours included) and with stdout/stderr captured: authorize via the loopback callback, a reused
stored token, a refresh, a 401 refresh, a revoked grant and a connection without a grant. Then
no secret, not even a part of one, may appear anywhere in what was captured.
"""

from __future__ import annotations

import logging
import queue
import threading
import urllib.request

import pytest
import requests

from nmbrs_provider.exceptions import NmbrsError
from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook
from nmbrs_provider.rest.authorize import authorize
from nmbrs_provider.rest.token_store import TokenStore
from tests.nmbrs_provider.rest.conftest import DEMO_LOGIN, REST_CONN_ID, rest_conn_json

SUBSCRIPTION_KEY = "sub-key-7f3c9a1e5b2d4c6e"
LOGGERS = ("", "nmbrs_provider", "requests", "urllib3", "authlib", "airflow", "nmbrs_sandbox")


def _authorize(settings, sandbox) -> tuple[str, list[str]]:
    """The loopback flow, the test playing the browser; returns the code and what was printed."""
    printed: queue.Queue[str] = queue.Queue()
    done: list[object] = []

    def run() -> None:
        done.append(
            authorize(settings, TokenStore(settings.warehouse_conn_id), port=0,
                      open_browser=False, out=printed.put, wait_seconds=120).message()
        )  # fmt: skip

    worker = threading.Thread(target=run)
    worker.start()
    url = next(w for w in printed.get(timeout=120).split() if "/connect/authorize" in w)
    redirect = requests.get(url, allow_redirects=False, timeout=60).headers["Location"]
    code = redirect.split("code=")[1].split("&")[0]
    # the browser follows the redirect to the loopback (urllib: the browser's own requests
    # are not the client's logs)
    with urllib.request.urlopen(redirect, timeout=60) as page:  # noqa: S310 - 127.0.0.1
        assert page.status == 200
    worker.join(120)
    return code, [*list(printed.queue), *map(str, done)]


def test_no_secret_reaches_logs_exceptions_reprs_or_the_terminal(
    nmbrs_sandbox, store_db, monkeypatch, caplog, capfd
):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    nmbrs_sandbox.set_knobs(subscription_key=SUBSCRIPTION_KEY)
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{REST_CONN_ID.upper()}",
        rest_conn_json(nmbrs_sandbox.url, subscription_key=SUBSCRIPTION_KEY),
    )
    nmbrs_sandbox.auth.set_auto_login(DEMO_LOGIN)
    store = TokenStore("keeping_warehouse")
    secrets: set[str] = {SUBSCRIPTION_KEY}
    shown: list[str] = []  # messages, reprs and printed lines a person or a log may see

    hook = NmbrsRestHook(nmbrs_conn_id=REST_CONN_ID)
    secrets.add(hook.settings.client_secret)
    shown.append(str(hook.test_connection()))  # no grant yet
    code, printed = _authorize(hook.settings, nmbrs_sandbox)
    secrets.add(code)
    shown += printed

    def remember() -> None:
        grant = store.read(REST_CONN_ID)
        secrets.update({grant.refresh_token, grant.access_token})
        shown.extend(map(repr, (grant, store, hook, hook.settings, hook.tokens)))

    remember()
    shown.append(str(hook.test_connection()))  # the stored access token
    store_db.execute("update nmbrs_sync.oauth_grant set access_expires_at = now()")
    shown.append(str(NmbrsRestHook(nmbrs_conn_id=REST_CONN_ID).test_connection()))  # refresh
    remember()
    nmbrs_sandbox.auth.expire_access_tokens()
    shown.append(str(hook.test_connection()))  # 401, refresh, repeat
    remember()
    nmbrs_sandbox.auth.revoke_grants(username=DEMO_LOGIN)
    store_db.execute("update nmbrs_sync.oauth_grant set access_expires_at = now()")
    with pytest.raises(NmbrsError) as caught:
        NmbrsRestHook(nmbrs_conn_id=REST_CONN_ID).tokens.access_token()
    shown += [str(caught.value), repr(caught.value), str(caught.value.__context__)]

    terminal = capfd.readouterr()
    records = [
        f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    ]
    everything = "\n".join([*records, *shown, terminal.out, terminal.err])
    assert any("urllib3" in r for r in records), "the HTTP client's DEBUG logs were not captured"
    assert "POST /connect/token" in everything  # the token calls were logged, but not their body
    assert len(secrets) >= 8, secrets
    for secret in secrets:
        assert len(secret) >= 16
        for part in {secret[:16], secret[-16:]}:
            assert part not in everything, f"a secret ({len(secret)} chars) leaked"
