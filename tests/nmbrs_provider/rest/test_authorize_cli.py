"""`python -m nmbrs_provider authorize`, run as a person runs it, against the sandbox over HTTP.

The test plays the browser: it opens the printed URL (the sandbox logs the demo user in and
consents at once) and either lets the redirect reach the command's loopback address or pastes
the redirect URL into the command, as on a machine without a browser.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from nmbrs_provider.rest.token_store import TokenStore
from tests.airflow_fixtures import run_airflow
from tests.nmbrs_provider.rest.conftest import DEMO_LOGIN


@pytest.fixture
def env(rest_conn, airflow_env, nmbrs_sandbox) -> dict[str, str]:
    nmbrs_sandbox.auth.set_auto_login(DEMO_LOGIN)
    passed = {k: v for k, v in os.environ.items() if k.startswith(("AIRFLOW_CONN_", "NMBRS_"))}
    return {**airflow_env, **passed}


class Authorize:
    """The command running in the background, its stderr read line by line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nmbrs_provider", "authorize", "--conn-id",
             "nmbrs_rest_test", *args],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line)
            self.lines.put(line)

    def printed_url(self) -> str:
        while True:
            line = self.lines.get(timeout=120)
            if "/connect/authorize?" in line:
                return line.strip()

    def finish(self, pasted: str | None = None) -> tuple[int, str, str]:
        # Not communicate(): it would read stderr too, racing the reader thread for the last lines.
        if pasted is not None:
            self.process.stdin.write(pasted + "\n")
        self.process.stdin.close()
        out = self.process.stdout.read()
        self.process.wait(timeout=120)
        self.reader.join(timeout=120)
        return self.process.returncode, out, "".join(self.stderr)


def test_the_loopback_redirect_completes_the_authorization(env, nmbrs_sandbox):
    command = Authorize(env, "--port", "0", "--no-browser")
    url = command.printed_url()
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    assert query["scope"][0].split()[-1] == "offline_access"
    page = requests.get(url, timeout=60)  # the browser: sandbox consent, then the redirect
    assert page.status_code == 200 and "close this window" in page.text
    status, out, err = command.finish()
    assert status == 0, err
    assert "Authorized Nmbrs connection 'nmbrs_rest_test'" in out
    assert "stored encrypted (key: $NMBRS_TOKEN_KEY) in table nmbrs_sync.oauth_grant" in out
    grant = TokenStore("keeping_warehouse").read("nmbrs_rest_test")
    assert grant.refresh_token not in out + err and grant.access_token not in out + err


def test_a_pasted_redirect_url_completes_the_authorization(env, nmbrs_sandbox):
    command = Authorize(env, "--port", "0", "--no-browser")
    url = command.printed_url()
    redirect = requests.get(url, allow_redirects=False, timeout=60).headers["Location"]
    status, out, err = command.finish(pasted=redirect)  # the loopback never saw it
    assert status == 0, err
    assert "Authorized Nmbrs connection 'nmbrs_rest_test'" in out
    assert TokenStore("keeping_warehouse").read("nmbrs_rest_test") is not None
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    assert code not in out  # the code went only where it was pasted


def test_a_redirect_for_another_request_is_refused_and_nothing_is_stored(env, nmbrs_sandbox):
    command = Authorize(env, "--port", "0", "--no-browser")
    url = command.printed_url()
    redirect = requests.get(url, allow_redirects=False, timeout=60).headers["Location"]
    parts = urlsplit(redirect)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    forged = parts._replace(query=urlencode({**params, "state": "someone-elses"})).geturl()
    status, _, err = command.finish(pasted=forged)
    assert status == 2
    assert "does not answer this authorization request (its state differs)" in err
    assert TokenStore("keeping_warehouse").read("nmbrs_rest_test") is None
    assert not [c for c in nmbrs_sandbox.calls() if c.get("grant_type")]  # code never traded


def test_airflow_connections_test_uses_the_stored_grant(env, nmbrs_sandbox):
    missing = run_airflow(env, "connections", "test", "nmbrs_rest_test", check=False)
    assert "python -m nmbrs_provider authorize --conn-id nmbrs_rest_test" in missing.stdout
    command = Authorize(env, "--port", "0", "--no-browser")
    requests.get(command.printed_url(), timeout=60)
    assert command.finish()[0] == 0
    result = run_airflow(env, "connections", "test", "nmbrs_rest_test")
    assert "Connection success!" in result.stdout  # Airflow shows the message only on failure
    assert [c["path"] for c in nmbrs_sandbox.calls() if c.get("method") == "GET"][-1] == (
        "/api/companies"
    )
