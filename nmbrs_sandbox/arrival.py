"""When a request reached the machine: the kernel's receive timestamp, not the handler's clock.

Nmbrs counts a call against the throttle when it arrives. The sandbox's handler threads share one
interpreter lock (and, in the benchmark, a process holding a large world whose garbage collection
can pause every thread for a tenth of a second); a clock read in the handler would then stamp a
train of evenly spaced calls with the same instant and count a burst that never was. Where the
platform offers it (Linux ``SO_TIMESTAMPNS``), the socket hands over the time the kernel received
each segment, and the first segment of a request is its arrival.
"""

from __future__ import annotations

import io
import platform
import socket
import struct
import sys
import time

# Python does not export the constant; 35 is its value on Linux for these architectures.
_LINUX_SO_TIMESTAMPNS = 35
_LINUX_MACHINES = {"x86_64", "amd64", "aarch64", "arm64", "ppc64le", "s390x", "riscv64"}
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", None) or (
    _LINUX_SO_TIMESTAMPNS
    if sys.platform == "linux" and platform.machine().lower() in _LINUX_MACHINES
    else None
)
_TIMESPEC = struct.Struct("@ll")  # struct timespec: seconds and nanoseconds, native longs
_ANCILLARY_SPACE = socket.CMSG_SPACE(_TIMESPEC.size) if hasattr(socket, "CMSG_SPACE") else 0


class StampedSocketReader(io.RawIOBase):
    """A raw reader over a connected socket that remembers when its last read's data arrived.

    Wrap it in an :class:`io.BufferedReader` as the request's ``rfile``; call :meth:`mark` before
    reading a request and :meth:`arrival` once its first line is read. Stamps are wall-clock
    seconds, from the kernel where available and from the clock at the read otherwise. Closing
    it leaves the socket open: the server closes that.
    """

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        self._latest = time.time()
        self._first_since_mark: float | None = None
        self.kernel_stamps = enable_kernel_stamps(sock)

    def mark(self) -> None:
        """A new request starts here."""
        self._first_since_mark = None

    def arrival(self) -> float:
        """When the current request's first bytes arrived.

        Data read since :meth:`mark` came with the request; with none, the request was already
        buffered by the latest read.
        """
        return self._latest if self._first_since_mark is None else self._first_since_mark

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if not self.kernel_stamps:
            count = self._sock.recv_into(buffer)
            stamp = time.time()
        else:
            count, ancillary, _flags, _addr = self._sock.recvmsg_into([buffer], _ANCILLARY_SPACE)
            stamp = _kernel_stamp(ancillary) or time.time()
        if count:
            self._latest = stamp
            if self._first_since_mark is None:
                self._first_since_mark = stamp
        return count


def enable_kernel_stamps(sock: socket.socket) -> bool:
    """Ask the kernel to stamp what ``sock`` receives; true when it will.

    Set it on a listening socket at start: accepted connections inherit it, and the kernel,
    which switches receive timestamps on lazily, has them on before the first request arrives
    (a connection enabling them only as it opens could miss its first segments' stamps).
    """
    if _SO_TIMESTAMPNS is None or not _ANCILLARY_SPACE or not hasattr(sock, "recvmsg_into"):
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    return True


def _kernel_stamp(ancillary: list[tuple[int, int, bytes]]) -> float | None:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(data)
            return seconds + nanoseconds / 1e9
    return None


def monotonic_at(wall_time: float) -> float:
    """``wall_time`` (seconds since the epoch, in the past) on the monotonic clock."""
    return time.monotonic() - max(0.0, time.time() - wall_time)
