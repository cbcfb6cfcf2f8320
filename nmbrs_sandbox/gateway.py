"""One SOAP call end to end: faults to inject, latency, throttle, auth, the operation, logging."""

from __future__ import annotations

import functools
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nmbrs_sandbox import faults, soap
from nmbrs_sandbox.arrival import monotonic_at
from nmbrs_sandbox.calls import CallLog, call_record
from nmbrs_sandbox.chaos import Chaos, Knobs
from nmbrs_sandbox.faults import ClientFault, NmbrsFault
from nmbrs_sandbox.operations import HANDLERS, involved_ids
from nmbrs_sandbox.scenario import Account
from nmbrs_sandbox.schema import Service
from nmbrs_sandbox.state import World
from nmbrs_sandbox.throttle import Throttle

log = logging.getLogger("nmbrs_sandbox")

ASMX_PREFIX = "Server was unable to process request. ---> "


@dataclass(frozen=True)
class Reply:
    """What to send back; ``status=None`` closes the connection without an answer."""

    status: int | None
    body: bytes = b""
    content_type: str = "text/xml; charset=utf-8"
    reset: bool = False  # close abruptly (TCP reset) instead of answering
    headers: tuple[tuple[str, str], ...] = ()  # extra response headers (REST: Retry-After...)


# What HTTP.sys answers when the application pool is down: HTML, not a SOAP envelope.
UNAVAILABLE = Reply(
    503,
    b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
    b"<HTML><HEAD><TITLE>Service Unavailable</TITLE>\r\n"
    b'<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
    b"<BODY><h2>Service Unavailable</h2>\r\n"
    b"<hr><p>HTTP Error 503. The service is unavailable.</p>\r\n"
    b"</BODY></HTML>\r\n",
    "text/html; charset=us-ascii",
)
PRE_APPLY = frozenset({"http_503", "reset", "timeout", "fault_1006"})


class Gateway:
    """Serves SOAP calls against a :class:`World` as one Nmbrs environment would."""

    def __init__(
        self,
        world: World,
        knobs: Callable[[], Knobs],
        chaos: Chaos,
        throttle: Throttle,
        calls: CallLog,
        stopping: threading.Event,
    ) -> None:
        self._world = world
        self._knobs = knobs
        self._chaos = chaos
        self._throttle = throttle
        self._calls = calls
        self._stopping = stopping
        self._accounts: dict[str, Account] = {a.username: a for a in world.scenario.accounts}
        self.held = threading.Event()  # a call injected with "hold" has arrived
        self.release = threading.Event()  # ends every held call (without applying it)

    def handle(
        self,
        service: Service,
        data: bytes,
        soap_action: str | None,
        arrived_at: float | None = None,
    ) -> Reply:
        """Answer one POST to ``service``'s endpoint that arrived at ``arrived_at`` (wall-clock
        seconds; default now). The throttle, the log's time and the duration count from then."""
        if arrived_at is None:
            arrived_at = time.time()
        started = monotonic_at(arrived_at)
        record = call_record(arrived_at, service.name)
        try:
            request = soap.parse_request(data)
        except ClientFault as exc:
            return self._finish(record, started, _fault(soap.SOAP11, str(exc), record, client=True))
        credentials = request.credentials
        record["operation"] = request.operation
        record["username"] = credentials.username if credentials else None
        knobs = self._knobs()
        involved = functools.cache(lambda: _involved(service, request))
        kind = self._chaos.draw(service.name, request.operation, knobs, lambda: involved()[1])
        record["injected"] = kind
        if kind == "hold" or kind in PRE_APPLY:  # never served: log whom the call named
            record["company_id"], record["employee_ids"] = involved()
        # Nmbrs counts a call when it arrives; the latency is the time spent on the way and in
        # the server, so the throttle sees the arrival time, not the end of the latency.
        over = knobs.throttle_limit and self._throttle.over_limit(
            record["username"] or "", knobs.throttle_limit, knobs.throttle_window_s, started
        )
        self._stopping.wait(knobs.latency_ms / 1000)
        if over:
            record["throttled"] = True
            self._stopping.wait(knobs.throttle_delay_s)
        if kind == "hold":
            self.held.set()
            while not (self.release.wait(0.05) or self._stopping.is_set()):
                pass
            reply = Reply(None)  # never applied; the connection closes without an answer
        elif kind in PRE_APPLY:
            reply = self._before_apply(kind, request, record)
        else:
            reply = self._serve(service, request, soap_action, record)
            if kind == "http_503_after_apply":
                reply = UNAVAILABLE
        reply = self._finish(record, started, reply)
        if kind in ("timeout", "timeout_after_apply"):
            self._stopping.wait(knobs.timeout_seconds)
        return reply

    def _finish(self, record: dict[str, Any], started: float, reply: Reply) -> Reply:
        record["http_status"] = reply.status
        record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        self._calls.add(record)
        log.debug(
            "%s %s.%s -> %s",
            record["username"],
            record["service"],
            record["operation"],
            record["fault_code"] or reply.status,
        )
        return reply

    def _before_apply(self, kind: str, request: soap.SoapRequest, record: dict[str, Any]) -> Reply:
        if kind == "http_503":
            return UNAVAILABLE
        if kind == "reset":
            return Reply(None, reset=True)
        if kind == "timeout":
            return Reply(None)
        fault = NmbrsFault(faults.LOGIN_SECURITY_FAILURE)
        return _fault(request.envelope_ns, ASMX_PREFIX + str(fault), record, code=fault.code)

    def _serve(
        self,
        service: Service,
        request: soap.SoapRequest,
        soap_action: str | None,
        record: dict[str, Any],
    ) -> Reply:
        operation = service.operation(request.operation)
        expected_action = f"{service.namespace}/{request.operation}"
        action = (soap_action or "").strip('"')
        if (
            operation is None
            or request.namespace != service.namespace
            or (request.envelope_ns == soap.SOAP11 and action and action != expected_action)
        ):
            message = f"Server did not recognize the value of HTTP Header SOAPAction: {action}."
            return _fault(request.envelope_ns, message, record, client=True)
        try:
            args = soap.decode_fields(request.body, operation.params, service.namespace)
            record["company_id"], record["employee_ids"] = involved_ids(args)
            account = self._authenticate(request.credentials)
            if not account.may_call(service.name, operation.name):
                raise NmbrsFault(faults.UNAUTHORIZED_ACCESS)
            with self._world.lock:
                value = HANDLERS[(service.name, operation.name)](self._world, account, args)
        except ClientFault as exc:
            return _fault(request.envelope_ns, str(exc), record, client=True)
        except NmbrsFault as fault:
            return _fault(request.envelope_ns, ASMX_PREFIX + str(fault), record, code=fault.code)
        body = soap.render_response(
            request.envelope_ns, service.namespace, operation.name, operation.result, value
        )
        return Reply(200, body, soap.CONTENT_TYPES[request.envelope_ns])

    def _authenticate(self, credentials: soap.Credentials | None) -> Account:
        account = self._accounts.get(credentials.username or "") if credentials else None
        if (
            credentials is None
            or account is None
            or not hmac.compare_digest(account.token.encode(), (credentials.token or "").encode())
            or account.domain != credentials.domain
        ):
            raise NmbrsFault(faults.INVALID_AUTHENTICATION)
        return account


def _involved(service: Service, request: soap.SoapRequest) -> tuple[int | None, list[int]]:
    """The company and employee ids the call's arguments name (none when unreadable)."""
    operation = service.operation(request.operation)
    if operation is None or request.namespace != service.namespace:
        return None, []
    try:
        args = soap.decode_fields(request.body, operation.params, service.namespace)
    except ClientFault:
        return None, []
    return involved_ids(args)


def _fault(
    envelope_ns: str,
    message: str,
    record: dict[str, Any],
    *,
    code: int | None = None,
    client: bool = False,
) -> Reply:
    record["fault_code"] = code
    record["fault"] = message
    body = soap.render_fault(envelope_ns, message, client=client)
    return Reply(500, body, soap.CONTENT_TYPES[envelope_ns])
