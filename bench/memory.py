"""Peak memory of the current process, measured so that its parent's size does not leak in."""

from __future__ import annotations

import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")


def peak_rss_kib() -> int:
    """This process's peak resident set size in KiB.

    Linux keeps ``ru_maxrss`` across ``exec``: a child started by a large parent (the bench
    holds a 50,000-employee sandbox) would report the parent's size. ``VmHWM`` belongs to the
    process's own memory map, which ``exec`` replaces, so it is read where it exists.
    """
    try:
        for line in _STATUS.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
