"""``python -m nmbrs_provider authorize``: obtain the grant of an ``nmbrs_rest`` connection once.

The authorization code flow with PKCE: print the URL to open; receive the redirect on
``http://127.0.0.1:<port>/callback`` (the redirect URI registered for the app; the identity
server accepts any port of a loopback URI), or take the redirect URL the person pastes (a
machine without a browser: the browser elsewhere shows an unreachable 127.0.0.1 page whose
address holds the code). Checks ``state``, trades the code, stores the refresh token encrypted
and says where. Never prints a token.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import queue
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO
from urllib.parse import parse_qs, urlsplit

from nmbrs_provider.exceptions import NmbrsAuthenticationError, NmbrsError
from nmbrs_provider.rest import oauth
from nmbrs_provider.rest.settings import NmbrsRestSettings
from nmbrs_provider.rest.token_store import TokenStore

log = logging.getLogger(__name__)

#: The port of the redirect URI ``http://127.0.0.1:8250/callback`` (register it for the app).
DEFAULT_PORT = 8250
CALLBACK_PATH = "/callback"
DEFAULT_WAIT_SECONDS = 600.0
_DONE_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>Nmbrs authorization</title>"
    b"<p>The answer reached the command line. You can close this window.</p>"
)


class AuthorizationFailed(NmbrsAuthenticationError):
    """The person or the identity server did not complete the authorization."""

    code = None


@dataclass(frozen=True)
class Authorized:
    """What ``authorize`` stored (no token)."""

    conn_id: str
    client_id: str
    scopes: str
    store: str
    key_source: str

    def message(self) -> str:
        """The line the command prints."""
        return (
            f"Authorized Nmbrs connection {self.conn_id!r} (OAuth client {self.client_id!r}; "
            f"scopes: {self.scopes}). The refresh token is stored encrypted (key: "
            f"{self.key_source}) in {self.store}, row conn_id = {self.conn_id!r}. Every worker "
            "needs that key and that connection; run this again if Nmbrs revokes the grant."
        )


def authorize(
    settings: NmbrsRestSettings,
    store: TokenStore,
    *,
    port: int = DEFAULT_PORT,
    listen: bool = True,
    open_browser: bool = True,
    stdin: TextIO | None = None,
    out: Callable[[str], None] = print,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
) -> Authorized:
    """Run the flow for ``settings``' connection and store the grant in ``store``.

    Answers come from the loopback callback (when ``listen``) or a URL pasted on ``stdin``,
    whichever arrives first.
    """
    key_source = store.cipher.source  # no key: fail before anyone logs in
    store.apply_schema()  # no database: likewise
    answers: queue.Queue[str] = queue.Queue()
    server = _callback_server(port, answers) if listen else None
    try:
        bound = server.server_address[1] if server is not None else port
        redirect_uri = f"http://127.0.0.1:{bound}{CALLBACK_PATH}"
        request = oauth.authorization_request(settings, redirect_uri)
        out(
            "Open this URL in a browser, log in as the Nmbrs user whose companies the sync "
            "reads and consent:\n\n  " + request.url + "\n"
        )
        if server is not None:
            threading.Thread(target=server.serve_forever, daemon=True).start()
            out(f"Waiting for the redirect to {redirect_uri} ...")
        if stdin is not None:
            out(
                "Or paste here the address the browser shows after you consent (it starts with "
                f"{redirect_uri}) and press Enter:"
            )
            threading.Thread(target=_read_pasted, args=(stdin, answers), daemon=True).start()
        if open_browser:
            _open(request.url)
        try:
            answer = answers.get(timeout=wait_seconds)
        except queue.Empty:
            raise AuthorizationFailed(
                f"No answer within {wait_seconds:g}s: neither a redirect to {redirect_uri} nor "
                "a pasted URL arrived. Run the command again."
            ) from None
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    code = callback_code(answer, request.state, redirect_uri)
    try:
        tokens = oauth.exchange_code(settings, request, code)
    except oauth.TokenRefused as exc:
        raise AuthorizationFailed(
            f"The identity server refused the authorization code ({exc}). Run the command again."
        ) from None
    store.save_authorized(settings.conn_id, settings.client_id, settings.identity_url, tokens)
    return Authorized(
        settings.conn_id, settings.client_id, tokens.scopes, store.describe(), key_source
    )


def callback_code(answer: str, state: str, redirect_uri: str) -> str:
    """The code of a redirect URL, after checking it answers *this* request (``state``)."""
    parts = urlsplit(answer.strip())
    if not parts.query:
        raise AuthorizationFailed(
            f"That is not the redirect URL: paste the whole address, starting with {redirect_uri}"
            "?code=..."
        )
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if not hmac.compare_digest(params.get("state", "").encode(), state.encode()):
        raise AuthorizationFailed(
            "The redirect does not answer this authorization request (its state differs): "
            "it may be from an older attempt or forged. Run the command again and use the new URL."
        )
    if "error" in params:
        what = params["error"] + (f": {params['error_description']}" if params.get(
            "error_description") else "")  # fmt: skip
        raise AuthorizationFailed(f"Nmbrs did not authorize the app ({what[:300]}).")
    if not params.get("code"):
        raise AuthorizationFailed("The redirect holds no authorization code.")
    return params["code"]


def _callback_server(port: int, answers: queue.Queue[str]) -> ThreadingHTTPServer:
    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if urlsplit(self.path).path != CALLBACK_PATH:
                self.send_error(404)
                return
            answers.put(f"http://127.0.0.1:{self.server.server_address[1]}{self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(_DONE_PAGE)))
            self.end_headers()
            self.wfile.write(_DONE_PAGE)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the request line holds the code: never logged

    try:
        return ThreadingHTTPServer(("127.0.0.1", port), Callback)
    except OSError as exc:
        raise NmbrsError(
            f"Cannot listen on 127.0.0.1:{port} ({exc.strerror}): choose another --port (and "
            "register http://127.0.0.1:<port>/callback for the app if Nmbrs needs the exact "
            "port)."
        ) from None


def _read_pasted(stdin: TextIO, answers: queue.Queue[str]) -> None:
    for line in stdin:
        if line.strip():
            answers.put(line.strip())
            return


def _open(url: str) -> None:
    with contextlib.suppress(webbrowser.Error):  # the printed URL is enough
        webbrowser.open(url)


def run(conn_id: str, *, port: int = DEFAULT_PORT, open_browser: bool = True) -> str:
    """The ``authorize`` command: prompts on stderr, pasted URL on stdin; the result line."""
    import sys

    from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook

    settings = NmbrsRestHook(nmbrs_conn_id=conn_id).settings
    done = authorize(
        settings,
        TokenStore(settings.warehouse_conn_id),
        port=port,
        open_browser=open_browser,
        stdin=sys.stdin,
        out=lambda text: print(text, file=sys.stderr, flush=True),
    )
    return done.message()
