"""The public face of the sandbox: start/stop a server and look into or steer its state."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from nmbrs_sandbox import periods
from nmbrs_sandbox.calls import CallLog
from nmbrs_sandbox.chaos import Chaos, Knobs
from nmbrs_sandbox.gateway import Gateway, Reply
from nmbrs_sandbox.rest.control import control
from nmbrs_sandbox.rest.gateway import RestGateway, RestRequest
from nmbrs_sandbox.rest.oauth import AuthServer
from nmbrs_sandbox.scenario import Scenario
from nmbrs_sandbox.schema import Service
from nmbrs_sandbox.server import SandboxHTTPServer
from nmbrs_sandbox.state import World
from nmbrs_sandbox.throttle import Throttle

POLL_INTERVAL_S = 0.05  # how quickly stop() is noticed


class Sandbox:
    """A stateful stand-in for Nmbrs SOAP v3 and the REST API on a local port.

    ``Sandbox(Scenario.demo(), latency_ms=5).start()`` serves
    ``{url}/soap/v3/CompanyService.asmx`` and ``.../EmployeeService.asmx``, the REST API
    under ``{url}/api`` and its identity server under ``{url}/connect``. Keyword arguments
    are knobs (see :class:`~nmbrs_sandbox.chaos.Knobs`). :attr:`auth` is the identity server
    (register clients and users, auto-login, revoke grants, expire tokens).
    """

    def __init__(
        self, scenario: Scenario | Mapping[str, Any] | str | Path | None = None, **knobs: Any
    ) -> None:
        self.scenario = _scenario(scenario)
        self._knobs = Knobs().updated(**knobs)
        self._knobs_lock = threading.Lock()
        self._world = World(self.scenario)
        self._chaos = Chaos(self._knobs.fault_seed)
        self._calls = CallLog()
        self._throttle = Throttle()
        self._stopping = threading.Event()
        self._gateway = Gateway(
            self._world,
            lambda: self._knobs,
            self._chaos,
            self._throttle,
            self._calls,
            self._stopping,
        )
        self.auth = AuthServer(
            self.scenario.rest,
            lambda: (self._knobs.access_token_lifetime_s, self._knobs.refresh_token_lifetime_s),
        )
        self._rest = RestGateway(
            self._world,
            self.auth,
            lambda: self._knobs,
            self._chaos,
            self._throttle,
            self._calls,
            self._stopping,
            self._gateway.held,
            self._gateway.release,
        )
        self._rest_recordings: list[list[tuple[RestRequest, Reply]]] = []
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Sandbox:
        """Serve on ``host:port`` (0: a free port) in a background thread."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        self._stopping.clear()
        self._server = SandboxHTTPServer((host, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(POLL_INTERVAL_S,),
            name="nmbrs-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        if self._server is None:
            raise RuntimeError("sandbox not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving, ending held (timeout) calls and open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Sandbox:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- views ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Companies (with current periods) and employees with what was written to them."""
        return self._world.snapshot()

    def calls(self) -> list[dict[str, Any]]:
        """Every SOAP call received, oldest first (usernames, never tokens)."""
        return self._calls.records()

    def hour_components(self, employee_id: int, year: int, period: int) -> list[dict[str, Any]]:
        """Variable hour components ``{Id, HourCode, Hours, Comment}`` in a period."""
        with self._world.lock:
            rows = self._world.components.get(employee_id, {}).get((year, period), [])
            return [dict(row) for row in rows]

    def days_var(self, employee_id: int, year: int, period: int) -> int | None:
        """Variable days set for a period, None when never set."""
        with self._world.lock:
            return self._world.days_var.get(employee_id, {}).get((year, period))

    # --- steering ---------------------------------------------------------------------------

    def knobs(self) -> dict[str, Any]:
        return self._knobs.as_dict()

    def set_knobs(self, **changes: Any) -> dict[str, Any]:
        """Change knobs at run time; a new ``fault_seed`` restarts the random sequence."""
        with self._knobs_lock:
            self._knobs = self._knobs.updated(**changes)
            if "fault_seed" in changes:
                self._chaos.reseed(self._knobs.fault_seed)
            return self._knobs.as_dict()

    def reset(self) -> None:
        """Restore the scenario's data; clear the call log, pending injections and throttle.

        OAuth grants and tokens survive (``auth.reset()`` drops them)."""
        self._world.reset()
        self._calls.clear()
        self._chaos.clear()
        self._throttle.reset()
        self._chaos.reseed(self._knobs.fault_seed)

    def set_current_period(self, company_id: int, year: int, period: int) -> None:
        """Move a company's payroll to another period (as closing a run would)."""
        with self._world.lock:
            company = self._world.companies[company_id]
            if not periods.is_valid(company.period_type, year, period):
                raise ValueError(f"{year}-{period} is not a {company.period_type} period")
            self._world.current[company_id] = (year, period)

    def inject(
        self,
        operation: str | None = None,
        kind: str = "http_503",
        times: int = 1,
        skip: int = 0,
        employee_ids: Iterable[int] | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``operation`` (any when None) fail with ``kind``.

        The first ``skip`` matching calls are let through first. With ``employee_ids`` only
        calls naming at least one of these employees match (the call log's ``employee_ids``),
        so a fault lands on a real write, never on a write-permission probe (employee 0).

        ``kind="hold"`` blocks the call before it is applied until :meth:`release_held` or
        :meth:`stop`, then closes its connection without applying it; :meth:`wait_for_held`
        tells when it arrived.
        """
        if kind == "hold":
            self._gateway.held.clear()
            self._gateway.release.clear()
        self._chaos.inject(operation, kind, times, skip, employee_ids)

    def wait_for_held(self, timeout: float | None = None) -> bool:
        """Wait until a call injected with ``kind="hold"`` arrives; False on timeout."""
        return self._gateway.held.wait(timeout)

    def release_held(self) -> None:
        """End held calls: their connections close without an answer, nothing is applied."""
        self._gateway.release.set()

    def handle_soap(
        self,
        service: Service,
        data: bytes,
        soap_action: str | None,
        arrived_at: float | None = None,
    ) -> Reply:
        """Serve one SOAP POST that arrived at ``arrived_at`` (used by the HTTP layer)."""
        return self._gateway.handle(service, data, soap_action, arrived_at)

    def handle_rest(self, request: RestRequest) -> Reply:
        """Serve one ``/api`` or ``/connect`` request (used by the HTTP layer)."""
        reply = self._rest.handle(request)
        for exchanges in tuple(self._rest_recordings):
            exchanges.append((request, reply))
        return reply

    @contextlib.contextmanager
    def recording_rest(self) -> Iterator[list[tuple[RestRequest, Reply]]]:
        """Every REST and identity request served inside the block with its reply, as they
        came (headers and bodies: bearer tokens included, so for in-process tests only; the
        call log keeps none of them)."""
        exchanges: list[tuple[RestRequest, Reply]] = []
        self._rest_recordings.append(exchanges)
        try:
            yield exchanges
        finally:
            self._rest_recordings.remove(exchanges)

    def rest_control(self, action: str, payload: dict[str, Any]) -> Any:
        """``/_sandbox/rest/<action>`` (see the README)."""
        return control(self.auth, action, payload)


def _scenario(value: Scenario | Mapping[str, Any] | str | Path | None) -> Scenario:
    if value is None:
        return Scenario.demo()
    if isinstance(value, Scenario):
        return value
    if isinstance(value, Mapping):
        return Scenario.from_dict(value)
    return Scenario.load(value)
