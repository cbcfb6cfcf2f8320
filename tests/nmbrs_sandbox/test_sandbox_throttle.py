"""Per-account throttle: past the limit within a sliding window, each call is delayed."""

from __future__ import annotations

import datetime as dt
import socket
import time
from urllib.parse import urlsplit

from lxml import etree

from tests.nmbrs_sandbox.sandbox_api import LIMITED, Api

LIMIT, DELAY = 5, 0.2


def test_calls_beyond_the_limit_are_delayed_per_account(nmbrs_sandbox_factory) -> None:
    sandbox = nmbrs_sandbox_factory(
        throttle_limit=LIMIT, throttle_window_s=1.0, throttle_delay_s=DELAY
    )
    demo, limited = Api(sandbox.url), Api(sandbox.url, LIMITED)

    for _ in range(LIMIT + 3):
        demo.company("List_GetAll")
    limited.company("List_GetAll")

    calls = sandbox.calls()
    assert [c["throttled"] for c in calls] == [False] * LIMIT + [True] * 3 + [False]
    assert all(c["duration_ms"] >= DELAY * 1000 for c in calls if c["throttled"])
    assert all(c["duration_ms"] < DELAY * 1000 for c in calls if not c["throttled"])


def test_the_window_slides(nmbrs_sandbox_factory) -> None:
    sandbox = nmbrs_sandbox_factory(throttle_limit=2, throttle_window_s=0.3, throttle_delay_s=0.05)
    api = Api(sandbox.url)

    api.company("List_GetAll")
    api.company("List_GetAll")
    api.company("List_GetAll")
    time.sleep(0.35)
    api.company("List_GetAll")

    assert [c["throttled"] for c in sandbox.calls()] == [False, False, True, False]


def test_throttle_limit_zero_turns_it_off(nmbrs_sandbox_factory) -> None:
    sandbox = nmbrs_sandbox_factory(throttle_limit=0)
    api = Api(sandbox.url)

    for _ in range(10):
        api.company("List_GetAll")

    assert not any(c["throttled"] for c in sandbox.calls())


def _trickled_call(sandbox_url: str, api: Api, pause: float) -> tuple[float, bytes]:
    """Send one List_GetAll whose first bytes arrive ``pause`` seconds before the rest.

    Returns the wall-clock time the first bytes were sent, and the answer.
    """
    client = api.clients["CompanyService"]
    envelope = etree.tostring(
        client.create_message(client.service, "List_GetAll", _soapheaders=api.header)
    )
    host, port = urlsplit(sandbox_url).hostname, urlsplit(sandbox_url).port
    head = (
        f"POST /soap/v3/companyservice.asmx HTTP/1.1\r\nHost: {host}:{port}\r\n"
        'Content-Type: text/xml; charset=utf-8\r\nSOAPAction: "https://api.nmbrs.nl/soap/v3/'
        f'CompanyService/List_GetAll"\r\nContent-Length: {len(envelope)}\r\n'
    ).encode()
    with socket.create_connection((host, port), timeout=10) as sock:
        sent_at = time.time()
        sock.sendall(head)
        time.sleep(pause)
        sock.sendall(b"Connection: close\r\n\r\n" + envelope)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return sent_at, answer


def test_a_call_counts_when_it_arrives_not_when_the_sandbox_gets_to_it(
    nmbrs_sandbox_factory,
) -> None:
    # Handler threads can be held up (the interpreter lock, garbage collection); Nmbrs would
    # still have counted the call when it reached the server. Here the second call's first bytes
    # arrive inside the first call's window and its last bytes well after it.
    sandbox = nmbrs_sandbox_factory(throttle_limit=1, throttle_window_s=0.5, throttle_delay_s=0.05)
    api = Api(sandbox.url)
    api.company("List_GetAll")

    sent_at, answer = _trickled_call(sandbox.url, api, pause=0.7)

    assert answer.startswith(b"HTTP/1.1 200")
    first, second = sandbox.calls()
    assert not first["throttled"]
    assert second["throttled"], "counted when it was handled, not when it arrived"
    logged = dt.datetime.fromisoformat(second["time"]).timestamp()
    assert abs(logged - sent_at) < 0.2
    assert second["duration_ms"] >= 700
