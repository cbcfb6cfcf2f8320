"""The API permissions the sync needs, and how to probe each without writing anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Arguments Nmbrs must reject for a reason other than permissions: no employee or company has
# id 0, period 0 exists for no period type, and 1900 is before every company. A probe of a
# write operation therefore never writes; fault 1002 means the permission is missing.
NO_ID = 0
NO_PERIOD = 0
NO_YEAR = 1900


@dataclass(frozen=True)
class Permission:
    """One operation of the API user template."""

    service: str
    operation: str
    needed_for: str
    required: bool = True
    probe_args: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``Service.Operation``, as the API user template lists it."""
        return f"{self.service}.{self.operation}"


def _write_batch(item_key: str, items_key: str, item: dict[str, Any]) -> dict[str, Any]:
    return {items_key: {item_key: [item]}}


_NO_HOURS = {
    "EmployeeId": NO_ID,
    "Id": 0,
    "HourCode": 0,
    "CostCenterId": None,
    "CostUnitId": None,
    "Hours": 0,
}
_NO_DAYS = {"EmployeeId": NO_ID, "Days": 0, "Period": NO_PERIOD, "Year": NO_YEAR}
_EMPLOYEE = {"EmployeeId": NO_ID}
_EMPLOYEE_PERIOD = {"EmployeeId": NO_ID, "Period": NO_PERIOD, "Year": NO_YEAR}

PERMISSIONS: tuple[Permission, ...] = (
    Permission("CompanyService", "List_GetAll", "listing companies"),
    Permission(
        "CompanyService",
        "Company_GetCurrentPeriod",
        "reading the current period",
        probe_args={"CompanyId": NO_ID},
    ),
    Permission(
        "CompanyService",
        "Run_GetList",
        "reading payroll runs",
        probe_args={"CompanyId": NO_ID, "Year": NO_YEAR},
    ),
    Permission(
        "CompanyService",
        "Run_GetEmployeesByRunCompany",
        "reading who was paid in a run",
        probe_args={"CompanyId": NO_ID, "RunId": NO_ID, "Year": NO_YEAR},
    ),
    Permission(
        "EmployeeService",
        "List_GetByCompany",
        "listing employees",
        probe_args={"CompanyId": NO_ID, "EmployeeType": 0},
    ),
    Permission(
        "EmployeeService",
        "PersonalInfo_GetAll_AllEmployeesByCompany",
        "matching personnel numbers",
        probe_args={"CompanyID": NO_ID},
    ),
    Permission(
        "EmployeeService",
        "Salary_GetAll_AllEmployeesByCompany",
        "confirming hourly wages",
        probe_args={"CompanyID": NO_ID},
    ),
    Permission(
        "EmployeeService", "Schedule_GetCurrent", "classifying contracts", probe_args=_EMPLOYEE
    ),
    Permission(
        "EmployeeService",
        "Schedule_Get",
        "classifying contracts in a period",
        probe_args=_EMPLOYEE_PERIOD,
    ),
    Permission(
        "EmployeeService",
        "DaysFixed_GetCurrent",
        "confirming zero fixed days",
        probe_args=_EMPLOYEE,
    ),
    Permission(
        "EmployeeService",
        "DaysFixed_Get",
        "confirming zero fixed days in a period",
        probe_args=_EMPLOYEE_PERIOD,
    ),
    Permission(
        "EmployeeService",
        "DaysFixed_Set_Batch",
        "Keeping's integration (not written by the sync)",
        probe_args={"EmployeesDaysWorked": {"DaysWorked": [_NO_DAYS]}, "UnprotectedMode": False},
    ),
    Permission(
        "EmployeeService", "DaysVarWorked_GetCurrent", "reading days worked", probe_args=_EMPLOYEE
    ),
    Permission(
        "EmployeeService",
        "DaysVarWorked_Get",
        "reading days worked in a period",
        probe_args=_EMPLOYEE_PERIOD,
    ),
    Permission(
        "EmployeeService",
        "DaysVar_Set_Batch",
        "writing days worked",
        probe_args={"EmployeesDaysWorked": {"DaysWorked": [_NO_DAYS]}, "UnprotectedMode": False},
    ),
    Permission(
        "EmployeeService",
        "HourComponentVar_GetCurrent",
        "reading hours in Nmbrs",
        probe_args=_EMPLOYEE,
    ),
    Permission(
        "EmployeeService",
        "HourComponentVar_Get",
        "reading hours in a period",
        probe_args=_EMPLOYEE_PERIOD,
    ),
    Permission(
        "EmployeeService",
        "HourComponentVar_ClearCurrent",
        "rewriting an employee's hours",
        probe_args=_EMPLOYEE,
    ),
    Permission(
        "EmployeeService",
        "HourComponentVar_Insert_Batch",
        "writing hours",
        probe_args={
            "HourComponents": {"EmployeeHourComponent": [_NO_HOURS]},
            "Period": NO_PERIOD,
            "Year": NO_YEAR,
            "UnprotectedMode": False,
        },
    ),
    # Not in Keeping's list: the sync uses them when allowed and says what it loses without.
    Permission(
        "CompanyService",
        "HourModel_GetHourCodes",
        "checking hour codes before writing",
        required=False,
        probe_args={"CompanyId": NO_ID},
    ),
    Permission(
        "EmployeeService",
        "Schedule_GetAll_AllEmployeesByCompany",
        "one schedule call per company instead of one per employee",
        required=False,
        probe_args={"CompanyID": NO_ID},
    ),
    Permission(
        "EmployeeService",
        "Salary_Get",
        "salaries per employee when the company-wide salary read is not allowed",
        required=False,
        probe_args=_EMPLOYEE_PERIOD,
    ),
    Permission(
        "EmployeeService",
        "Employment_GetAll_AllEmployeesByCompany",
        "excluding hours outside an employment",
        required=False,
        probe_args={"CompanyID": NO_ID},
    ),
    Permission(
        "EmployeeService",
        "HourComponentVar_Clear",
        "rewriting hours of a past period (retro)",
        required=False,
        probe_args={**_EMPLOYEE_PERIOD, "UnprotectedMode": False},
    ),
    Permission(
        "EmployeeService",
        "HourComponent_Delete",
        "removing only the sync's own components",
        required=False,
        probe_args={"EmployeeId": NO_ID, "HourComponentID": NO_ID},
    ),
)


@dataclass(frozen=True)
class PermissionReport:
    """Which permissions the API user has, lacks, or could not be checked."""

    username: str
    granted: tuple[str, ...]
    missing: tuple[str, ...]
    optional_missing: tuple[str, ...]
    unchecked: dict[str, str]

    @property
    def ok(self) -> bool:
        """True when every required permission is granted."""
        return not self.missing and not self.unchecked

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as ``python -m nmbrs_provider check --json`` prints it."""
        return {
            "username": self.username,
            "ok": self.ok,
            "missing": list(self.missing),
            "optional_missing": list(self.optional_missing),
            "granted": list(self.granted),
            "unchecked": dict(self.unchecked),
            "needed_for": {p.name: p.needed_for for p in PERMISSIONS},
        }
