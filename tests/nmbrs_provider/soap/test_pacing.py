"""The pacer keeps any one second under the account's budget, whatever the threads do."""

from __future__ import annotations

import threading

import pytest

from nmbrs_provider.soap.pacing import CallPacer


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now = max(self.now, self.now + seconds)


def most_in_one_second(starts: list[float]) -> int:
    starts = sorted(starts)
    return max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)


def test_a_burst_is_spread_to_the_rate():
    fake = FakeTime()
    pacer = CallPacer(140, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for _ in range(600):
        pacer.wait()
        starts.append(fake.clock())
    assert most_in_one_second(starts) <= 141
    assert starts[-1] - starts[0] == pytest.approx(599 / 140)


def test_concurrent_callers_share_one_budget():
    # A frozen clock: each wait's delay is its slot's distance from "now".
    pacer = CallPacer(50, clock=lambda: 1000.0, sleep=lambda _: None)
    delays: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def caller() -> None:
        barrier.wait()
        for _ in range(10):
            delay = pacer.wait()
            with lock:
                delays.append(delay)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(delays) == pytest.approx([i / 50 for i in range(80)])


def test_an_idle_pacer_does_not_save_up_a_burst():
    fake = FakeTime()
    pacer = CallPacer(10, clock=fake.clock, sleep=fake.sleep)
    pacer.wait()
    fake.sleep(60)  # a long pause: the next calls are still spaced, not sent at once
    assert pacer.wait() == 0
    assert pacer.wait() == pytest.approx(0.1)


@pytest.mark.parametrize("rate", [0, -5, float("nan")])
def test_a_rate_that_is_not_positive_is_refused(rate):
    with pytest.raises(ValueError, match="calls_per_second must be positive"):
        CallPacer(rate)
