"""``[core] hostname_callable`` of the test's workers: each its own name, as on two machines."""

from __future__ import annotations

import os
import socket


def worker_hostname() -> str:
    """``NMBRS_TEST_HOSTNAME`` of the worker's environment (else the machine's name)."""
    return os.environ.get("NMBRS_TEST_HOSTNAME") or socket.getfqdn()
