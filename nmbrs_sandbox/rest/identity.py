"""``/connect/authorize``, ``/connect/token`` and ``/connect/revocation`` over HTTP.

A browser (or a test) opens the authorize URL; without an auto-login user the sandbox shows a
login and consent form whose POST answers the 302 to the app's redirect URI with ``code`` and
``state``. The token endpoint takes ``application/x-www-form-urlencoded`` bodies and client
credentials by HTTP Basic or in the form.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

from nmbrs_sandbox.gateway import Reply
from nmbrs_sandbox.rest.oauth import Authorization, AuthServer, OAuthError, RestClient

Form = dict[str, list[str]]
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def parse_form(body: bytes) -> Form:
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def first(form: Form) -> dict[str, str]:
    return {key: values[0] for key, values in form.items() if values}


def authorize(
    auth: AuthServer, method: str, query: Form, body: bytes, log: dict[str, Any]
) -> Reply:
    """GET shows the login form (or, with auto-login, redirects at once); POST submits it."""
    form = parse_form(body) if method == "POST" else {}
    params = first(query) | {k: v for k, v in first(form).items() if k in AUTHORIZE_PARAMS}
    log["client_id"] = params.get("client_id")
    try:
        request = auth.check_authorize(params)
    except OAuthError as exc:
        return _authorize_error(exc, log)
    if method == "GET":
        if auth.auto_login is None:
            return _page(_login_form(request, params))
        username, allowed = auth.auto_login
        log["username"] = username
        granted = request.scopes if allowed is None else request.scopes & allowed
        return _redirect_code(auth, request, username, granted)
    fields = first(form)
    log["username"] = fields.get("username")
    if fields.get("consent") == "deny":
        redirect = (request.redirect_uri, request.state)
        denied = OAuthError("access_denied", "the user denied consent", 302, redirect=redirect)
        return _authorize_error(denied, log)
    user = auth.login(fields.get("username", ""), fields.get("password", ""))
    if user is None:
        log["fault"] = "login_failed"
        return _page(_login_form(request, params, "Invalid username or password."), 200)
    if "scopes_from_form" in fields:
        granted = frozenset(form.get("granted_scope", []))
    elif "granted_scopes" in fields:
        granted = frozenset(fields["granted_scopes"].split())
    else:
        granted = request.scopes
    return _redirect_code(auth, request, user.username, granted & request.scopes)


def token(auth: AuthServer, headers: Mapping[str, str], body: bytes, log: dict[str, Any]) -> Reply:
    """The token endpoint: ``authorization_code`` (with PKCE) and ``refresh_token``."""
    fields = first(parse_form(body))
    grant_type = fields.get("grant_type")
    try:
        client = _client(auth, headers, fields, log)
        if grant_type == "authorization_code":
            result = auth.exchange_code(
                client,
                fields.get("code", ""),
                fields.get("redirect_uri", ""),
                fields.get("code_verifier"),
            )
        elif grant_type == "refresh_token":
            result = auth.refresh(client, fields.get("refresh_token", ""), fields.get("scope"))
        else:
            raise OAuthError("unsupported_grant_type", "use authorization_code or refresh_token")
    except OAuthError as exc:
        log["fault"] = exc.error
        log["reuse_detected"] = exc.reuse
        extra = (("WWW-Authenticate", 'Basic realm="nmbrs-sandbox"'),) if exc.status == 401 else ()
        return _json({"error": exc.error, "error_description": exc.description}, exc.status, extra)
    log["username"] = result.grant.username
    log["grant_id"] = result.grant.id
    return _json(result.body, 200)


def revocation(
    auth: AuthServer, headers: Mapping[str, str], body: bytes, log: dict[str, Any]
) -> Reply:
    """RFC 7009 token revocation: 200 whether or not the token was known."""
    fields = first(parse_form(body))
    try:
        client = _client(auth, headers, fields, log)
    except OAuthError as exc:
        log["fault"] = exc.error
        return _json({"error": exc.error, "error_description": exc.description}, exc.status)
    auth.revoke_token(client, fields.get("token", ""))
    return Reply(200, b"", "text/plain", headers=NO_STORE)


def _client(
    auth: AuthServer, headers: Mapping[str, str], fields: dict[str, str], log: dict[str, Any]
) -> RestClient:
    header = headers.get("Authorization") or ""
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except ValueError as exc:
            raise OAuthError("invalid_client", "malformed Basic credentials", 401) from exc
        client_id, _, secret = decoded.partition(":")
        client_id, secret = unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))
    else:
        client_id, secret = fields.get("client_id", ""), fields.get("client_secret", "")
    log["client_id"] = client_id or None
    return auth.client_for(client_id, secret)


def _redirect_code(
    auth: AuthServer, request: Authorization, username: str, granted: frozenset[str]
) -> Reply:
    code = auth.issue_code(request, username, granted)
    query = {"code": code, "scope": " ".join(sorted(granted & request.scopes))}
    if request.state is not None:
        query["state"] = request.state
    return _redirect(request.redirect_uri, query)


def _authorize_error(exc: OAuthError, log: dict[str, Any]) -> Reply:
    log["fault"] = exc.error
    if exc.redirect is None:
        text = (
            f"<h1>Sign-in error</h1><p>{html.escape(exc.error)}: {html.escape(exc.description)}</p>"
        )
        return _page(text, 400)
    redirect_uri, state = exc.redirect
    query = {"error": exc.error, "error_description": exc.description}
    if state is not None:
        query["state"] = state
    return _redirect(redirect_uri, query)


def _redirect(uri: str, query: dict[str, str]) -> Reply:
    parts = urlsplit(uri)
    joined = "&".join(filter(None, (parts.query, urlencode(query))))
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, joined, ""))
    return Reply(302, b"", "text/plain", headers=(("Location", location), *NO_STORE))


def _login_form(request: Authorization, params: dict[str, str], error: str = "") -> str:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in AUTHORIZE_PARAMS
        if name in params
    )
    scopes = "".join(
        f'<li><label><input type="checkbox" name="granted_scope" value="{html.escape(s)}" checked>'
        f" {html.escape(s)}</label></li>"
        for s in sorted(request.scopes)
    )
    message = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return (
        f"<h1>Nmbrs sandbox sign-in</h1>{message}"
        f"<p>{html.escape(request.client.client_id)} asks for access.</p>"
        f'<form method="post" action="/connect/authorize">{hidden}'
        '<input type="hidden" name="scopes_from_form" value="1">'
        '<p><label>Username <input name="username"></label></p>'
        '<p><label>Password <input name="password" type="password"></label></p>'
        f"<ul>{scopes}</ul>"
        '<button name="consent" value="allow">Allow</button> '
        '<button name="consent" value="deny">Deny</button></form>'
    )


def _page(body: str, status: int = 200) -> Reply:
    document = f"<!DOCTYPE html><html><body>{body}</body></html>".encode()
    return Reply(status, document, "text/html; charset=utf-8", headers=NO_STORE)


def _json(value: Any, status: int, extra: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, json.dumps(value).encode(), "application/json", headers=NO_STORE + extra)
