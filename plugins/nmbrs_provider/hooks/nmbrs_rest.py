"""Airflow hook for the Nmbrs REST API (OAuth 2.0), the REST ``NmbrsBackend``.

Connection, tokens and the Test button here; the backend's calls (pacing, pages, retries) in
``rest.client``, reads in ``rest.company_read``, writes in ``rest.writes``, scope checks in
``rest.checks``. Every call goes through :meth:`NmbrsRestHook.request`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from airflow.sdk import BaseHook

from nmbrs_provider.exceptions import NmbrsError, NmbrsTransientError
from nmbrs_provider.http_session import EnvironmentOnceSession
from nmbrs_provider.rest.errors import authorize_command
from nmbrs_provider.rest.settings import NmbrsRestSettings
from nmbrs_provider.rest.tokens import TokenProvider

if TYPE_CHECKING:
    from nmbrs_provider.core.holdings import ChangeSet, CompanyFacts, Holding, WriteCounts
    from nmbrs_provider.core.periods import PayrollPeriod
    from nmbrs_provider.models import Company, CompanyPeriod
    from nmbrs_provider.rest.checks import RestPermissionReport
    from nmbrs_provider.rest.client import RestCalls
    from nmbrs_provider.soap.call_stats import CallStats

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


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
    #: Which API the hook speaks (the ledger records it per run).
    api = "rest"
    hook_name = "Nmbrs (REST)"

    def __init__(
        self,
        nmbrs_conn_id: str = default_conn_name,
        *,
        write_attempts: int = 5,
        backoff_seconds: float = 0.5,
        throttle_wait_seconds: float = 300.0,
        page_size: int = 100,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("batch_size", None)  # SOAP batches; the REST API has no batch write
        super().__init__(**kwargs)
        self.nmbrs_conn_id = nmbrs_conn_id
        #: tries of a create whose answer was lost (each after a read-back)
        self.write_attempts = write_attempts
        self.backoff_seconds = backoff_seconds
        #: most one call waits in all on 429 answers before it fails (429s are not tries)
        self.throttle_wait_seconds = throttle_wait_seconds
        self.page_size = page_size

    @cached_property
    def settings(self) -> NmbrsRestSettings:
        """The connection's validated settings (no call made yet)."""
        from nmbrs_provider.backends import airflow_connection

        conn = airflow_connection(self.nmbrs_conn_id, self.conn_type)
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
        session = EnvironmentOnceSession()
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

    # -- the backend interface (nmbrs_provider.backend.NmbrsBackend) ---------------------------

    @cached_property
    def calls(self) -> RestCalls:
        """Paced, counted and retried operations (``rest.client``), built once per hook."""
        from nmbrs_provider.rest.client import RestCalls
        from nmbrs_provider.soap.pacing import account_pacer

        settings = self.settings
        pacer = account_pacer(
            f"rest {settings.base_url} {settings.client_id}", settings.calls_per_second
        )
        return RestCalls(
            self.request,
            pacer=pacer,
            backoff_seconds=self.backoff_seconds,
            throttle_wait_seconds=self.throttle_wait_seconds,
            page_size=self.page_size,
        )

    @property
    def call_stats(self) -> CallStats:
        """What this hook sent so far, per ``("REST", operationId)``."""
        from nmbrs_provider.soap.call_stats import CallStats

        calls = self.__dict__.get("calls")
        return calls.stats if calls is not None else CallStats()

    @property
    def namespace(self) -> str:
        """The API's host (lineage names the company's data after it)."""
        from urllib.parse import urlsplit

        return urlsplit(self.settings.base_url).netloc

    @property
    def username(self) -> str:
        """Who calls: the OAuth client id (never a secret)."""
        return self.settings.client_id

    def map_concurrently(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]``, up to the connection's ``max_concurrency``."""
        from nmbrs_provider.soap.concurrency import run_concurrently

        return run_concurrently(fn, items, self.settings.max_concurrency)

    def list_companies(self) -> list[Company]:
        from nmbrs_provider.rest.company_read import list_companies

        return list_companies(self)

    def get_current_period(self, company_id: int | str) -> PayrollPeriod:
        from nmbrs_provider.rest.company_read import get_current_period

        return get_current_period(self, company_id)

    def list_company_periods(self) -> list[CompanyPeriod]:
        """Every visible company with its current period."""
        from nmbrs_provider.models import CompanyPeriod

        companies = self.list_companies()
        periods = self.map_concurrently(lambda c: self.get_current_period(c.id), companies)
        return [CompanyPeriod(c, p) for c, p in zip(companies, periods, strict=True)]

    def read_company(
        self, company_id: int | str, period: PayrollPeriod, *, check_days_fixed: bool = False
    ) -> CompanyFacts:
        from nmbrs_provider.rest.company_read import read_company

        return read_company(self, company_id, period, check_days_fixed=check_days_fixed)

    def read_holdings(
        self, employee_ids: Iterable[int | str], period: PayrollPeriod
    ) -> dict[int | str, Holding]:
        from nmbrs_provider.rest.company_read import read_holdings

        return read_holdings(self, employee_ids, period)

    def check_write_access(self, changes: ChangeSet) -> None:
        from nmbrs_provider.rest.checks import check_write_access

        check_write_access(self, changes)

    def apply(self, changes: ChangeSet) -> WriteCounts:
        from nmbrs_provider.rest.writes import apply_changes

        return apply_changes(self, changes)

    def permission_report(self) -> RestPermissionReport:
        """Scopes granted and missing, read endpoints answering 403 (nothing written)."""
        from nmbrs_provider.rest.checks import permission_report

        return permission_report(self)

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
