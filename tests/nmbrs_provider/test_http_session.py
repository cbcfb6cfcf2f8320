"""The Nmbrs clients' HTTP session honours the proxy environment, read once per host."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nmbrs_provider.http_session import EnvironmentOnceSession

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class _Recorder(ThreadingHTTPServer):
    """A 127.0.0.1 server that answers 200 and keeps the request lines it got."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.lines.append(self.requestline)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

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
