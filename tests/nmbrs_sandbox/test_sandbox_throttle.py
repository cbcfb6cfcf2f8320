"""Per-account throttle: past the limit within a sliding window, each call is delayed."""

from __future__ import annotations

import time

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
