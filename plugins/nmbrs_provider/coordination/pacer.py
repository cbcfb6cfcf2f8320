"""A pacer that sends at the share a lease grants, and not at all once the lease has lapsed."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

from nmbrs_provider.exceptions import NmbrsTransientError
from nmbrs_provider.soap.pacing import CallPacer

#: The pacing window: at most ``share`` calls start in any window this long. More than Nmbrs'
#: one second, so that a call that reaches the server up to 100 ms after its start (its thread
#: held up by the interpreter lock, a busy machine) still counts in the right second there.
WINDOW_SECONDS = 1.1
#: Longest sleep between two looks at the share (it may change while a call waits).
_POLL_SECONDS = 0.05
#: A task whose calls waited for the share at least this part of the time would use more.
_HELD_UP_FRACTION = 0.5
#: The closest two calls may start, in spacings (``WINDOW_SECONDS / share``): a call whose
#: thread woke late is followed sooner, so late wake-ups on a busy machine do not slow the
#: task down, but never in a burst.
_CLOSEST_SPACING = 0.5


class LeaseLapsed(NmbrsTransientError):
    """The task's share of the call budget could not be renewed in time; nothing was sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, maybe_applied=False)


class LeasedPacer(CallPacer):
    """Spaces call starts ``WINDOW_SECONDS / share`` apart and never lets more than ``share``
    start in any window, for the share its lease holds right now.

    Calls are spaced from the last call's planned slot, not from its actual start: a call
    whose thread woke late (another thread held the interpreter lock, the machine is busy)
    is followed sooner, at least half a spacing later, and at most one spacing of lateness
    is made up. A steady delay of up to half a spacing per wake-up costs no rate.

    The heartbeat calls :meth:`grant` after each renewal with the share and the monotonic
    time until which the lease is safe to use. Without a share the calls wait; past that time
    they raise :class:`LeaseLapsed` (the task fails clearly instead of sending unpaced). Calls
    wait one at a time, so a lowered share applies to the very next call.
    """

    def __init__(
        self,
        describe: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(1.0, clock=clock, sleep=sleep)
        self.describe = describe
        self._gate = threading.Lock()  # the caller whose call is next
        self._state = threading.Lock()  # share, deadline, reason
        self._share = 0
        self._deadline = float("-inf")
        self._reason = "no lease was granted yet"
        self._starts: collections.deque[float] = collections.deque()
        self._planned = float("-inf")  # the slot the last call was given (it started later)
        self.calls_per_second = 0.0
        #: Set by the coordinator: asks the heartbeat to take a lease again (a dozing pacer).
        self.on_wake: Callable[[], None] | None = None
        self._dozing = False
        self._waiting = 0
        self._last_use = clock()
        self._held_up = 0.0  # seconds a call waited for the share since the last look
        self._looked_at = clock()

    @property
    def share(self) -> int:
        """The share the pacer sends at now."""
        with self._state:
            return self._share

    def grant(self, share: int, valid_until: float) -> None:
        """Pace at ``share`` calls per window until ``valid_until`` (monotonic seconds)."""
        with self._state:
            self._share = max(0, int(share))
            self._deadline = valid_until
            self.calls_per_second = float(self._share)

    def revoke(self, reason: str) -> None:
        """Send nothing more (the lease was released or lost); waiting calls raise."""
        with self._state:
            self._share, self._deadline, self._reason = 0, float("-inf"), reason
            self._dozing = False

    def doze(self, idle_seconds: float) -> bool:
        """Give up the share when no call has started or waited for ``idle_seconds``: the
        coordinator then releases the lease, and the next call asks for one again
        (:attr:`on_wake`). Return whether the pacer dozed off."""
        with self._state:
            if self._waiting or self._clock() - self._last_use < idle_seconds:
                return False
            self._share, self._dozing = 0, True
            self.calls_per_second = 0.0
            return True

    @property
    def dozing(self) -> bool:
        with self._state:
            return self._dozing

    def wake_deadline(self, valid_until: float) -> None:
        """The heartbeat took up the call to rejoin: waiting calls wait until ``valid_until``."""
        with self._state:
            self._dozing = False
            self._deadline = valid_until

    def lapse_reason(self, reason: str) -> None:
        """What a call that finds the lease lapsed is told (the heartbeat's last failure)."""
        with self._state:
            self._reason = reason

    def wait(self) -> float:
        """Block until this call may start; return the seconds waited."""
        with self._state:
            self._waiting += 1
        try:
            return self._wait()
        finally:
            with self._state:
                self._waiting -= 1
                self._last_use = self._clock()

    def _wait(self) -> float:
        waited = 0.0
        with self._gate:
            while True:
                with self._state:
                    dozing = self._dozing
                if dozing and self.on_wake is not None:
                    self.on_wake()  # the heartbeat joins again and grants a share
                with self._state:
                    share, deadline, reason = self._share, self._deadline, self._reason
                    now = self._clock()
                    if now >= deadline:
                        raise LeaseLapsed(
                            f"No Nmbrs call sent: this task's share of the call budget of "
                            f"{self.describe} lapsed ({reason}). The budget is coordinated "
                            "through the warehouse; calls are never sent unpaced."
                        )
                    slot = self._next_slot(share, now)
                    if slot <= now:
                        self._starts.append(now)
                        self._planned = max(slot, now - WINDOW_SECONDS / share)
                        return waited
                    pause = min(slot - now, deadline - now, _POLL_SECONDS)
                    self._held_up += pause  # a call waits for the share: time it could use
                self._sleep(pause)
                waited += pause

    def recent_starts(self) -> int:
        """The calls started in the last window: they count in every window still to come
        that overlaps it, whatever the share is now."""
        return self.usage(look=False)[0]

    def usage(self, *, look: bool = True) -> tuple[int, bool]:
        """The calls started in the last window, and whether the share held the task up since
        the last look: a call was waiting for it at least half of that time (the task would
        send faster with a larger share)."""
        with self._state:
            now = self._clock()
            recent = sum(1 for start in self._starts if start > now - WINDOW_SECONDS)
            pressed = self._held_up >= _HELD_UP_FRACTION * max(now - self._looked_at, 1e-9)
            if look:
                self._held_up, self._looked_at = 0.0, now
            return recent, pressed

    def _next_slot(self, share: int, now: float) -> float:
        """The earliest start the share allows (infinity without a share); under ``_state``:
        a spacing after the last planned slot, half a spacing after the last start, and no
        more than ``share`` starts in any window."""
        starts = self._starts
        while starts and starts[0] <= now - WINDOW_SECONDS:
            starts.popleft()
        if share <= 0:
            return float("inf")
        spacing = WINDOW_SECONDS / share
        slot = (
            max(self._planned + spacing, starts[-1] + _CLOSEST_SPACING * spacing) if starts else now
        )
        if len(starts) >= share:  # the window is full: wait until its oldest start leaves it
            slot = max(slot, starts[-share] + WINDOW_SECONDS)
        return slot
