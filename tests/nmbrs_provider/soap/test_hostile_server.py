"""A hostile or broken server gets a safe refusal: no DTDs, no entities, no endless answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from nmbrs_provider.exceptions import NmbrsResponseError
from nmbrs_provider.hooks.nmbrs import NmbrsHook
from nmbrs_provider.soap import client as soap_client
from tests.nmbrs_provider.conftest import DEMO_USER

ENVELOPE = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    '<List_GetAllResponse xmlns="https://api.nmbrs.nl/soap/v3/CompanyService">'
    "<List_GetAllResult><Company><ID>1</ID><Number>1</Number><Name>{name}</Name>"
    "<LoonaangifteTijdvak>Month</LoonaangifteTijdvak></Company></List_GetAllResult>"
    "</List_GetAllResponse></soap:Body></soap:Envelope>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + ENVELOPE.format(name="&xxe;")
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
    + ENVELOPE.format(name="&lol9;")
)


class Hostile:
    """Serves the sandbox's WSDL, then answers every SOAP call with ``body``."""

    def __init__(
        self, wsdl_from: str, body: bytes, wsdl_body: bytes | None = None, status: int = 200
    ) -> None:
        self.posts = 0
        hostile = self
        wsdl = {
            service: requests.get(f"{wsdl_from}/soap/v3/{service}.asmx?WSDL", timeout=10).content
            for service in ("CompanyService", "EmployeeService")
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                service = self.path.split("/")[-1].split(".")[0]
                self._send(wsdl_body if wsdl_body is not None else wsdl[service])

            def do_POST(self) -> None:
                hostile.posts += 1
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._send(body, status)

            def _send(self, payload: bytes, code: int = 200) -> None:
                self.send_response(code)
                if code in (301, 302, 307, 308):
                    self.send_header("Location", f"{wsdl_from}/soap/v3/CompanyService.asmx")
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile(nmbrs_sandbox, nmbrs_connection) -> Iterator:
    servers = []

    def make(body: str | bytes, wsdl_body: bytes | None = None, status: int = 200) -> NmbrsHook:
        payload = body.encode() if isinstance(body, str) else body
        server = Hostile(nmbrs_sandbox.url, payload, wsdl_body, status)
        servers.append(server)
        conn_id = nmbrs_connection(f"hostile{len(servers)}", server.url, *DEMO_USER)
        hook = NmbrsHook(conn_id)
        hook.server = server  # type: ignore[attr-defined]
        return hook

    yield make
    for server in servers:
        server.stop()


def test_a_well_formed_answer_from_the_same_server_is_accepted(hostile):
    assert [c.name for c in hostile(ENVELOPE.format(name="Acme")).list_companies()] == ["Acme"]


def test_external_entities_are_refused(hostile):
    with pytest.raises(NmbrsResponseError, match="not a safe, well-formed SOAP response") as err:
        hostile(XXE).list_companies()
    assert "root:" not in str(err.value)


def test_entity_expansion_is_refused(hostile):
    with pytest.raises(NmbrsResponseError, match="not a safe"):
        hostile(LAUGHS).list_companies()


def test_a_wsdl_with_a_dtd_is_refused(hostile):
    wsdl = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><definitions>&e;</definitions>'
    with pytest.raises(NmbrsResponseError, match="DTD or entities"):
        hostile(ENVELOPE.format(name="x"), wsdl_body=wsdl).list_companies()


def test_an_oversized_answer_is_refused(hostile, monkeypatch):
    monkeypatch.setattr(soap_client, "MAX_RESPONSE_BYTES", 1024 * 1024)
    huge = ENVELOPE.format(name="x" * (3 * 1024 * 1024))
    with pytest.raises(NmbrsResponseError, match="larger than 1 MiB refused"):
        hostile(huge).list_companies()


@pytest.mark.parametrize("status", [301, 307])
def test_a_redirected_call_names_the_base_url_and_is_not_sent_again(hostile, nmbrs_sandbox, status):
    """A SOAP endpoint that moved means a wrong Base URL; the call is not repeated elsewhere."""
    hook = hostile(b"", status=status)
    before = len(nmbrs_sandbox.calls())
    with pytest.raises(NmbrsResponseError, match=f"HTTP {status} from .*Base URL"):
        hook.list_companies()
    # Sent once, to the connection's server; the server it points to got no call.
    assert hook.server.posts == 1
    assert len(nmbrs_sandbox.calls()) == before
