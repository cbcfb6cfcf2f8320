"""One Nmbrs sandbox process per API user, for the scale-out bench.

Nmbrs serves its accounts independently (each API user has its own throttle and budget), so
the bench gives every API user a sandbox server of its own, in its own process: the calls
of four users at 560 per second then no longer queue for one Python interpreter, which was
the bench's bottleneck, not the product's. Each server holds only its user's companies. The
parent asks a server for its call log, a reset, or whether it holds the desired state, over
a pipe.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any


def _serve(data: dict[str, Any], desired: dict[int, Any], knobs: dict[str, Any], pipe) -> None:
    from bench.__main__ import state_ok
    from nmbrs_sandbox import Sandbox

    class _Desired:  # what state_ok reads of the bench scenario: this server's employees
        pass

    mine = _Desired()
    held = {e["id"] for c in data["companies"] for e in c["employees"]}
    mine.desired = {k: v for k, v in desired.items() if k in held}  # type: ignore[attr-defined]
    sandbox = Sandbox(data, **knobs)
    with sandbox.start(host="127.0.0.1", port=0):
        pipe.send(sandbox.url)
        while True:
            command = pipe.recv()
            if command == "calls":
                pipe.send(sandbox.calls())
            elif command == "reset":
                sandbox.reset()
                pipe.send(None)
            elif command == "state_ok":
                pipe.send(state_ok(sandbox, mine))  # type: ignore[arg-type]
            else:
                pipe.send(None)
                return


class AccountServer:
    """The parent's handle on one API user's sandbox process."""

    def __init__(self, process: multiprocessing.Process, pipe, url: str) -> None:
        self.process, self._pipe, self.url = process, pipe, url

    def ask(self, command: str) -> Any:
        self._pipe.send(command)
        return self._pipe.recv()


@contextmanager
def account_servers(
    scenarios: list[dict[str, Any]], desired: dict[int, Any], **knobs: Any
) -> Iterator[list[AccountServer]]:
    """Start one sandbox process per scenario (one API user each); stop them on exit."""
    context = multiprocessing.get_context("fork")
    servers: list[AccountServer] = []
    try:
        for data in scenarios:
            parent, child = context.Pipe()
            process = context.Process(
                target=_serve, args=(data, desired, knobs, child), daemon=True
            )
            process.start()
            servers.append(AccountServer(process, parent, parent.recv()))
        yield servers
    finally:
        for server in servers:
            with suppress(OSError, EOFError):
                server.ask("stop")
            server.process.join(timeout=10)
            if server.process.is_alive():
                server.process.terminate()
