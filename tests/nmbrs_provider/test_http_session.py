"""The Nmbrs clients' HTTP session honours the proxy environment, read once per host."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nmbrs_provider.http_session import EnvironmentOnceSession

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class _Recorder(ThreadingHTTPServer):
    """A 127.0.0.1 server that answers 200 (a 301 to ``/elsewhere`` under ``/moved``) and
    keeps the request lines, user agents and bodies it got."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.agents: list[str | None] = []
        self.bodies: list[bytes] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.lines.append(self.requestline)
                recorder.agents.append(self.headers.get("User-Agent"))
                if "/moved" in self.path:
                    self.send_response(301)
                    self.send_header("Location", "/elsewhere")
                    self.send_header("Set-Cookie", "session=1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def do_POST(self) -> None:
                recorder.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.do_GET()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[_Recorder, _Recorder]]:
    """A proxy that ``HTTP_PROXY`` names and an Nmbrs stand-in, with no other proxy setting
    of the machine in the way."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    started = [_Recorder(), _Recorder()]
    for server in started:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HTTP_PROXY", started[0].url)
    yield started[0], started[1]
    for server in started:
        server.shutdown()
        server.server_close()


def test_calls_go_through_the_proxy_the_environment_names(
    servers: tuple[_Recorder, _Recorder],
) -> None:
    proxy, nmbrs = servers
    session = EnvironmentOnceSession()
    for _ in range(3):
        assert session.get(f"{nmbrs.url}/soap/v3/EmployeeService.asmx", timeout=30).ok
    # A forward proxy is asked for the absolute URL; Nmbrs itself saw nothing.
    assert proxy.lines == [f"GET {nmbrs.url}/soap/v3/EmployeeService.asmx HTTP/1.1"] * 3
    assert nmbrs.lines == []


def test_no_proxy_sends_the_calls_of_that_host_directly(
    servers: tuple[_Recorder, _Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, nmbrs = servers
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert EnvironmentOnceSession().get(f"{nmbrs.url}/x", timeout=30).ok
    assert (proxy.lines, nmbrs.lines) == ([], ["GET /x HTTP/1.1"])


def test_the_environment_is_read_once_per_host(
    servers: tuple[_Recorder, _Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes a call cheap: a task's environment is not walked again on every call."""
    proxy, nmbrs = servers
    session = EnvironmentOnceSession()
    assert session.get(f"{nmbrs.url}/first", timeout=30).ok
    monkeypatch.delenv("HTTP_PROXY")
    assert session.get(f"{nmbrs.url}/second", timeout=30).ok
    assert [line.split()[1] for line in proxy.lines] == [
        f"{nmbrs.url}/first",
        f"{nmbrs.url}/second",
    ]
    # A new session (a new task) reads the environment as it is now.
    assert EnvironmentOnceSession().get(f"{nmbrs.url}/third", timeout=30).ok
    assert nmbrs.lines == ["GET /third HTTP/1.1"]


def test_a_direct_post_goes_through_the_proxy_with_the_session_headers(
    servers: tuple[_Recorder, _Recorder],
) -> None:
    """The SOAP calls' lean path keeps what a deployment configures: the proxy, the headers."""
    proxy, nmbrs = servers
    session = EnvironmentOnceSession()
    session.headers["User-Agent"] = "airflow-provider-nmbrs"
    url = f"{nmbrs.url}/soap/v3/EmployeeService.asmx"
    for _ in range(2):
        answer = session.post_direct(url, b"<Envelope/>", {"SOAPAction": "x"}, timeout=30)
        assert (answer.status_code, answer.content) == (200, b"ok")
    assert proxy.lines == [f"POST {url} HTTP/1.1"] * 2
    assert proxy.agents == ["airflow-provider-nmbrs"] * 2
    assert proxy.bodies == [b"<Envelope/>"] * 2
    assert nmbrs.lines == []


def test_a_direct_post_honours_no_proxy(
    servers: tuple[_Recorder, _Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, nmbrs = servers
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    answer = EnvironmentOnceSession().post_direct(f"{nmbrs.url}/x", b"1", {}, timeout=30)
    assert answer.ok
    assert (proxy.lines, nmbrs.lines) == ([], ["POST /x HTTP/1.1"])


def test_a_direct_post_returns_a_redirect_instead_of_following_it(
    servers: tuple[_Recorder, _Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SOAP endpoint that moved is a wrong Base URL: the call is not repeated as a GET
    elsewhere, and no cookie it sets is kept for the next call."""
    _proxy, nmbrs = servers
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    session = EnvironmentOnceSession()
    answer = session.post_direct(f"{nmbrs.url}/moved", b"1", {}, timeout=30)
    assert (answer.status_code, answer.headers["Location"]) == (301, "/elsewhere")
    assert nmbrs.lines == ["POST /moved HTTP/1.1"]
    assert len(session.cookies) == 0
