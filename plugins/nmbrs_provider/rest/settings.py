"""Validated settings of an ``nmbrs_rest`` connection, checked before any call is made."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from nmbrs_provider.connection_settings import _flag, _positive, _timeout
from nmbrs_provider.exceptions import NmbrsConfigurationError
from nmbrs_provider.get_provider_info import (
    NMBRS_IDENTITY_URL,
    NMBRS_REST_SCOPES,
    NMBRS_REST_URL,
)

#: No published limit: start low; the pacing adapts and the connection can raise it.
DEFAULT_CALLS_PER_SECOND = 10.0
DEFAULT_MAX_CONCURRENCY = 4
DEFAULT_TIMEOUT_SECONDS = 60.0
#: Where the refresh token lives unless the connection names another Postgres connection.
DEFAULT_STORE_CONN_ID = "keeping_warehouse"
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 scope-token
_CONN_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class NmbrsRestSettings:
    """Everything needed to authorize and call the REST API. ``repr`` shows no secret."""

    conn_id: str
    client_id: str
    client_secret: str = field(repr=False)
    base_url: str = NMBRS_REST_URL
    identity_url: str = NMBRS_IDENTITY_URL
    scopes: tuple[str, ...] = NMBRS_REST_SCOPES
    subscription_key: str | None = field(default=None, repr=False)
    calls_per_second: float = DEFAULT_CALLS_PER_SECOND
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    verify_tls: bool = True
    warehouse_conn_id: str = DEFAULT_STORE_CONN_ID

    @property
    def authorize_url(self) -> str:
        """The identity server's authorization endpoint."""
        return f"{self.identity_url}/connect/authorize"

    @property
    def token_url(self) -> str:
        """The identity server's token endpoint."""
        return f"{self.identity_url}/connect/token"

    @property
    def scope(self) -> str:
        """The scopes as the ``scope`` parameter writes them."""
        return " ".join(self.scopes)

    def api_url(self, path: str) -> str:
        """``/api/companies`` -> the full URL on the connection's host."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def api_headers(self) -> dict[str, str]:
        """Headers every API call carries besides the bearer token."""
        headers = {"Accept": "application/json"}
        if self.subscription_key:
            headers["X-Subscription-Key"] = self.subscription_key
        return headers

    @classmethod
    def from_fields(
        cls,
        *,
        login: str | None,
        password: str | None,
        host: str | None,
        port: int | None = None,
        extra: Mapping[str, Any] | None = None,
        conn_id: str = "nmbrs_rest_default",
    ) -> NmbrsRestSettings:
        """Build settings from an Airflow connection's fields; raise one error naming every fix."""
        extra = {k.removeprefix("extra__nmbrs_rest__"): v for k, v in dict(extra or {}).items()}
        problems: list[str] = []
        client_id = (login or "").strip()
        if not client_id:
            problems.append(
                "Login is empty: enter the OAuth client id of the app registered with Nmbrs."
            )
        secret = (password or "").strip()
        if not secret:
            problems.append("Password is empty: enter the OAuth client secret of the app.")
        base_url = _url(host, port, "Host", NMBRS_REST_URL, problems)
        identity = _url(extra.get("identity_url"), None, "Extra 'identity_url'",
                        NMBRS_IDENTITY_URL, problems)  # fmt: skip
        scopes = _scopes(extra.get("scopes"), problems)
        key = str(extra.get("subscription_key") or "").strip() or None
        rate = _positive(
            extra.get("calls_per_second"), "calls_per_second", DEFAULT_CALLS_PER_SECOND, problems
        )
        concurrency = _positive(
            extra.get("max_concurrency"), "max_concurrency", DEFAULT_MAX_CONCURRENCY, problems
        )
        if concurrency != int(concurrency):
            problems.append(f"Extra 'max_concurrency' must be a whole number, got {concurrency!r}.")
        timeout = _timeout(extra.get("timeout"), problems)
        verify = _flag(extra.get("verify_tls"), True, problems)
        store = str(extra.get("warehouse_conn_id") or DEFAULT_STORE_CONN_ID).strip()
        if not _CONN_ID.match(store):
            problems.append(
                f"Extra 'warehouse_conn_id' {store!r} is not a connection id (letters, digits, "
                "'_', '.', '-')."
            )
        if problems:
            raise NmbrsConfigurationError(
                f"Nmbrs REST connection {conn_id!r} is not usable:\n- " + "\n- ".join(problems)
            )
        return cls(
            conn_id, client_id, secret, base_url, identity, scopes, key, rate,
            int(concurrency), timeout, verify, store,
        )  # fmt: skip


def _url(value: object, port: int | None, what: str, default: str, problems: list[str]) -> str:
    raw = str(value or "").strip().rstrip("/")
    if not raw:
        return default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(
            f"{what} {raw!r} has no scheme: enter the URL with it, e.g. "
            f"'https://{raw.split('://')[-1]}'."
        )
        return default
    if parts.path or parts.query:
        problems.append(
            f"{what} {raw!r} has a path: enter only scheme, host and port "
            f"('{parts.scheme}://{parts.netloc}'); the client adds the paths itself."
        )
        return default
    if port and parts.port is None:
        return f"{raw}:{int(port)}"
    return raw


def _scopes(value: object, problems: list[str]) -> tuple[str, ...]:
    if value in (None, ""):
        return NMBRS_REST_SCOPES
    items = value if isinstance(value, list | tuple) else str(value).replace(",", " ").split()
    scopes = tuple(dict.fromkeys(str(s).strip() for s in items if str(s).strip()))
    bad = [s for s in scopes if not _SCOPE.match(s)]
    if bad:
        problems.append(f"Extra 'scopes' has invalid scope names: {', '.join(map(repr, bad))}.")
    if "offline_access" not in scopes:
        problems.append(
            "Extra 'scopes' lacks offline_access: without it Nmbrs gives no refresh token and "
            "every task would need a person to log in. Add offline_access."
        )
    return scopes or NMBRS_REST_SCOPES
