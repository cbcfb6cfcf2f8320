"""Access tokens for the REST hook: cached, shared by every task of one grant, refreshed by one
process at a time.

``TokenProvider(settings).access_token()`` answers, in order of preference: the token this
process already holds; the one another task stored in ``nmbrs_sync.oauth_grant``; a new one.
A new one is fetched under the grant's row lock, after looking again (another process may have
refreshed while this one waited), and the rotated refresh token is committed before the access
token is handed out, so the old refresh token is never used twice by this client.
"""

from __future__ import annotations

import logging
import threading
import time

from nmbrs_provider.exceptions import NmbrsAuthenticationError, NmbrsError
from nmbrs_provider.rest import oauth
from nmbrs_provider.rest.errors import (
    NmbrsGrantError,
    NmbrsTokenEndpointError,
    NmbrsTokenStoreError,
    authorize_command,
)
from nmbrs_provider.rest.settings import NmbrsRestSettings
from nmbrs_provider.rest.token_store import NewTokens, StoredGrant, TokenStore

log = logging.getLogger(__name__)

#: Refresh this long before an access token expires (at most a quarter of its lifetime).
REFRESH_MARGIN_SECONDS = 60.0


def _margin(lifetime: float | None) -> float:
    return min(REFRESH_MARGIN_SECONDS, (lifetime or 0) / 4)


class TokenProvider:
    """Bearer tokens for one ``nmbrs_rest`` connection. Thread-safe; ``repr`` shows no token.

    :param store: where the grant lives; default the connection's ``warehouse_conn_id``.
    """

    def __init__(self, settings: NmbrsRestSettings, store: TokenStore | None = None) -> None:
        self.settings = settings
        self.store = store or TokenStore(settings.warehouse_conn_id)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._valid_until = 0.0  # time.monotonic()
        self._rejected: set[str] = set()  # access tokens the API answered 401 to
        #: refreshes this provider made (tests and metrics; never the tokens)
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"TokenProvider(conn_id={self.settings.conn_id!r}, store={self.store!r})"

    def access_token(self) -> str:
        """A bearer token valid for at least a little while longer."""
        with self._lock:
            if self._token is not None and time.monotonic() < self._valid_until:
                return self._token
            grant = self._usable(self.store.read(self.settings.conn_id))
            token = self._fresh_access(grant)
            if token is None:
                token = self._refresh()
            return token

    def invalidate(self, rejected: str) -> None:
        """The API answered 401 to ``rejected``: never hand it out again; the next call takes
        the store's token when it is another one, else refreshes."""
        with self._lock:
            if self._token == rejected:
                self._token, self._valid_until = None, 0.0
            self._rejected.add(rejected)

    def _usable(self, grant: StoredGrant | None) -> StoredGrant:
        conn_id = self.settings.conn_id
        if grant is not None:
            _mask(grant.refresh_token, grant.access_token)
        if grant is None:
            raise NmbrsGrantError(
                conn_id, f"not authorized yet (no grant in {self.store.describe()})"
            )
        if grant.revoked:
            raise NmbrsGrantError(
                conn_id,
                f"the identity server refused the stored grant ({grant.revoked_reason}); it was "
                "revoked or has expired",
            )
        if grant.client_id != self.settings.client_id:
            raise NmbrsGrantError(
                conn_id,
                f"the stored grant belongs to OAuth client {grant.client_id!r}, the connection "
                f"now uses {self.settings.client_id!r}",
            )
        return grant

    def _fresh_access(self, grant: StoredGrant) -> str | None:
        """The stored access token when it is good for longer than the margin."""
        left = grant.access_seconds_left
        if grant.access_token is None or left is None or grant.access_token in self._rejected:
            return None
        margin = _margin(grant.access_lifetime)
        if left <= margin:
            return None
        self._token = grant.access_token
        self._valid_until = time.monotonic() + left - margin
        return grant.access_token

    def _refresh(self) -> str:
        conn_id = self.settings.conn_id
        refused: oauth.TokenRefused | None = None
        tokens: NewTokens | None = None
        try:
            with self.store.locked(conn_id) as locked:
                grant = self._usable(locked.grant)
                token = self._fresh_access(grant)  # another process refreshed meanwhile
                if token is not None:
                    return token
                try:
                    tokens = oauth.refresh(self.settings, grant.refresh_token)
                except oauth.TokenRefused as exc:
                    refused = exc
                    if exc.error == "invalid_grant":
                        locked.mark_revoked(str(exc))  # committed: no process tries it again
                else:
                    _mask(tokens.refresh_token, tokens.access_token)
                    locked.replace(tokens)
        except KeyError:
            raise NmbrsGrantError(conn_id, "not authorized yet (its grant was deleted)") from None
        except (NmbrsGrantError, NmbrsTokenEndpointError):
            raise
        except Exception as exc:
            if tokens is None:
                raise
            # The identity server rotated the refresh token but the store did not take it.
            raise NmbrsTokenStoreError(
                f"Nmbrs rotated the refresh token of connection {conn_id!r} but storing it in "
                f"{self.store.describe()} failed ({type(exc).__name__}); if the next run says "
                f"the grant is refused, run {authorize_command(conn_id)}"
            ) from None
        if refused is not None:
            raise _refusal(conn_id, refused)
        assert tokens is not None
        self.refreshes += 1
        log.info("Refreshed the Nmbrs access token of connection %s", conn_id)
        self._token = tokens.access_token
        self._valid_until = time.monotonic() + tokens.expires_in - _margin(tokens.expires_in)
        return tokens.access_token


def _mask(*values: str | None) -> None:
    """Let Airflow's log masker hide these values in task logs too (defence in depth)."""
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - older task SDKs
        return
    for value in values:
        if value:
            mask_secret(value)


def _refusal(conn_id: str, refused: oauth.TokenRefused) -> NmbrsError:
    if refused.error == "invalid_client":
        return NmbrsAuthenticationError(
            f"Nmbrs REST connection {conn_id!r}: the identity server refused the OAuth client "
            f"({refused}): correct the connection's login (client id) and password (client "
            "secret)."
        )
    if refused.error == "invalid_grant":
        return NmbrsGrantError(
            conn_id, f"the identity server refused the grant ({refused}); it was revoked or has "
            "expired",
        )  # fmt: skip
    return NmbrsGrantError(conn_id, f"the identity server refused the refresh ({refused})")
