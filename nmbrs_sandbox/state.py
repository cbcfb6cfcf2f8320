"""The mutable payroll data of a running sandbox, seeded from a scenario."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from nmbrs_sandbox import periods
from nmbrs_sandbox.scenario import Company, Employee, Scenario

FIRST_COMPONENT_ID = 7_000_001

Period = tuple[int, int]


class World:
    """Companies, employees and what clients wrote; guard every use with :attr:`lock`."""

    def __init__(self, scenario: Scenario) -> None:
        self.lock = threading.RLock()
        self.scenario = scenario
        self.companies: dict[int, Company] = {company.id: company for company in scenario.companies}
        self.employees: dict[int, Employee] = {}
        self.employer: dict[int, int] = {}
        self.current: dict[int, Period] = {}
        self.components: dict[int, dict[Period, list[dict[str, Any]]]] = {}
        self.days_var: dict[int, dict[Period, int]] = {}
        self.days_fixed: dict[int, dict[Period, int]] = {}
        self._ids = itertools.count(FIRST_COMPONENT_ID)
        self.reset()

    def reset(self) -> None:
        """Back to the scenario as loaded."""
        with self.lock:
            self._ids = itertools.count(self._first_free_id())
            self.employees.clear()
            self.employer.clear()
            self.components.clear()
            self.days_var.clear()
            self.days_fixed.clear()
            for company in self.scenario.companies:
                self.current[company.id] = company.current_period
                for employee in company.employees:
                    self._seed(company, employee)

    def _first_free_id(self) -> int:
        given = [
            seed.id
            for company in self.scenario.companies
            for employee in company.employees
            for seeds in employee.hour_components.values()
            for seed in seeds
            if seed.id is not None
        ]
        return max([FIRST_COMPONENT_ID - 1, *given]) + 1

    def _seed(self, company: Company, employee: Employee) -> None:
        self.employees[employee.id] = employee
        self.employer[employee.id] = company.id
        self.days_var[employee.id] = dict(employee.days_var)
        self.days_fixed[employee.id] = dict(employee.days_fixed_by_period)
        self.components[employee.id] = {
            period: [
                self.new_component(seed.hour_code, seed.hours, seed.comment, seed.id)
                for seed in seeds
            ]
            for period, seeds in employee.hour_components.items()
        }

    def new_component(
        self, hour_code: int, hours: float, comment: str | None, component_id: int | None = None
    ) -> dict[str, Any]:
        """A component row with a fresh Id (or the given one)."""
        return {
            "Id": next(self._ids) if component_id is None else component_id,
            "HourCode": hour_code,
            "Hours": hours,
            "Comment": comment,
        }

    def company_of(self, employee_id: int) -> Company:
        return self.companies[self.employer[employee_id]]

    def components_in(self, employee_id: int, period: Period) -> list[dict[str, Any]]:
        """The live list of an employee's variable components in a period."""
        return self.components[employee_id].setdefault(period, [])

    def fixed_days(self, employee_id: int, period: Period) -> int:
        overrides = self.days_fixed[employee_id]
        return overrides.get(period, self.employees[employee_id].days_fixed)

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready view of companies, employees and everything written so far."""
        with self.lock:
            return {
                "companies": [self._company_view(company) for company in self.companies.values()],
                "employees": [self._employee_view(emp) for emp in self.employees.values()],
            }

    def _company_view(self, company: Company) -> dict[str, Any]:
        year, period = self.current[company.id]
        return {
            "id": company.id,
            "number": company.number,
            "name": company.name,
            "period_type": company.period_type,
            "current_period": {"year": year, "period": period},
            "current_period_code": periods.period_code(year, period, company.period_suffix),
            "hour_codes": {str(code): text for code, text in company.hour_codes.items()},
        }

    def _employee_view(self, employee: Employee) -> dict[str, Any]:
        return {
            "id": employee.id,
            "company_id": self.employer[employee.id],
            "number": employee.number,
            "display_name": employee.display_name,
            "start_date": employee.start_date.isoformat(),
            "end_date": employee.end_date.isoformat() if employee.end_date else None,
            "days_fixed": employee.days_fixed,
            "days_fixed_by_period": _by_key(self.days_fixed[employee.id]),
            "days_var": _by_key(self.days_var[employee.id]),
            "hour_components": _by_key(
                {
                    period: [dict(row) for row in rows]
                    for period, rows in self.components[employee.id].items()
                    if rows
                }
            ),
        }


def _by_key(values: dict[Period, Any]) -> dict[str, Any]:
    return {periods.key(*period): value for period, value in sorted(values.items())}
