"""The Nmbrs SOAP operations the sync uses, one method each, parsed into value objects."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from nmbrs_provider.core.holdings import EmployeeId, HourComponent
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.exceptions import NmbrsPermissionError
from nmbrs_provider.models import (
    SALARY_TYPES,
    Company,
    CompanyPeriod,
    Employee,
    HourCode,
    PersonalInfo,
    Salary,
    Schedule,
)

if TYPE_CHECKING:
    from nmbrs_provider.soap.client import NmbrsSoapClient

log = logging.getLogger(__name__)

H = TypeVar("H", Salary, Schedule)  # a dated history entry
_SCHEDULE_DAYS = (
    "HoursMonday", "HoursTuesday", "HoursWednesday", "HoursThursday", "HoursFriday",
    "HoursSaturday", "HoursSunday", "HoursMonday2", "HoursTuesday2", "HoursWednesday2",
    "HoursThursday2", "HoursFriday2", "HoursSaturday2", "HoursSunday2",
)  # fmt: skip


class NmbrsSoapCalls:
    """One method per SOAP operation (``EmployeeService``, ``CompanyService``); the hook adds
    the connection (``client``) and the backend interface on top."""

    client: NmbrsSoapClient

    def _employee_read(self, operation: str, employee_id: int, period: PayrollPeriod) -> Any:
        """An ``EmployeeService`` read of one employee in one period."""
        return self._call(
            "EmployeeService",
            operation,
            EmployeeId=int(employee_id),
            Period=period.number,
            Year=period.year,
        )

    def _histories(
        self,
        operation: str,
        company_id: int,
        items_key: str,
        item_type: str,
        parse: Callable[[int, Mapping[str, Any]], H],
    ) -> dict[int, list[H]]:
        """A company-wide ``EmployeeService`` history read, per employee and oldest first."""
        rows = self._call("EmployeeService", operation, CompanyID=int(company_id))
        result: dict[int, list[H]] = {}
        for item in rows or []:
            employee_id = int(item["EmployeeId"])
            history = [parse(employee_id, r) for r in _nested(item.get(items_key), item_type)]
            result[employee_id] = sorted(history, key=lambda h: h.start_date or dt.date.min)
        return result

    def _call(self, service: str, operation: str, **kwargs: Any) -> Any:
        from zeep.helpers import serialize_object

        from nmbrs_provider.soap.client import PLAIN_READS

        result = self.client.call(service, operation, **kwargs)
        if operation in PLAIN_READS:
            return result  # plain values already
        return serialize_object(result, dict)

    # -- companies and periods ----------------------------------------------------------------

    def list_companies(self) -> list[Company]:
        """Companies the API user can see."""
        rows = self._call("CompanyService", "List_GetAll") or []
        return [Company(int(r["ID"]), int(r["Number"]), r.get("Name") or "") for r in rows]

    def get_current_period(self, company_id: int) -> PayrollPeriod:
        """The period the company's next payroll run processes."""
        text = self._call("CompanyService", "Company_GetCurrentPeriod", CompanyId=int(company_id))
        return PayrollPeriod.parse(text)

    def list_company_periods(self) -> list[CompanyPeriod]:
        """Every visible company with its current period."""
        return [CompanyPeriod(c, self.get_current_period(c.id)) for c in self.list_companies()]

    def get_hour_codes(self, company_id: int) -> list[HourCode]:
        """The company's hour model."""
        rows = self._call("CompanyService", "HourModel_GetHourCodes", CompanyId=int(company_id))
        return [HourCode(int(r["Code"]), r.get("Description") or "") for r in rows or []]

    # -- employees ----------------------------------------------------------------------------

    def list_employees(self, company_id: int, employee_type: int = 0) -> list[Employee]:
        """Employees of a company (``List_GetByCompany``)."""
        rows = self._call(
            "EmployeeService",
            "List_GetByCompany",
            CompanyId=int(company_id),
            EmployeeType=employee_type,
        )
        return [
            Employee(int(r["Id"]), str(r["Number"]), r.get("DisplayName") or "") for r in rows or []
        ]

    def get_personal_info(self, company_id: int) -> list[PersonalInfo]:
        """The latest personal info of every employee of a company."""
        rows = self._call(
            "EmployeeService",
            "PersonalInfo_GetAll_AllEmployeesByCompany",
            CompanyID=int(company_id),
        )
        result = []
        for item in rows or []:
            history = _nested(item.get("EmployeePersonalInfos"), "PersonalInfo_V2")
            if not history:
                continue
            latest = max(history, key=lambda r: (_date_key(r.get("CreationDate")), r.get("Id", 0)))
            result.append(
                PersonalInfo(
                    employee_id=int(item["EmployeeId"]),
                    number=str(latest["EmployeeNumber"]),
                    first_name=latest.get("FirstName") or "",
                    last_name=" ".join(
                        p for p in (latest.get("Prefix"), latest.get("LastName")) if p
                    ),
                    display_name=latest.get("DisplayName") or "",
                    start_year=latest.get("StartYear"),
                    start_period=latest.get("StartPeriod"),
                )
            )
        return result

    def get_employments(self, company_id: int) -> dict[int, tuple[dt.date | None, dt.date | None]]:
        """Current employment (start, end) of every employee; empty when not permitted."""
        try:
            rows = self._call(
                "EmployeeService",
                "Employment_GetAll_AllEmployeesByCompany",
                CompanyID=int(company_id),
            )
        except NmbrsPermissionError:
            log.info("No Employment_GetAll permission: employment dates are not checked")
            return {}
        result = {}
        for item in rows or []:
            history = _nested(item.get("EmployeeEmployments"), "Employment")
            if history:
                latest = max(history, key=lambda r: _date_key(r.get("StartDate")))
                result[int(item["EmployeeId"])] = (
                    _as_date(latest.get("StartDate")),
                    _as_date(latest.get("EndDate")),
                )
        return result

    def get_salaries(self, company_id: int) -> dict[int, list[Salary]]:
        """Salary history of every employee of a company, oldest first."""
        return self._histories(
            "Salary_GetAll_AllEmployeesByCompany", company_id, "EmployeeSalaries", "Salary_V2",
            _salary,
        )  # fmt: skip

    def get_salary(self, employee_id: int, period: PayrollPeriod) -> Salary | None:
        """The employee's salary valid in ``period`` (None when Nmbrs has none)."""
        row = self._employee_read("Salary_Get", employee_id, period)
        return _salary(int(employee_id), row) if row else None

    def get_schedules(self, company_id: int) -> dict[int, list[Schedule]]:
        """Schedule history of every employee of a company (one call), oldest first."""
        return self._histories(
            "Schedule_GetAll_AllEmployeesByCompany", company_id, "EmployeeSchedules",
            "Schedule_V2", _schedule,
        )  # fmt: skip

    def get_schedule(self, employee_id: int, period: PayrollPeriod) -> Schedule | None:
        """The employee's schedule valid in ``period``."""
        row = self._employee_read("Schedule_Get", employee_id, period)
        return _schedule(int(employee_id), row) if row else None

    def get_days_fixed(self, employee_id: int, period: PayrollPeriod) -> int:
        """Fixed days of the employee in ``period``."""
        return int(self._employee_read("DaysFixed_Get", employee_id, period) or 0)

    def get_days_worked(self, employee_id: int, period: PayrollPeriod) -> int | None:
        """Variable days worked stored for the employee in ``period`` (None when unset)."""
        row = self._employee_read("DaysVarWorked_Get", employee_id, period)
        return None if row is None else int(row.get("Days") or 0)

    # -- variable hour components -------------------------------------------------------------

    def get_hour_components(self, employee_id: int, period: PayrollPeriod) -> list[HourComponent]:
        """Variable hour components of the employee in ``period``."""
        rows = self._employee_read("HourComponentVar_Get", employee_id, period)
        return [
            HourComponent(
                id=int(r["Id"]),
                hour_code=int(r["HourCode"]),
                hours=Decimal(str(r["Hours"])),
                comment=r.get("Comment"),
            )
            for r in rows or []
        ]

    def delete_hour_component(self, employee_id: int, component_id: int) -> bool:
        """Delete one hour component by id."""
        return bool(
            self._call(
                "EmployeeService",
                "HourComponent_Delete",
                EmployeeId=int(employee_id),
                HourComponentID=int(component_id),
            )
        )

    def insert_hour_components(
        self,
        components: Sequence[tuple[EmployeeId, HourComponent]],
        period: PayrollPeriod,
        *,
        unprotected: bool = False,
    ) -> None:
        """Append ``(employee id, component)`` pairs in one ``HourComponentVar_Insert_Batch``
        (the components' ids are ignored: Nmbrs assigns them).

        Inserting appends: never retried blindly. A transient failure is raised as
        :class:`NmbrsTransientError` with ``maybe_applied`` so the caller can read back first.
        """
        items = [
            {
                "EmployeeId": employee_id,
                "Id": 0,
                "HourCode": c.hour_code,
                "CostCenterId": None,
                "CostUnitId": None,
                "Hours": c.hours,
                "Comment": c.comment,
            }
            for employee_id, c in components
        ]
        self._call(
            "EmployeeService",
            "HourComponentVar_Insert_Batch",
            idempotent=False,
            context={
                "EmployeeIds": [employee_id for employee_id, _ in components],
                "Period": period.number,
                "Year": period.year,
                "UnprotectedMode": unprotected,
            },
            HourComponents={"EmployeeHourComponent": items},
            Period=period.number,
            Year=period.year,
            UnprotectedMode=unprotected,
        )

    def set_days_worked(
        self, days: Mapping[EmployeeId, int], period: PayrollPeriod, *, unprotected: bool = False
    ) -> None:
        """Overwrite days worked in ``period`` for each employee in one ``DaysVar_Set_Batch``;
        safe to retry."""
        items = [
            {"EmployeeId": employee_id, "Days": n, "Period": period.number, "Year": period.year}
            for employee_id, n in days.items()
        ]
        self._call(
            "EmployeeService",
            "DaysVar_Set_Batch",
            context={
                "EmployeeIds": list(days),
                "Period": period.number,
                "Year": period.year,
                "UnprotectedMode": unprotected,
            },
            EmployeesDaysWorked={"DaysWorked": items},
            UnprotectedMode=unprotected,
        )


def _nested(wrapper: Any, key: str) -> list[dict[str, Any]]:
    """Unwrap a nested ``ArrayOfX`` that zeep leaves as ``{key: [...]}`` (or None)."""
    if not wrapper:
        return []
    if isinstance(wrapper, Mapping):
        return list(wrapper.get(key) or [])
    return list(wrapper)


def _schedule(employee_id: int, row: Mapping[str, Any]) -> Schedule:
    return Schedule(
        employee_id=employee_id,
        hours=tuple(Decimal(str(row.get(day) or 0)) for day in _SCHEDULE_DAYS),
        parttime_percentage=Decimal(str(row.get("ParttimePercentage") or 0)),
        start_date=_as_date(row.get("StartDate")),
    )


def _salary(employee_id: int, row: Mapping[str, Any]) -> Salary:
    """A ``Salary_V2`` (type as an int) or a ``Salary`` (type as its enum name)."""
    return Salary(
        employee_id=employee_id,
        value=Decimal(str(row.get("Value") or 0)),
        type=_salary_type(row.get("Type")),
        start_date=_as_date(row.get("StartDate")),
    )


def _salary_type(value: Any) -> str:
    if isinstance(value, int) and 0 <= value < len(SALARY_TYPES):
        return SALARY_TYPES[value]
    return str(value) if value is not None else "None"


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _date_key(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.min
