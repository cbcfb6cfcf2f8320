"""The Nmbrs backend interface: the domain operations the sync needs from an Nmbrs API.

The sync pipeline (:mod:`nmbrs_provider.sync.pipeline`) talks to Nmbrs only through
:class:`NmbrsBackend`; the planner and the core never see which backend runs.
:class:`~nmbrs_provider.hooks.nmbrs.NmbrsHook` (SOAP) implements it; a REST backend is the
second. The value types it speaks are those of :mod:`nmbrs_provider.core.holdings`, and ids are
opaque (``int | str``).

What every backend guarantees:

* reads are complete (every page) and may be retried;
* :meth:`NmbrsBackend.apply` reaches the change set with as few calls as its API allows and
  batches as its API allows (the plan is never chunked by the caller);
* a write that creates a component and whose answer was lost is never sent again before the
  employee's components have been read back
  (:func:`~nmbrs_provider.core.holdings.lost_add_state` tells what the read shows);
* :meth:`NmbrsBackend.check_write_access` writes nothing and raises
  :class:`~nmbrs_provider.exceptions.NmbrsPermissionError` naming everything missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from nmbrs_provider.core.holdings import (
    ChangeSet,
    CodeChange,
    CompanyFacts,
    CompanyId,
    ComponentId,
    EmployeeChange,
    EmployeeFacts,
    EmployeeId,
    Holding,
    HourComponent,
    LostAdd,
    WriteCounts,
    lost_add_state,
)
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.models import Company

if TYPE_CHECKING:
    from nmbrs_provider.soap.call_stats import CallStats

__all__ = [
    "ChangeSet",
    "CodeChange",
    "Company",
    "CompanyFacts",
    "CompanyId",
    "ComponentId",
    "EmployeeChange",
    "EmployeeFacts",
    "EmployeeId",
    "Holding",
    "HourComponent",
    "LostAdd",
    "NmbrsBackend",
    "WriteCounts",
    "lost_add_state",
]


@runtime_checkable
class NmbrsBackend(Protocol):
    """One Nmbrs API user, as the sync sees it."""

    @property
    def call_stats(self) -> CallStats:
        """Calls sent so far, per operation (for metrics and the call budget)."""
        ...

    @property
    def api(self) -> str:
        """Which Nmbrs API the backend speaks: ``"soap"`` or ``"rest"`` (the ledger records it)."""
        ...

    @property
    def namespace(self) -> str:
        """Where the data lives, for lineage: the SOAP domain, the REST API's host."""
        ...

    def list_companies(self) -> list[Company]:
        """Companies the API user can see."""
        ...

    def get_current_period(self, company_id: CompanyId) -> PayrollPeriod:
        """The period the company's next payroll run processes."""
        ...

    def read_company(
        self, company_id: CompanyId, period: PayrollPeriod, *, check_days_fixed: bool = False
    ) -> CompanyFacts:
        """Every employee with the contract facts valid in ``period``, and the hour model's
        codes (None when the API user may not read them). ``check_days_fixed``: also read the
        fixed days of employees with a zero schedule (else ``days_fixed`` is None)."""
        ...

    def read_holdings(
        self, employee_ids: Iterable[EmployeeId], period: PayrollPeriod
    ) -> dict[EmployeeId, Holding]:
        """Variable hour components and days worked of each employee in ``period``."""
        ...

    def check_write_access(self, changes: ChangeSet) -> None:
        """Raise ``NmbrsPermissionError`` naming every operation ``changes`` needs that the API
        user may not call; writes nothing."""
        ...

    def apply(self, changes: ChangeSet) -> WriteCounts:
        """Write ``changes`` (see the module's guarantees). Raises ``NmbrsTransientError`` for
        an outage after the read-back allowed no safe retry."""
        ...
