"""What the REST handlers share: the call context, id lookups, access checks, pagination."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from nmbrs_sandbox import periods
from nmbrs_sandbox.rest import errors, ids
from nmbrs_sandbox.rest.config import RestUser
from nmbrs_sandbox.scenario import Company, Employee, Scenario
from nmbrs_sandbox.state import Period, World

PERIOD_TYPES = {"M": "month", "W": "1-week", "4W": "4-weeks"}
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class Ids:
    """UUID -> SOAP id of every company and employee of a scenario."""

    def __init__(self, scenario: Scenario) -> None:
        self.companies = {ids.company_uuid(c.id): c.id for c in scenario.companies}
        self.employees = {
            ids.employee_uuid(e.id): e.id for c in scenario.companies for e in c.employees
        }

    def company(self, value: str | None) -> int | None:
        key = ids.normalized(value or "")
        return None if key is None else self.companies.get(key)

    def employee(self, value: str | None) -> int | None:
        key = ids.normalized(value or "")
        return None if key is None else self.employees.get(key)


@dataclass
class Call:
    """One API request as the handlers see it (the world's lock is held)."""

    world: World
    ids: Ids
    user: RestUser
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    base_url: str
    path: str

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def company(self) -> Company:
        raw = self.params["companyId"]
        if ids.normalized(raw) is None:
            raise errors.invalid_param(
                "companyId", "The parameter is invalid. It needs to be a UUID."
            )
        company_id = self.ids.company(raw)
        if company_id is None:
            raise errors.invalid_company()
        if company_id not in self.user.companies:
            raise errors.no_access("company")
        return self.world.companies[company_id]

    def employee(self) -> Employee:
        raw = self.params["employeeId"]
        if ids.normalized(raw) is None:
            raise errors.invalid_param(
                "employeeId", "The parameter is invalid. It needs to be a UUID."
            )
        employee_id = self.ids.employee(raw)
        if employee_id is None:
            raise errors.not_found("Employee not found. Check if the employee Id is correct.")
        if self.world.employer[employee_id] not in self.user.companies:
            raise errors.no_access("employee")
        return self.world.employees[employee_id]

    def number(self, name: str, low: int | None = None, high: int | None = None) -> int | None:
        raw = self.arg(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            reason = "The parameter is invalid. It needs to be an integer."
            raise errors.invalid_param(name, reason) from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise errors.invalid_param(name, f"The parameter is invalid. Allowed: {low}..{high}.")
        return value

    def query_period(self, company: Company) -> Period:
        """``year``/``period`` from the query (both or neither), else the current period."""
        year, period = self.number("year"), self.number("period")
        if year is None and period is None:
            return self.world.current[company.id]
        if year is None or period is None:
            missing = "year" if year is None else "period"
            raise errors.invalid_param(missing, "Send year and period together, or neither.")
        return checked_period(company, year, period)

    def page(self, items: list[Any]) -> dict[str, Any]:
        """``{pagination, data}`` of the page the query asks for (default 1, size 20)."""
        number = self.number("pageNumber", 1) or 1
        size = self.number("pageSize", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
        total_pages = max(1, math.ceil(len(items) / size))
        keep = {k: v[0] for k, v in self.query.items() if v and k not in ("pageNumber", "pageSize")}

        def link(page: int) -> str:
            query = urlencode({**keep, "pageNumber": page, "pageSize": size})
            return f"{self.base_url}{self.path}?{query}"

        return {
            "pagination": {
                "pageNumber": number,
                "pageSize": size,
                "firstPage": link(1),
                "lastPage": link(total_pages),
                "totalPages": total_pages,
                "totalRecords": len(items),
                "nextPage": link(number + 1) if number < total_pages else None,
                "previousPage": link(number - 1) if 1 < number <= total_pages + 1 else None,
            },
            "data": items[(number - 1) * size : number * size],
        }


def checked_period(company: Company, year: Any, period: Any) -> Period:
    if not isinstance(year, int) or isinstance(year, bool):
        raise errors.invalid_param("year", "The parameter is invalid. It needs to be a valid year.")
    if not isinstance(period, int) or isinstance(period, bool):
        raise errors.invalid_param("period", "The parameter is invalid. It needs to be a number.")
    if not periods.is_valid(company.period_type, year, period):
        reason = (
            f"{year}-{period} is not a period of a {PERIOD_TYPES[company.period_type]} company."
        )
        raise errors.invalid_param("period", reason)
    return year, period


def stamp(day: date | None) -> str | None:
    """A date as the spec's date-time (midnight UTC)."""
    return None if day is None else f"{day.isoformat()}T00:00:00Z"
