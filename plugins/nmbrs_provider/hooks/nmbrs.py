"""Airflow hook for the Visma Nmbrs SOAP API v3, the SOAP ``NmbrsBackend``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk import BaseHook

from nmbrs_provider.connection_settings import NmbrsConnectionSettings
from nmbrs_provider.core.holdings import ChangeSet, CompanyFacts, Holding, WriteCounts
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.soap.concurrency import run_concurrently
from nmbrs_provider.soap.operations import NmbrsSoapCalls
from nmbrs_provider.soap.permission_checks import NmbrsPermissionChecks

if TYPE_CHECKING:
    from nmbrs_provider.soap.call_stats import CallStats
    from nmbrs_provider.soap.client import NmbrsSoapClient

DEFAULT_BATCH_SIZE = 500
T = TypeVar("T")
R = TypeVar("R")


class NmbrsHook(NmbrsSoapCalls, NmbrsPermissionChecks, BaseHook):
    """Talk to Nmbrs with an ``nmbrs`` connection.

    Connection: login = API user e-mail, password = API token, host = base URL (default
    ``https://api.nmbrs.nl``), extra ``domain`` (the environment's subdomain), ``timeout``,
    ``use_sandbox``, ``verify_tls``, ``calls_per_second`` (the account's budget, default 140) and
    ``max_concurrency`` (calls in flight per hook, default 16).

    :param nmbrs_conn_id: the Airflow connection to use.
    :param wsdl_locations: per service, a WSDL to load instead of the server's own (calls still
        go to the connection's base URL).
    :param batch_size: items per batch write (``HourComponentVar_Insert_Batch``,
        ``DaysVar_Set_Batch``); the sync passes the config's ``load.chunk_size``.
    :param insert_attempts: tries of one batch insert after lost answers (each after a
        read-back), waiting ``backoff_seconds`` doubled per try.
    """

    conn_name_attr = "nmbrs_conn_id"
    default_conn_name = "nmbrs_default"
    conn_type = "nmbrs"
    #: Which API the hook speaks (the ledger records it per run).
    api = "soap"
    hook_name = "Nmbrs"

    def __init__(
        self,
        nmbrs_conn_id: str = default_conn_name,
        *,
        wsdl_locations: Mapping[str, str] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        insert_attempts: int = 5,
        backoff_seconds: float = 0.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.nmbrs_conn_id = nmbrs_conn_id
        self.wsdl_locations = dict(wsdl_locations or {})
        self.batch_size = batch_size
        self.insert_attempts = insert_attempts
        self.backoff_seconds = backoff_seconds

    # -- connection ---------------------------------------------------------------------------

    @cached_property
    def settings(self) -> NmbrsConnectionSettings:
        """The connection's validated settings (no call made yet).

        A connection that is not defined or not of type ``nmbrs`` is a
        :class:`NmbrsConfigurationError` (permanent: retrying cannot help).
        """
        from nmbrs_provider.backends import airflow_connection

        conn = airflow_connection(self.nmbrs_conn_id, self.conn_type)
        return NmbrsConnectionSettings.from_fields(
            login=conn.login,
            password=conn.password,
            host=conn.host,
            port=conn.port,
            extra=conn.extra_dejson,
            conn_id=self.nmbrs_conn_id,
        )

    @cached_property
    def client(self) -> NmbrsSoapClient:
        """The SOAP client, built once per hook."""
        from nmbrs_provider.soap.client import NmbrsSoapClient

        return NmbrsSoapClient(self.settings, wsdl_locations=self.wsdl_locations)

    @property
    def call_stats(self) -> CallStats:
        """What this hook's client sent so far (empty when it has not made a call)."""
        from nmbrs_provider.soap.call_stats import CallStats

        client = self.__dict__.get("client")
        return client.stats if client is not None else CallStats()

    def get_conn(self) -> NmbrsSoapClient:
        """Return the SOAP client (Airflow's hook convention)."""
        return self.client

    def map_concurrently(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]``, up to the connection's ``max_concurrency`` at once.

        For independent calls (per-employee reads, deletes by id); the client paces them all
        under the account's budget.
        """
        return run_concurrently(fn, items, self.settings.max_concurrency)

    @property
    def namespace(self) -> str:
        """The connection's Nmbrs domain (lineage names the company's data after it)."""
        return self.settings.domain

    # -- the backend interface (nmbrs_provider.backend.NmbrsBackend) ---------------------------

    def read_company(
        self, company_id: int, period: PayrollPeriod, *, check_days_fixed: bool = False
    ) -> CompanyFacts:
        """Employees with contract facts, and the hour codes (``soap.company_read``)."""
        from nmbrs_provider.soap.company_read import read_company

        return read_company(self, company_id, period, check_days_fixed=check_days_fixed)

    def read_holdings(
        self, employee_ids: Iterable[int], period: PayrollPeriod
    ) -> dict[int, Holding]:
        """Components and days worked per employee: two calls each, side by side."""
        from nmbrs_provider.soap.company_read import read_holdings

        return read_holdings(self, employee_ids, period)

    def apply(self, changes: ChangeSet) -> WriteCounts:
        """Write a change set: deletes, batch inserts and days (``soap.writes``)."""
        from nmbrs_provider.soap.writes import apply_changes

        return apply_changes(self, changes)

    # -- Airflow 3.0/3.1 connection form (3.2+ reads get_provider_info) ------------------------

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Form behaviour for Airflow versions that still ask the hook."""
        from nmbrs_provider.get_provider_info import get_provider_info

        return get_provider_info()["connection-types"][0]["ui-field-behaviour"]
