"""The REST operations the sandbox serves: method, path, operationId and the scopes they need.

A token needs one of an operation's scopes (the spec lists a write scope and its ``.read``
form for reads). Operation names are the spec's operationIds where it has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nmbrs_sandbox.rest import hours, reads
from nmbrs_sandbox.rest.common import Call

Handler = Callable[[Call], tuple[int, Any]]
COMPANY = "/api/companies/(?P<companyId>[^/]+)"
EMPLOYEE = "/api/employees/(?P<employeeId>[^/]+)"
PAYMENT = ("employee.payment",)
PAYMENT_READ = ("employee.payment", "employee.payment.read")
INFO_READ = ("employee.info", "employee.info.read")
EMPLOYMENT_READ = ("employee.employment", "employee.employment.read")
COMPANY_READ = ("company.info", "company.info.read")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: str
    scopes: tuple[str, ...]
    handler: Handler


def _route(
    method: str, path: str, operation: str, scopes: tuple[str, ...], handler: Handler
) -> Route:
    return Route(method, re.compile(f"^{path}/?$", re.IGNORECASE), operation, scopes, handler)


ROUTES = (
    _route("GET", "/api/companies", "getCompanies", COMPANY_READ, reads.companies),
    _route("GET", f"{COMPANY}/period", "getCurrentPeriod", COMPANY_READ, reads.current_period),
    _route("GET", f"{COMPANY}/employees", "getEmployeesByCompany", INFO_READ, reads.employees),
    _route(
        "GET",
        f"{COMPANY}/employees/personalinfo",
        "getEmployeePersonalInfoByCompany",
        INFO_READ,
        reads.personal_info,
    ),
    _route(
        "GET",
        f"{COMPANY}/employees/schedules",
        "getSchedulesByCompany",
        EMPLOYMENT_READ,
        reads.schedules,
    ),
    _route(
        "GET",
        f"{COMPANY}/employees/salaries",
        "getSalariesByCompany",
        EMPLOYMENT_READ,
        reads.salaries,
    ),
    _route(
        "GET",
        f"{COMPANY}/employees/contracts",
        "getContractsByCompany",
        EMPLOYMENT_READ,
        reads.contracts,
    ),
    _route(
        "GET",
        f"{COMPANY}/employees/employments",
        "getEmploymentsByCompany",
        EMPLOYMENT_READ,
        reads.employments,
    ),
    _route(
        "GET",
        f"{COMPANY}/hourcodes",
        "getHourCodesByCompany",
        ("company.payrollsettings.read",),
        reads.hour_codes,
    ),
    _route(
        "GET",
        f"{EMPLOYEE}/variablehours",
        "getVariableHourComponentsByEmployee",
        PAYMENT_READ,
        hours.list_hours,
    ),
    _route(
        "POST",
        f"{EMPLOYEE}/variablehours",
        "createVariableHourComponent",
        PAYMENT,
        hours.create_hours,
    ),
    _route(
        "PUT",
        f"{EMPLOYEE}/variablehours",
        "updateEmployeeVariableHours",
        PAYMENT,
        hours.update_hours,
    ),
    _route(
        "DELETE",
        f"{EMPLOYEE}/hours/(?P<hourcomponentId>[^/]+)",
        "deleteEmployeeHours",
        PAYMENT,
        hours.delete_hours,
    ),
    _route(
        "GET", f"{EMPLOYEE}/variabledays", "GetVariableWorkedDays", PAYMENT_READ, hours.get_days
    ),
    _route("POST", f"{EMPLOYEE}/variabledays", "CreateVariableWorkedDays", PAYMENT, hours.set_days),
)
OPERATIONS = frozenset(route.operation for route in ROUTES)


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | str | None:
    """The route and path parameters; ``"method"`` when only the method is wrong; None."""
    other_method = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        if route.method == method:
            return route, found.groupdict()
        other_method = True
    return "method" if other_method else None
