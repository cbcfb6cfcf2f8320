"""The leased pacer: its share in every window, nothing without a share, an error when lapsed."""

from __future__ import annotations

import itertools
import threading

import pytest

from nmbrs_provider.coordination.pacer import WINDOW_SECONDS, LeasedPacer, LeaseLapsed
from nmbrs_provider.exceptions import NmbrsTransientError


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def most_in_one_second(starts: list[float]) -> int:
    starts = sorted(starts)
    return max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)


def pacer(fake: FakeTime, share: int, until: float = 10_000.0) -> LeasedPacer:
    p = LeasedPacer("API user x", clock=fake.clock, sleep=fake.sleep)
    p.grant(share, until)
    return p


def test_calls_are_spread_at_the_share():
    fake = FakeTime()
    p = pacer(fake, 70)
    starts = []
    for _ in range(300):
        p.wait()
        starts.append(fake.clock())
    assert most_in_one_second(starts) <= 70
    assert starts[-1] - starts[0] == pytest.approx(299 * WINDOW_SECONDS / 70, rel=0.02)


def test_a_lowered_share_applies_to_the_very_next_window():
    fake = FakeTime()
    p = pacer(fake, 140)
    starts = []
    for _ in range(100):
        p.wait()
        starts.append(fake.clock())
    p.grant(20, 10_000.0)  # another task joined
    lowered_at = fake.clock()
    for _ in range(60):
        p.wait()
        starts.append(fake.clock())
    # Every window that holds a call sent after the change holds at most 20.
    later = [s for s in starts if s > lowered_at]
    for s in later:
        assert sum(1 for t in starts if s - 1.0 < t <= s) <= 20


def test_without_a_share_calls_wait_until_one_is_granted():
    fake = FakeTime()
    p = pacer(fake, 0)
    granted = threading.Event()

    def sleep(seconds: float) -> None:
        fake.sleep(seconds)
        if fake.clock() > 1000.5 and not granted.is_set():
            granted.set()
            p.grant(10, 10_000.0)

    p._sleep = sleep
    p.wait()
    assert fake.clock() >= 1000.5


def test_a_lapsed_lease_raises_instead_of_sending():
    fake = FakeTime()
    p = pacer(fake, 10, until=1001.0)
    p.wait()
    p.lapse_reason("the warehouse did not renew it: OperationalError: timeout")
    with pytest.raises(LeaseLapsed, match="never sent unpaced") as caught:
        for _ in range(100):
            p.wait()
    assert fake.clock() <= 1001.0 + 1e-9
    assert isinstance(caught.value, NmbrsTransientError)
    assert caught.value.maybe_applied is False
    assert "OperationalError" in str(caught.value)


def test_a_revoked_pacer_sends_nothing():
    fake = FakeTime()
    p = pacer(fake, 10)
    p.revoke("the task released it")
    with pytest.raises(LeaseLapsed, match="released"):
        p.wait()


def test_it_reports_the_calls_of_the_last_window_and_whether_the_share_held_it_up():
    fake = FakeTime()
    p = pacer(fake, 1000)
    for _ in range(5):
        p.wait()
        fake.sleep(0.1)  # the call takes its time; the next one needs no waiting
    assert p.usage() == (5, False)
    p.grant(10, 10_000.0)
    for _ in range(20):
        p.wait()  # back to back: each one waits for the share
    assert p.usage() == (10, True)
    fake.sleep(WINDOW_SECONDS)
    assert p.recent_starts() == 0
    assert p.usage() == (0, False)  # reported for the time since the last look only


def test_a_call_waiting_without_a_share_counts_as_held_up():
    fake = FakeTime()
    p = pacer(fake, 0)

    def sleep(seconds: float) -> None:
        fake.sleep(seconds)
        if fake.clock() >= 1000.2:
            p.grant(100, 10_000.0)

    p._sleep = sleep
    p.wait()
    assert p.usage() == (1, True)
    fake.sleep(0.5)
    assert p.usage() == (1, False)


class LateTime(FakeTime):
    """A busy machine: every sleep ends ``late`` seconds after it was due."""

    def __init__(self, late: float) -> None:
        super().__init__()
        self.late = late

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds + self.late)


def paced_starts(fake: FakeTime, p: LeasedPacer, calls: int, stall_at: int = -1) -> list[float]:
    starts = []
    for i in range(calls):
        if i == stall_at:
            fake.sleep(1.0)  # the task held up for a second (CPU, the interpreter lock)
        p.wait()
        starts.append(fake.clock())
    return starts


def test_threads_that_wake_late_still_send_at_the_share():
    """4 ms late on every wake-up, at a spacing of 15.7 ms: the rate is the share's."""
    fake = LateTime(late=0.004)
    starts = paced_starts(fake, pacer(fake, 70), 300)
    assert starts[-1] - starts[0] == pytest.approx(299 * WINDOW_SECONDS / 70, rel=0.02)
    assert max(sum(1 for t in starts if s <= t < s + WINDOW_SECONDS) for s in starts) <= 70


def test_calls_never_start_closer_than_half_a_spacing():
    """Later than half a spacing (10 ms of 15.7 ms), a wake-up is followed half a spacing on,
    so lateness slows the task only by what exceeds half a spacing, and never bunches."""
    spacing = WINDOW_SECONDS / 70
    fake = LateTime(late=0.010)
    starts = paced_starts(fake, pacer(fake, 70), 300)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= spacing / 2 - 1e-9
    assert starts[-1] - starts[0] == pytest.approx(299 * (spacing / 2 + 0.010), rel=0.02)


def test_a_stalled_task_makes_up_at_most_one_spacing():
    """A second without the CPU is not made up in a burst: the window stays the share's."""
    spacing = WINDOW_SECONDS / 70
    fake = FakeTime()
    starts = paced_starts(fake, pacer(fake, 70), 200, stall_at=100)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= spacing / 2 - 1e-9
    assert gaps[99] == pytest.approx(1.0, abs=1e-6)  # the stall: the call due went at once
    assert gaps[100] == pytest.approx(spacing / 2, abs=1e-6)  # half a spacing made up
    assert gaps[101:160] == pytest.approx([spacing] * 59, abs=1e-6)  # then at the share
    assert starts[-1] - starts[101] == pytest.approx(98 * spacing, rel=0.02)
    assert max(sum(1 for t in starts if s <= t < s + WINDOW_SECONDS) for s in starts) <= 70
