"""The OAuth 2.0 client calls (authlib's requests OAuth2Session), with errors made safe.

Authorization code with PKCE (S256) for ``authorize``; the refresh grant for tasks. Error
messages carry the identity server's error code and description, never a token or secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from nmbrs_provider.rest.errors import NmbrsTokenEndpointError
from nmbrs_provider.rest.settings import NmbrsRestSettings
from nmbrs_provider.rest.token_store import NewTokens

#: An access token without ``expires_in`` is treated as valid this long.
DEFAULT_EXPIRES_IN = 300.0


class TokenRefused(Exception):
    """The identity server answered an OAuth error (``invalid_grant``, ``invalid_client``...)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error, self.description = error, description


@dataclass(frozen=True)
class AuthorizationRequest:
    """An authorize URL and what its answer is checked against. ``repr`` hides the verifier."""

    url: str
    state: str = field(repr=False)
    redirect_uri: str
    code_verifier: str = field(repr=False)


def _session(settings: NmbrsRestSettings, **kwargs: Any) -> OAuth2Session:
    session = OAuth2Session(
        settings.client_id,
        settings.client_secret,
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
        default_timeout=settings.timeout,
        **kwargs,
    )
    session.verify = settings.verify_tls
    return session


def authorization_request(settings: NmbrsRestSettings, redirect_uri: str) -> AuthorizationRequest:
    """A fresh authorize URL with PKCE (S256) and a random ``state``."""
    verifier = generate_token(64)
    session = _session(
        settings, scope=settings.scope, redirect_uri=redirect_uri, code_challenge_method="S256"
    )
    url, state = session.create_authorization_url(
        settings.authorize_url, state=generate_token(32), code_verifier=verifier
    )
    return AuthorizationRequest(url, state, redirect_uri, verifier)


def exchange_code(
    settings: NmbrsRestSettings, request: AuthorizationRequest, code: str
) -> NewTokens:
    """Trade the authorization code for the first tokens."""
    session = _session(settings, redirect_uri=request.redirect_uri)
    return _call(
        settings,
        [code],
        lambda: session.fetch_token(
            settings.token_url,
            grant_type="authorization_code",
            code=code,
            redirect_uri=request.redirect_uri,
            code_verifier=request.code_verifier,
        ),
        previous_refresh=None,
    )


def refresh(settings: NmbrsRestSettings, refresh_token: str) -> NewTokens:
    """Spend ``refresh_token`` (one use when the server rotates) for new tokens."""
    session = _session(settings)
    return _call(
        settings,
        [refresh_token],
        lambda: session.refresh_token(settings.token_url, refresh_token=refresh_token),
        previous_refresh=refresh_token,
    )


def _call(
    settings: NmbrsRestSettings, secrets: list[str], send: Any, previous_refresh: str | None
) -> NewTokens:
    hide = [settings.client_secret, *secrets]
    try:
        token = dict(send())
    except OAuthError as exc:
        raise TokenRefused(
            _scrub(str(exc.error or "error"), hide), _scrub(str(exc.description or ""), hide)
        ) from None
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise NmbrsTokenEndpointError(
            f"The identity server {settings.identity_url} answered HTTP {status}; try again later."
        ) from None
    except (requests.RequestException, ValueError) as exc:
        raise NmbrsTokenEndpointError(
            f"The identity server {settings.identity_url} did not answer usably "
            f"({type(exc).__name__}); try again later."
        ) from None
    access = token.get("access_token")
    if not access:
        raise NmbrsTokenEndpointError(
            f"The identity server {settings.identity_url} answered without an access token."
        )
    rotated = token.get("refresh_token") or previous_refresh
    if not rotated:
        raise TokenRefused(
            "no_refresh_token",
            "the identity server gave no refresh token: keep offline_access in the "
            "connection's scopes and in the app's registration",
        )
    try:
        expires_in = float(token.get("expires_in") or DEFAULT_EXPIRES_IN)
    except (TypeError, ValueError):
        expires_in = DEFAULT_EXPIRES_IN
    return NewTokens(
        str(access), expires_in, str(rotated), str(token.get("scope") or settings.scope)
    )


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:300]
