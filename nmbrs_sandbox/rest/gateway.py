"""One REST or identity call end to end: throttle, faults, latency, auth, scopes, logging.

The call log gets one record per call, like SOAP's, with ``service`` ``"REST"`` (operation:
the spec's operationId) or ``"identity"`` (``authorize``, ``token`` with its
``grant_type``, ``revocation``), plus ``method`` and ``path``. Company and employee ids are
the SOAP integers.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nmbrs_sandbox.arrival import monotonic_at
from nmbrs_sandbox.calls import CallLog, call_record
from nmbrs_sandbox.chaos import Chaos, Knobs
from nmbrs_sandbox.gateway import Reply
from nmbrs_sandbox.rest import errors, identity, routes
from nmbrs_sandbox.rest.common import Call, Ids
from nmbrs_sandbox.rest.errors import ApiError
from nmbrs_sandbox.rest.oauth import AuthServer
from nmbrs_sandbox.state import World
from nmbrs_sandbox.throttle import Throttle

log = logging.getLogger("nmbrs_sandbox.rest")
PRE_APPLY = frozenset({"http_503", "reset", "timeout", "fault_1006"})
IDENTITY = {
    ("GET", "/connect/authorize"): "authorize",
    ("POST", "/connect/authorize"): "authorize",
    ("POST", "/connect/token"): "token",
    ("POST", "/connect/revocation"): "revocation",
}


@dataclass(frozen=True)
class RestRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    base_url: str  # http://host:port as the client addressed the sandbox
    arrived_at: float | None = None


class RestGateway:
    """Serves ``/connect/*`` and ``/api/*`` against the same world as the SOAP gateway."""

    def __init__(
        self,
        world: World,
        auth: AuthServer,
        knobs: Callable[[], Knobs],
        chaos: Chaos,
        throttle: Throttle,
        calls: CallLog,
        stopping: threading.Event,
        held: threading.Event,
        release: threading.Event,
    ) -> None:
        self._world, self._auth, self._knobs = world, auth, knobs
        self._chaos, self._throttle, self._calls = chaos, throttle, calls
        self._stopping, self._held, self._release = stopping, held, release
        self._ids = Ids(world.scenario)

    @staticmethod
    def serves(path: str) -> bool:
        lowered = path.lower()
        return lowered.startswith("/api/") or lowered == "/api" or lowered.startswith("/connect/")

    def handle(self, request: RestRequest) -> Reply:
        arrived_at = time.time() if request.arrived_at is None else request.arrived_at
        started = monotonic_at(arrived_at)
        record = call_record(
            arrived_at, "REST", method=request.method, path=request.path, client_id=None
        )
        knobs = self._knobs()
        identity_op = IDENTITY.get((request.method, request.path.lower().rstrip("/")))
        if identity_op is not None:
            record.update(service="identity", operation=identity_op, grant_id=None)
            record["grant_type"] = (
                identity.first(identity.parse_form(request.body)).get("grant_type")
                if identity_op == "token"
                else None
            )
            record["reuse_detected"] = False
            reply = self._faulty(
                record, knobs, lambda: self._identity(identity_op, request, record)
            )
            return self._finish(record, started, reply, knobs)
        found = routes.match(request.method, request.path)
        if not isinstance(found, tuple):
            error = (
                ApiError(
                    405, "invalidRequestError", 40501, "Method_Not_Allowed", "Method not allowed."
                )
                if found == "method"
                else errors.not_found()
            )
            return self._finish(record, started, self._error(record, error), knobs)
        route, params = found
        record["operation"] = route.operation
        record["company_id"] = self._ids.company(params.get("companyId"))
        employee = self._ids.employee(params.get("employeeId"))
        record["employee_ids"] = [] if employee is None else [employee]
        if employee is not None:
            record["company_id"] = self._world.employer[employee]
        try:
            grant_user = self._authenticate(request, route, record, knobs)
        except ApiError as error:
            return self._finish(record, started, self._error(record, error), knobs)
        limit = knobs.rest_throttle_limit
        if limit and self._throttle.over_limit(
            f"rest:{record['username']}", limit, knobs.rest_throttle_window_s, started
        ):
            record["throttled"] = True
            error = errors.too_many_calls(knobs.rest_retry_after_s)
            return self._finish(record, started, self._error(record, error), knobs)

        def serve() -> Reply:
            return self._serve(request, route, params, grant_user, record)

        return self._finish(record, started, self._faulty(record, knobs, serve), knobs)

    # --- the parts ----------------------------------------------------------------------------

    def _faulty(self, record: dict[str, Any], knobs: Knobs, serve: Callable[[], Reply]) -> Reply:
        """Draw a fault for the call, wait the latency, then fail or serve it."""
        kind = self._chaos.draw(
            record["service"], record["operation"] or "", knobs, lambda: record["employee_ids"]
        )
        record["injected"] = kind
        self._stopping.wait(knobs.latency_ms / 1000)
        if kind == "hold":
            self._held.set()
            while not (self._release.wait(0.05) or self._stopping.is_set()):
                pass
            return Reply(None)
        if kind == "http_503":
            return self._error(record, errors.unavailable())
        if kind == "reset":
            return Reply(None, reset=True)
        if kind == "timeout":
            return Reply(None)
        if kind == "fault_1006":
            return self._error(record, errors.unknown_error())
        reply = serve()
        if kind == "http_503_after_apply":
            return self._error(record, errors.unavailable())
        return reply

    def _identity(self, operation: str, request: RestRequest, record: dict[str, Any]) -> Reply:
        if operation == "authorize":
            return identity.authorize(
                self._auth, request.method, request.query, request.body, record
            )
        if operation == "token":
            return identity.token(self._auth, request.headers, request.body, record)
        return identity.revocation(self._auth, request.headers, request.body, record)

    def _authenticate(
        self, request: RestRequest, route: routes.Route, record: dict[str, Any], knobs: Knobs
    ) -> Any:
        expected = knobs.subscription_key
        if expected is not None and not hmac.compare_digest(
            expected.encode(), (request.headers.get("X-Subscription-Key") or "").encode()
        ):
            raise errors.invalid_subscription_key()
        header = request.headers.get("Authorization") or ""
        if not header:
            raise errors.missing_token()
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise errors.invalid_token()
        found = self._auth.bearer(token.strip())
        if found is None:
            raise errors.invalid_token()
        grant, scopes = found
        record["username"], record["client_id"] = grant.username, grant.client_id
        if not scopes & set(route.scopes):
            raise errors.missing_scope(route.scopes)
        user = self._auth.users.get(grant.username)
        if user is None:
            raise errors.invalid_token()
        return user

    def _serve(
        self,
        request: RestRequest,
        route: routes.Route,
        params: dict[str, str],
        user: Any,
        record: dict[str, Any],
    ) -> Reply:
        body: Any = None
        try:
            if request.method in ("POST", "PUT"):
                try:
                    body = json.loads(request.body or b"null")
                except ValueError:
                    raise errors.bad_body("The request body is not valid JSON.") from None
            with self._world.lock:
                call = Call(
                    self._world,
                    self._ids,
                    user,
                    params,
                    request.query,
                    body,
                    request.base_url,
                    request.path,
                )
                status, value = route.handler(call)
        except ApiError as error:
            return self._error(record, error)
        if value is None:
            return Reply(status, b"", "application/json; charset=utf-8")
        return Reply(status, json.dumps(value).encode(), "application/json; charset=utf-8")

    def _error(self, record: dict[str, Any], error: ApiError) -> Reply:
        record["fault_code"], record["fault"] = error.code, error.title
        return error.reply()

    def _finish(self, record: dict[str, Any], started: float, reply: Reply, knobs: Knobs) -> Reply:
        record["http_status"] = reply.status
        record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        self._calls.add(record)
        log.debug(
            "%s %s %s -> %s", record["username"], record["method"], record["path"], reply.status
        )
        if record["injected"] in ("timeout", "timeout_after_apply"):
            self._stopping.wait(knobs.timeout_seconds)
        return reply
