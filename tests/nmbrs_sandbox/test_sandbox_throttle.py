"""Per-account throttle: past the limit within a sliding window, each call is delayed."""

from __future__ import annotations

import datetime as dt
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from lxml import etree

from tests.nmbrs_sandbox.sandbox_api import LIMITED, Api

LIMIT = 5
# Long windows and delays: no call of these tests, however slow the machine, leaves a window
# early, and an undelayed call stays far below the delay.
WINDOW, DELAY = 60.0, 3.0


def _arrivals(sandbox) -> list[float]:
    """Arrival time of every logged call (the kernel's receive stamp), in seconds."""
    return [dt.datetime.fromisoformat(c["time"]).timestamp() for c in sandbox.calls()]


def test_calls_beyond_the_limit_are_delayed_per_account(nmbrs_sandbox_factory) -> None:
    sandbox = nmbrs_sandbox_factory(
        throttle_limit=LIMIT, throttle_window_s=WINDOW, throttle_delay_s=DELAY
    )
    demo, limited = Api(sandbox.url), Api(sandbox.url, LIMITED)

    for _ in range(LIMIT):
        demo.company("List_GetAll")
    # Three more at once: each is delayed, side by side.
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: Api(sandbox.url).company("List_GetAll"), range(3)))
    limited.company("List_GetAll")

    calls = sandbox.calls()
    assert [c["throttled"] for c in calls] == [False] * LIMIT + [True] * 3 + [False]
    assert all(c["duration_ms"] >= DELAY * 1000 for c in calls if c["throttled"])
    assert all(c["duration_ms"] < DELAY * 1000 for c in calls if not c["throttled"])


def test_the_window_slides(nmbrs_sandbox_factory) -> None:
    window = 3.0
    sandbox = nmbrs_sandbox_factory(
        throttle_limit=2, throttle_window_s=window, throttle_delay_s=0.05
    )
    api = Api(sandbox.url)

    for _ in range(3):
        api.company("List_GetAll")
    # Wait until the window has passed every call so far (by the sandbox's own arrival stamps).
    third = _arrivals(sandbox)[-1]
    while time.time() < third + window + 0.5:
        time.sleep(0.1)
    api.company("List_GetAll")

    arrivals = _arrivals(sandbox)
    assert arrivals[2] - arrivals[0] < window, "the first three calls must share a window"
    assert [c["throttled"] for c in sandbox.calls()] == [False, False, True, False]


def test_throttle_limit_zero_turns_it_off(nmbrs_sandbox_factory) -> None:
    sandbox = nmbrs_sandbox_factory(throttle_limit=0)
    api = Api(sandbox.url)

    for _ in range(10):
        api.company("List_GetAll")

    assert not any(c["throttled"] for c in sandbox.calls())


def _list_get_all_request(sandbox_url: str, api: Api) -> tuple[bytes, bytes]:
    """A raw List_GetAll POST, as its head (without the blank line) and the rest."""
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
    return head, b"Connection: close\r\n\r\n" + envelope


def _trickled_call(
    sandbox_url: str, request: tuple[bytes, bytes], pause: float
) -> tuple[float, float, bytes]:
    """Send ``request``'s head, then its rest ``pause`` seconds later.

    Returns the wall-clock times the head and the rest were sent, and the answer.
    """
    head, rest = request
    host, port = urlsplit(sandbox_url).hostname, urlsplit(sandbox_url).port
    with socket.create_connection((host, port), timeout=60) as sock:
        sent_at = time.time()
        sock.sendall(head)
        time.sleep(pause)
        rest_at = time.time()
        sock.sendall(rest)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return sent_at, rest_at, answer


def test_a_call_counts_when_it_arrives_not_when_the_sandbox_gets_to_it(
    nmbrs_sandbox_factory,
) -> None:
    # Handler threads can be held up (the interpreter lock, garbage collection); Nmbrs would
    # still have counted the call when it reached the server. Here the second call's first bytes
    # arrive inside the first call's window and its last bytes well after it.
    window, pause = 2.0, 3.0
    sandbox = nmbrs_sandbox_factory(
        throttle_limit=1, throttle_window_s=window, throttle_delay_s=0.05
    )
    api = Api(sandbox.url)
    request = _list_get_all_request(sandbox.url, api)
    api.company("List_GetAll")

    sent_at, rest_at, answer = _trickled_call(sandbox.url, request, pause)

    assert answer.startswith(b"HTTP/1.1 200")
    first, second = sandbox.calls()
    assert not first["throttled"]
    first_at, logged = (dt.datetime.fromisoformat(c["time"]).timestamp() for c in (first, second))
    assert logged - first_at < window, "the second call's first bytes must be in the window"
    assert rest_at - first_at > window  # ... and its last bytes after it
    assert second["throttled"], "counted when it was handled, not when it arrived"
    # Stamped with its first bytes (a small allowance for clock resolution), not its last.
    assert sent_at - 0.05 <= logged < rest_at - pause / 2
    assert second["duration_ms"] >= (rest_at - logged) * 1000 - 50
