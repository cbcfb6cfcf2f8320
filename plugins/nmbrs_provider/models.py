"""Value objects the SOAP hook's reads return, so that nothing above it touches zeep objects.

What the sync plans and writes (components, days, change sets) is in
:mod:`nmbrs_provider.core.holdings`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from nmbrs_provider.core.periods import PayrollPeriod

#: Nmbrs' SalaryType enum, by position (the company-wide salary call returns the int).
SALARY_TYPES = (
    "None",
    "Bruto_Salaris_Fulltime",
    "Bruto_Salaris_Partime",
    "Bruto_Uurloon",
    "Netto_Salaris_Partime_incl_looncomp",
    "Netto_Salaris_Partime_excl_looncomp",
    "Netto_Uurloon_excl_looncomp",
    "Werkgerverslasten",
    "Netto_Uurloon_incl_looncomp",
)
HOURLY_SALARY_TYPES = frozenset(
    {"Bruto_Uurloon", "Netto_Uurloon_excl_looncomp", "Netto_Uurloon_incl_looncomp"}
)


@dataclass(frozen=True)
class Company:
    """A company the API user can see (``id``: an int for SOAP, a UUID string for REST)."""

    id: int | str
    number: int
    name: str


@dataclass(frozen=True)
class CompanyPeriod:
    """A company with the period its next payroll run processes."""

    company: Company
    period: PayrollPeriod


@dataclass(frozen=True)
class Employee:
    """An employee of a company: internal id and personnel number."""

    id: int
    number: str
    display_name: str


@dataclass(frozen=True)
class HourCode:
    """An hour code of a company's hour model."""

    code: int
    description: str


@dataclass(frozen=True)
class PersonalInfo:
    """The latest personal info record of an employee."""

    employee_id: int
    number: str
    first_name: str
    last_name: str
    display_name: str
    start_year: int | None
    start_period: int | None


@dataclass(frozen=True)
class Salary:
    """One salary record; ``type`` is Nmbrs' SalaryType name."""

    employee_id: int
    value: Decimal
    type: str
    start_date: dt.date | None

    @property
    def is_hourly(self) -> bool:
        """True for an hourly wage."""
        return self.type in HOURLY_SALARY_TYPES


@dataclass(frozen=True)
class Schedule:
    """A two-week schedule: 14 daily hours, Monday of week 1 first."""

    employee_id: int
    hours: tuple[Decimal, ...]
    parttime_percentage: Decimal
    start_date: dt.date | None

    @property
    def total_hours(self) -> Decimal:
        """Hours over both weeks; zero for a zero-hour contract."""
        return sum(self.hours, Decimal(0))
