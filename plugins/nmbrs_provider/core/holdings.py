"""What Nmbrs holds and what to change in it: the value types from planning to the wire.

One set of types for every backend (:mod:`nmbrs_provider.backend`). Ids are opaque
(``int | str``): SOAP numbers its companies, employees and hour components, REST uses UUIDs;
nothing here does arithmetic on them or converts them.

A :class:`ChangeSet` states, per employee, the *target* of each owned hour code that must change
(with the components of that code Nmbrs holds now) and the days worked to set. It does not say
which calls reach it: each backend decides (SOAP: delete every held component, insert one batch;
REST: update a held component in place, delete the rest, create only what is new). Batch sizes
are the backend's too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import Enum

from .periods import PayrollPeriod

__all__ = [
    "ChangeSet",
    "CodeChange",
    "CompanyFacts",
    "CompanyId",
    "ComponentId",
    "EmployeeChange",
    "EmployeeFacts",
    "EmployeeId",
    "Holding",
    "HourComponent",
    "LostAdd",
    "WriteCounts",
    "lost_add_state",
]

CompanyId = int | str
EmployeeId = int | str
ComponentId = int | str

_CENT = Decimal("0.01")
_NOISE = Decimal("1e-9")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_NOISE, ROUND_HALF_EVEN).quantize(_CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class HourComponent:
    """A variable hour component as Nmbrs holds it."""

    id: ComponentId
    hour_code: int
    hours: Decimal
    comment: str | None = None


@dataclass(frozen=True)
class Holding:
    """What Nmbrs holds for one employee in one period: components and days worked (None:
    not set)."""

    components: tuple[HourComponent, ...] = ()
    days: int | None = None

    def of_code(self, hour_code: int) -> tuple[HourComponent, ...]:
        """The components of ``hour_code``."""
        return tuple(c for c in self.components if c.hour_code == hour_code)

    def total(self, hour_code: int) -> Decimal:
        """Hours held for ``hour_code``, rounded to cents."""
        return _cents(sum((c.hours for c in self.of_code(hour_code)), Decimal(0)))


@dataclass(frozen=True)
class EmployeeFacts:
    """An employee with the contract facts the classifier needs, valid in one period.

    ``schedule_hours``: scheduled hours over two weeks (None: no schedule known);
    ``salary_type``: Nmbrs' SalaryType name (``Bruto_Uurloon``, ...; None: unknown);
    ``days_fixed``: fixed days in the period (None: not read).
    """

    employee_id: EmployeeId
    number: str
    name: str
    schedule_hours: float | None
    salary_type: str | None
    days_fixed: float | None
    start_date: dt.date | None
    end_date: dt.date | None


@dataclass(frozen=True)
class CompanyFacts:
    """A company's employees and its hour model's codes (None: the API user may not read it)."""

    employees: tuple[EmployeeFacts, ...]
    hour_codes: frozenset[int] | None


@dataclass(frozen=True)
class CodeChange:
    """Make Nmbrs hold ``hours`` of ``hour_code`` for an employee.

    ``held``: the components of the code Nmbrs holds now (as read before planning).
    Without ``correction`` the result is one component of ``hours`` (none when 0) and nothing
    else of the code. With ``correction`` (a period Nmbrs has closed: nothing can be deleted or
    changed) one component of :attr:`difference` is added on top of what is held.
    """

    hour_code: int
    held: tuple[HourComponent, ...]
    hours: Decimal
    comment: str
    correction: bool = False

    @property
    def held_hours(self) -> Decimal:
        """Hours held of the code before the change, rounded to cents."""
        return _cents(sum((c.hours for c in self.held), Decimal(0)))

    @property
    def difference(self) -> Decimal:
        """What the change adds to the code's total (negative lowers it)."""
        return self.hours - self.held_hours


@dataclass(frozen=True)
class EmployeeChange:
    """Everything to change for one employee: hour codes, and days worked (None: keep)."""

    employee_id: EmployeeId
    codes: tuple[CodeChange, ...] = ()
    days: int | None = None


@dataclass(frozen=True)
class ChangeSet:
    """The writes of one company and period; ``unprotected``: write into a period Nmbrs has
    closed (the retro policy)."""

    company_id: CompanyId
    period: PayrollPeriod
    employees: tuple[EmployeeChange, ...]
    unprotected: bool = False

    @property
    def corrections_only(self) -> bool:
        """True when nothing is deleted or changed in place: only additions and days."""
        return all(c.correction for e in self.employees for c in e.codes)

    @property
    def employee_ids(self) -> tuple[EmployeeId, ...]:
        return tuple(e.employee_id for e in self.employees)

    def __bool__(self) -> bool:
        return bool(self.employees)


@dataclass(frozen=True)
class WriteCounts:
    """What a backend wrote for a change set: components removed, changed in place, added,
    and employees whose days were set."""

    removed: int = 0
    updated: int = 0
    added: int = 0
    days_set: int = 0


class LostAdd(Enum):
    """Where an addition whose answer was lost stands, from a fresh read of the employee."""

    PENDING = "pending"  # not applied: send it (once)
    APPLIED = "applied"  # applied: do not send it again
    CONFLICT = "conflict"  # someone else changed the code meanwhile: send nothing


def lost_add_state(change: CodeChange, now: Iterable[HourComponent]) -> LostAdd:
    """Whether the component ``change`` adds is in Nmbrs, given what it holds ``now``.

    A replacement adds a component only once no component of its code is held (the backend
    removed or never had one): any component of the code now present can only be that
    addition. A correction was applied when the code's total moved from :attr:`held_hours`
    to :attr:`~CodeChange.hours`; any other total means someone else changed it.
    """
    of_code = [c for c in now if c.hour_code == change.hour_code]
    if not change.correction:
        return LostAdd.APPLIED if of_code else LostAdd.PENDING
    total = _cents(sum((c.hours for c in of_code), Decimal(0)))
    if total == change.held_hours:
        return LostAdd.PENDING
    if total == change.hours:
        return LostAdd.APPLIED
    return LostAdd.CONFLICT
