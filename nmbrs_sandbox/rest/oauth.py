"""The identity server: authorization code flow with PKCE (S256) and rotating refresh tokens.

Tokens are opaque random strings kept only as SHA-256 digests. A refresh token is good for
one refresh; presenting one that was already used revokes the whole grant (reuse detection).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nmbrs_sandbox.rest import config
from nmbrs_sandbox.rest.config import RestClient, RestConfig, RestUser

CODE_LIFETIME_S = 300.0
VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


class OAuthError(Exception):
    """An RFC 6749 error answer: ``{"error": error, "error_description": description}``."""

    def __init__(
        self,
        error: str,
        description: str,
        status: int = 400,
        *,
        redirect: tuple[str, str | None] | None = None,
        reuse: bool = False,
    ) -> None:
        self.error, self.description, self.status = error, description, status
        self.redirect = redirect  # (redirect_uri, state): answer with a redirect to the app
        self.reuse = reuse  # a used refresh token was presented (the grant is now revoked)
        super().__init__(f"{error}: {description}")


@dataclass
class Grant:
    """What one user consented to for one app; its tokens die with it."""

    id: int
    client_id: str
    username: str
    scopes: frozenset[str]
    revoked: bool = False
    reason: str | None = None


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    username: str
    scopes: frozenset[str]
    challenge: str | None
    expires: float
    grant_id: int | None = None  # set once exchanged


@dataclass
class _Token:
    grant_id: int
    expires: float
    client_id: str
    scopes: frozenset[str] = frozenset()  # access tokens only
    used: bool = False  # refresh tokens only


@dataclass(frozen=True)
class Authorization:
    """A validated authorize request."""

    client: RestClient
    redirect_uri: str
    scopes: frozenset[str]
    state: str | None
    challenge: str | None


@dataclass
class TokenResult:
    body: dict[str, object]
    grant: Grant


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier``."""
    raw = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class AuthServer:
    """Clients, users, codes, grants and tokens; thread-safe."""

    def __init__(
        self,
        rest: RestConfig,
        lifetimes: Callable[[], tuple[float, float]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = rest
        self._lifetimes = lifetimes  # (access token, refresh token) lifetimes in seconds
        self._clock = clock
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Back to the scenario's clients and users; every code, grant and token is dropped."""
        with self._lock:
            self.clients: dict[str, RestClient] = {c.client_id: c for c in self._config.clients}
            self.users: dict[str, RestUser] = {u.username: u for u in self._config.users}
            self._codes: dict[str, _Code] = {}
            self._grants: dict[int, Grant] = {}
            self._access: dict[str, _Token] = {}
            self._refresh: dict[str, _Token] = {}
            self._grant_ids = itertools.count(1)
            self.auto_login: tuple[str, frozenset[str] | None] | None = None

    # --- registration (tests and the scenario) ------------------------------------------------

    def register_client(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: Iterable[str],
        scopes: Iterable[str] | None = None,
        require_pkce: bool = True,
    ) -> RestClient:
        registered = config.client(client_id, client_secret, redirect_uris, scopes, require_pkce)
        with self._lock:
            self.clients[registered.client_id] = registered
        return registered

    def register_user(self, username: str, password: str, companies: Iterable[int]) -> RestUser:
        registered = config.user(username, password, companies)
        with self._lock:
            self.users[registered.username] = registered
        return registered

    def set_auto_login(self, username: str | None, scopes: Iterable[str] | None = None) -> None:
        """Let ``GET /connect/authorize`` log ``username`` in and consent at once (302 to the
        redirect URI) granting the requested scopes, or only those also in ``scopes``."""
        with self._lock:
            if username is not None and username not in self.users:
                raise ValueError(f"unknown user {username!r}")
            granted = None if scopes is None else frozenset(scopes)
            self.auto_login = None if username is None else (username, granted)

    # --- authorize ----------------------------------------------------------------------------

    def check_authorize(self, params: dict[str, str]) -> Authorization:
        """Validate an authorize request. Errors the user must see (unknown client, redirect URI
        not registered) have status 400; the others are redirected to the app."""
        with self._lock:
            client = self.clients.get(params.get("client_id", ""))
        if client is None:
            raise OAuthError("invalid_client", "unknown client_id")
        redirect_uri = params.get("redirect_uri", "")
        if not client.allows_redirect(redirect_uri):
            raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
        state = params.get("state")

        def fail(error: str, description: str) -> OAuthError:
            return OAuthError(error, description, 302, redirect=(redirect_uri, state))

        if params.get("response_type") != "code":
            raise fail("unsupported_response_type", "only response_type=code is supported")
        scopes = frozenset(params.get("scope", "").split())
        if not scopes:
            raise fail("invalid_scope", "no scope requested")
        if scopes - client.scopes:
            raise fail("invalid_scope", f"not allowed: {' '.join(sorted(scopes - client.scopes))}")
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method", "plain" if challenge else None)
        if challenge is not None and method != "S256":
            raise fail("invalid_request", "code_challenge_method must be S256")
        if challenge is None and client.require_pkce:
            raise fail("invalid_request", "code_challenge is required")
        return Authorization(client, redirect_uri, scopes, state, challenge)

    def login(self, username: str, password: str) -> RestUser | None:
        with self._lock:
            found = self.users.get(username)
        if found is None or not hmac.compare_digest(found.password.encode(), password.encode()):
            return None
        return found

    def issue_code(self, request: Authorization, username: str, scopes: frozenset[str]) -> str:
        """A one-time code for what ``username`` consented to (at most the requested scopes)."""
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[_digest(code)] = _Code(
                request.client.client_id,
                request.redirect_uri,
                username,
                scopes & request.scopes,
                request.challenge,
                self._clock() + CODE_LIFETIME_S,
            )
        return code

    # --- token endpoint -----------------------------------------------------------------------

    def client_for(self, client_id: str, client_secret: str) -> RestClient:
        with self._lock:
            found = self.clients.get(client_id)
        if found is None or not hmac.compare_digest(
            found.client_secret.encode(), client_secret.encode()
        ):
            raise OAuthError("invalid_client", "client authentication failed", status=401)
        return found

    def exchange_code(
        self, client: RestClient, code: str, redirect_uri: str, verifier: str | None
    ) -> TokenResult:
        with self._lock:
            entry = self._codes.get(_digest(code))
            if entry is None or entry.client_id != client.client_id:
                raise OAuthError("invalid_grant", "unknown authorization code")
            if entry.grant_id is not None:  # a code used twice: drop what the first use gave
                self._revoke(entry.grant_id, "authorization code reused")
                raise OAuthError("invalid_grant", "authorization code already used")
            if entry.expires <= self._clock():
                raise OAuthError("invalid_grant", "authorization code expired")
            if redirect_uri != entry.redirect_uri:
                raise OAuthError("invalid_grant", "redirect_uri does not match the authorize call")
            if entry.challenge is not None:
                if not verifier or not VERIFIER.match(verifier):
                    raise OAuthError("invalid_grant", "code_verifier missing or malformed")
                if not hmac.compare_digest(s256(verifier), entry.challenge):
                    raise OAuthError("invalid_grant", "code_verifier does not match the challenge")
            grant = Grant(next(self._grant_ids), client.client_id, entry.username, entry.scopes)
            self._grants[grant.id] = grant
            entry.grant_id = grant.id
            return TokenResult(self._tokens(grant, grant.scopes), grant)

    def refresh(self, client: RestClient, token: str, scope: str | None) -> TokenResult:
        with self._lock:
            entry = self._refresh.get(_digest(token))
            if entry is None or entry.client_id != client.client_id:
                raise OAuthError("invalid_grant", "unknown refresh token")
            grant = self._grants[entry.grant_id]
            if grant.revoked:
                raise OAuthError("invalid_grant", "the grant was revoked")
            if entry.used:
                self._revoke(grant.id, "refresh token reused")
                raise OAuthError(
                    "invalid_grant", "refresh token already used; grant revoked", reuse=True
                )
            if entry.expires <= self._clock():
                raise OAuthError("invalid_grant", "refresh token expired")
            scopes = grant.scopes if scope is None else frozenset(scope.split())
            if scopes - grant.scopes:
                raise OAuthError("invalid_scope", "more scopes than the grant holds")
            entry.used = True
            return TokenResult(self._tokens(grant, scopes), grant)

    def _tokens(self, grant: Grant, scopes: frozenset[str]) -> dict[str, object]:
        access_lifetime, refresh_lifetime = self._lifetimes()
        now = self._clock()
        access = secrets.token_urlsafe(32)
        self._access[_digest(access)] = _Token(
            grant.id, now + access_lifetime, grant.client_id, scopes
        )
        body: dict[str, object] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(access_lifetime),
            "scope": " ".join(sorted(scopes)),
        }
        if "offline_access" in grant.scopes:
            refresh = secrets.token_urlsafe(32)
            self._refresh[_digest(refresh)] = _Token(
                grant.id, now + refresh_lifetime, grant.client_id
            )
            body["refresh_token"] = refresh
        return body

    def revoke_token(self, client: RestClient, token: str) -> None:
        """RFC 7009: a refresh token revokes its grant, an access token only itself."""
        with self._lock:
            digest = _digest(token)
            entry = self._refresh.get(digest)
            if entry is not None and entry.client_id == client.client_id:
                self._revoke(entry.grant_id, "revoked by the client")
            access = self._access.get(digest)
            if access is not None and access.client_id == client.client_id:
                del self._access[digest]

    # --- the API side -------------------------------------------------------------------------

    def bearer(self, token: str) -> tuple[Grant, frozenset[str]] | None:
        """The live grant and scopes of an access token; None when unknown/expired/revoked."""
        with self._lock:
            entry = self._access.get(_digest(token))
            if entry is None or entry.expires <= self._clock():
                return None
            grant = self._grants[entry.grant_id]
            if grant.revoked:
                return None
            return grant, entry.scopes

    # --- steering -----------------------------------------------------------------------------

    def revoke_grants(self, username: str | None = None, client_id: str | None = None) -> int:
        """Revoke every grant of ``username`` and/or ``client_id`` (None: any); how many."""
        with self._lock:
            hits = [
                g
                for g in self._grants.values()
                if not g.revoked
                and username in (None, g.username)
                and client_id in (None, g.client_id)
            ]
            for grant in hits:
                self._revoke(grant.id, "revoked by the sandbox")
            return len(hits)

    def expire_access_tokens(self) -> int:
        """Make every access token expired (the next API call answers 401)."""
        with self._lock:
            now = self._clock()
            for entry in self._access.values():
                entry.expires = min(entry.expires, now)
            return len(self._access)

    def grants(self) -> list[dict[str, object]]:
        """The grants, JSON-ready (never a token)."""
        with self._lock:
            return [
                {
                    "id": g.id,
                    "client_id": g.client_id,
                    "username": g.username,
                    "scopes": sorted(g.scopes),
                    "revoked": g.revoked,
                    "reason": g.reason,
                    "refresh_tokens_issued": sum(
                        1 for t in self._refresh.values() if t.grant_id == g.id
                    ),
                }
                for g in self._grants.values()
            ]

    def _revoke(self, grant_id: int, reason: str) -> None:
        grant = self._grants[grant_id]
        if not grant.revoked:
            grant.revoked, grant.reason = True, reason
