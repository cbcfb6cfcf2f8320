"""The HTTP side: ASMX endpoints, WSDL documents and the ``/_sandbox`` JSON views."""

from __future__ import annotations

import io
import json
import logging
import socket
import struct
import threading
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from nmbrs_sandbox.arrival import StampedSocketReader, enable_kernel_stamps
from nmbrs_sandbox.contract import SERVICES
from nmbrs_sandbox.gateway import Reply
from nmbrs_sandbox.rest.control import GET_ACTIONS
from nmbrs_sandbox.rest.gateway import RestGateway, RestRequest
from nmbrs_sandbox.schema import Service
from nmbrs_sandbox.wsdl import render_wsdl

log = logging.getLogger("nmbrs_sandbox.http")

ENDPOINTS = {f"/soap/v3/{name.lower()}.asmx": service for name, service in SERVICES.items()}
IDLE_TIMEOUT_S = 120


class App(Protocol):
    """What the HTTP layer needs from a sandbox."""

    def handle_soap(
        self, service: Service, data: bytes, soap_action: str | None, arrived_at: float | None
    ) -> Reply: ...
    def handle_rest(self, request: RestRequest) -> Reply: ...
    def rest_control(self, action: str, payload: dict[str, Any]) -> Any: ...
    def state(self) -> dict[str, Any]: ...
    def calls(self) -> list[dict[str, Any]]: ...
    def knobs(self) -> dict[str, Any]: ...
    def set_knobs(self, **changes: Any) -> dict[str, Any]: ...
    def reset(self) -> None: ...
    def inject(
        self,
        operation: str | None = None,
        kind: str = ...,
        times: int = 1,
        skip: int = 0,
        employee_ids: Iterable[int] | None = None,
    ) -> None: ...


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threading server that can cut its open keep-alive connections on close."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        super().server_bind()
        enable_kernel_stamps(self.socket)  # before any request: see arrival.py

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive connections."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                continue


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NmbrsSandbox/1.0"
    timeout = IDLE_TIMEOUT_S
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this Nagle adds ~40 ms per call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile.close()
        self._reader = StampedSocketReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.mark()
        super().handle_one_request()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path.lower()
        app = self.server.app
        if RestGateway.serves(url.path):
            self._rest("GET", b"")
        elif path.startswith("/_sandbox/rest/") and path[15:] in GET_ACTIONS:
            self._json(app.rest_control(path[15:], {}))
        elif path in ENDPOINTS:
            query = {key.lower() for key in parse_qs(url.query, keep_blank_values=True)}
            if "wsdl" in query:
                self._wsdl(ENDPOINTS[path])
            else:
                self._help(ENDPOINTS[path])
        elif path == "/_sandbox/state":
            self._json(app.state())
        elif path == "/_sandbox/calls":
            self._json(app.calls())
        elif path == "/_sandbox/knobs":
            self._json(app.knobs())
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.lower()
        data = self._body()
        if data is None:
            return
        if RestGateway.serves(path):
            self._rest("POST", data)
        elif path.startswith("/_sandbox/rest/"):
            self._control(path, data)
        elif path in ENDPOINTS:
            reply = self.server.app.handle_soap(
                ENDPOINTS[path], data, self.headers.get("SOAPAction"), self._reader.arrival()
            )
            self._reply(reply)
        elif path in ("/_sandbox/knobs", "/_sandbox/reset", "/_sandbox/inject"):
            self._control(path, data)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    def do_PUT(self) -> None:
        data = self._body()
        if data is not None:
            self._rest("PUT", data)

    def do_DELETE(self) -> None:
        data = self._body(required=False)
        if data is not None:
            self._rest("DELETE", data)

    def _rest(self, method: str, data: bytes) -> None:
        url = urlsplit(self.path)
        if not RestGateway.serves(url.path):
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
            return
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = RestRequest(
            method,
            url.path,
            parse_qs(url.query, keep_blank_values=True),
            self.headers,
            data,
            f"http://{host}",
            self._reader.arrival(),
        )
        self._reply(self.server.app.handle_rest(request))

    def _body(self, required: bool = True) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None and not required:
            return b""
        if length is None or not length.isdigit():
            self._send(HTTPStatus.LENGTH_REQUIRED, b"Content-Length required\n", "text/plain")
            self.close_connection = True
            return None
        return self.rfile.read(int(length))

    def _control(self, path: str, data: bytes) -> None:
        app = self.server.app
        try:
            payload = json.loads(data or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            if path.startswith("/_sandbox/rest/"):
                self._json(app.rest_control(path[15:], payload))
            elif path == "/_sandbox/knobs":
                self._json(app.set_knobs(**payload))
            elif path == "/_sandbox/reset":
                app.reset()
                self._json({"reset": True})
            else:
                app.inject(**payload)
                self._json({"injected": payload})
        except (ValueError, TypeError) as exc:
            self._json({"error": str(exc)}, HTTPStatus.BAD_REQUEST)

    def _wsdl(self, service: Service) -> None:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        location = f"http://{host}/soap/v3/{service.name}.asmx"
        self._send(HTTPStatus.OK, render_wsdl(service, location), "text/xml; charset=utf-8")

    def _help(self, service: Service) -> None:
        items = "".join(f"<li>{op.name}: {op.doc}</li>" for op in service.operations)
        page = (
            f"<html><body><h1>{service.name} (Nmbrs sandbox)</h1>"
            f'<p><a href="?WSDL">Service description</a></p><ul>{items}</ul></body></html>'
        )
        self._send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8")

    def _json(self, value: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        body = json.dumps(value, indent=2, default=str).encode()
        self._send(status, body, "application/json")

    def _reply(self, reply: Reply) -> None:
        if reply.status is not None:
            self._send(reply.status, reply.body, reply.content_type, reply.headers)
            return
        self.close_connection = True
        if reply.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True
