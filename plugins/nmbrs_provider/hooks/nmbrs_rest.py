"""Airflow hook for the Nmbrs REST API (OAuth 2.0): connection, tokens and the Test button.

The backend's reads and writes build on :meth:`NmbrsRestHook.request`.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

import requests
from airflow.sdk import BaseHook

from nmbrs_provider.exceptions import NmbrsConfigurationError, NmbrsError, NmbrsTransientError
from nmbrs_provider.rest.errors import authorize_command
from nmbrs_provider.rest.settings import NmbrsRestSettings
from nmbrs_provider.rest.tokens import TokenProvider

log = logging.getLogger(__name__)


class NmbrsRestHook(BaseHook):
    """Talk to the Nmbrs REST API with an ``nmbrs_rest`` connection.

    Connection: login = OAuth client id, password = client secret, host = API base URL (default
    ``https://api.nmbrsapp.com``), extras ``subscription_key``, ``identity_url`` (default
    ``https://identityservice.nmbrs.com``), ``scopes``, ``warehouse_conn_id`` (the warehouse
    holding the encrypted grant, default ``keeping_warehouse``), ``calls_per_second``,
    ``max_concurrency``. Authorize once with ``python -m nmbrs_provider authorize --conn-id ID``.

    :param nmbrs_conn_id: the Airflow connection to use.
    """

    conn_name_attr = "nmbrs_conn_id"
    default_conn_name = "nmbrs_rest_default"
    conn_type = "nmbrs_rest"
    hook_name = "Nmbrs (REST)"

    def __init__(self, nmbrs_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.nmbrs_conn_id = nmbrs_conn_id

    @cached_property
    def settings(self) -> NmbrsRestSettings:
        """The connection's validated settings (no call made yet)."""
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            conn = self.get_connection(self.nmbrs_conn_id)
        except AirflowNotFoundException:
            raise NmbrsConfigurationError(
                f"Connection {self.nmbrs_conn_id!r} is not defined: create it in Airflow (type "
                f"Nmbrs (REST)) or set AIRFLOW_CONN_{self.nmbrs_conn_id.upper()} to its JSON."
            ) from None
        if conn.conn_type != self.conn_type:
            raise NmbrsConfigurationError(
                f"Connection {self.nmbrs_conn_id!r} is of type {conn.conn_type!r}, not "
                f"{self.conn_type!r}: give it type Nmbrs (REST)."
            )
        return NmbrsRestSettings.from_fields(
            login=conn.login,
            password=conn.password,
            host=conn.host,
            port=conn.port,
            extra=conn.extra_dejson,
            conn_id=self.nmbrs_conn_id,
        )

    @cached_property
    def tokens(self) -> TokenProvider:
        """Bearer tokens of the connection's grant (shared through the token store)."""
        return TokenProvider(self.settings)

    @cached_property
    def session(self) -> requests.Session:
        """The HTTP session of this hook (connection pool; no credentials kept on it)."""
        session = requests.Session()
        session.verify = self.settings.verify_tls
        return session

    def get_conn(self) -> requests.Session:
        """Return the HTTP session (Airflow's hook convention)."""
        return self.session

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One authorized call; a 401 drops that token and repeats the call with the next one
        (another task's newer token from the store, else a refreshed one).

        Only 401 is handled here; pacing, 429/5xx retries and error mapping belong to the
        backend's client.
        """
        extra_headers = kwargs.pop("headers", None) or {}
        tried: set[str] = set()
        response: requests.Response | None = None
        for attempt in (1, 2, 3):
            token = self.tokens.access_token()
            if token in tried and response is not None:  # no other token: the 401 stands
                return response
            headers = {**self.settings.api_headers(), **extra_headers}
            headers["Authorization"] = f"Bearer {token}"
            try:
                response = self.session.request(
                    method,
                    self.settings.api_url(path),
                    headers=headers,
                    timeout=self.settings.timeout,
                    **kwargs,
                )
            except requests.RequestException as exc:
                raise NmbrsTransientError(
                    f"Nmbrs REST API {self.settings.base_url} unreachable ({type(exc).__name__})",
                    maybe_applied=method.upper() not in ("GET", "HEAD"),
                ) from None
            tried.add(token)
            if response.status_code != 401 or attempt == 3:
                return response
            log.info("Nmbrs answered 401 to %s %s: refreshing the access token", method, path)
            self.tokens.invalidate(token)
        raise AssertionError("unreachable")  # pragma: no cover

    def test_connection(self) -> tuple[bool, str]:
        """Get an access token and list the companies; used by the UI's Test button."""
        try:
            response = self.request("GET", "/api/companies", params={"pageSize": 1})
        except NmbrsError as exc:
            return False, str(exc)
        status = response.status_code
        if status == 401:
            return False, (
                "Nmbrs refused the access token (HTTP 401) to GET /api/companies; run "
                f"{authorize_command(self.nmbrs_conn_id)}"
            )
        if status == 403:
            return False, (
                "Nmbrs answered HTTP 403 to GET /api/companies: the grant lacks the scope "
                f"company.info.read; add it to the connection's scopes and run "
                f"{authorize_command(self.nmbrs_conn_id)}"
            )
        if status >= 400:
            return False, f"Nmbrs answered HTTP {status} to GET /api/companies"
        try:
            body = response.json()
            total = int(body["pagination"]["totalRecords"])
        except (ValueError, KeyError, TypeError):
            return False, "Nmbrs answered GET /api/companies with no company list"
        return True, (
            f"Connected with OAuth client {self.settings.client_id}: {total} companies visible"
        )

    # -- Airflow 3.0/3.1 connection form (3.2+ reads get_provider_info) ------------------------

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Form behaviour for Airflow versions that still ask the hook."""
        from nmbrs_provider.get_provider_info import get_provider_info

        (entry,) = [
            c
            for c in get_provider_info()["connection-types"]
            if c["connection-type"] == cls.conn_type
        ]
        return entry["ui-field-behaviour"]
