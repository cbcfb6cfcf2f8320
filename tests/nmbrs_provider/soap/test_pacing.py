"""The pacer keeps any one second under the account's budget, whatever the threads do."""

from __future__ import annotations

import itertools
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from nmbrs_provider.soap.pacing import CallPacer, SharedCallPacer, account_pacer


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


def test_a_call_held_up_after_its_slot_takes_a_new_one_instead_of_bursting():
    fake = FakeTime()
    overslept = iter([0.3])  # the first sleep ends 0.3 s late (another thread held the GIL)

    def sleep(seconds: float) -> None:
        fake.sleep(seconds + next(overslept, 0.0))

    pacer = CallPacer(10, clock=fake.clock, sleep=sleep)
    pacer.wait()  # slot at t0
    start = fake.clock()
    pacer.wait()  # slot t0 + 0.1, woken at t0 + 0.4: too late, so it takes a fresh slot (now)
    assert fake.clock() - start == pytest.approx(0.4)
    # The spacing counts from when that call really went: the next one waits a full interval.
    assert pacer.wait() == pytest.approx(0.1)


SLOTS_SCRIPT = """
import sys
from pathlib import Path
from nmbrs_provider.soap.pacing import SharedCallPacer
pacer = SharedCallPacer(200, Path(sys.argv[1]), sleep=lambda _: None)
print(" ".join(repr(pacer._reserve()[0]) for _ in range(150)))
"""


def test_processes_pacing_one_account_share_one_budget(tmp_path):
    path = tmp_path / "pace-account"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SLOTS_SCRIPT, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    slots = sorted(float(s) for p in procs for s in p.communicate(timeout=60)[0].split())
    assert len(slots) == 450
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 1 / 200 - 1e-9  # never two calls closer than the account allows


def test_a_slot_stored_before_a_reboot_is_ignored(tmp_path):
    path = tmp_path / "pace-account"
    path.write_bytes(struct.pack("d", time.monotonic() + 3600 * 24))
    pacer = SharedCallPacer(100, path, sleep=lambda _: pytest.fail("waited for a stale slot"))
    assert pacer.wait() == 0
    pacer.close()


def test_one_pacer_per_account_and_rate_in_a_process(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first = account_pacer("http://127.0.0.1:1|a@example.com", 140)
    assert account_pacer("http://127.0.0.1:1|a@example.com", 140) is first
    assert account_pacer("http://127.0.0.1:1|b@example.com", 140) is not first
    assert "a@example.com" not in str(getattr(first, "path", ""))
