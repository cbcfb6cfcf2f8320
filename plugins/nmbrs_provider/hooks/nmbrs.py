"""Airflow hook for the Visma Nmbrs SOAP API v3."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk import BaseHook

from nmbrs_provider.connection_settings import NmbrsConnectionSettings
from nmbrs_provider.core.batching import chunked
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.exceptions import (
    NmbrsAuthenticationError,
    NmbrsConfigurationError,
    NmbrsError,
    NmbrsPermissionError,
    NmbrsTransientError,
)
from nmbrs_provider.models import (
    SALARY_TYPES,
    Company,
    CompanyPeriod,
    DaysWorked,
    Employee,
    HourCode,
    HourComponent,
    NewHourComponent,
    PayrollRun,
    PersonalInfo,
    Salary,
    Schedule,
)
from nmbrs_provider.permissions import PERMISSIONS, Permission, PermissionReport
from nmbrs_provider.soap.concurrency import run_concurrently

if TYPE_CHECKING:
    from nmbrs_provider.soap.call_stats import CallStats
    from nmbrs_provider.soap.client import NmbrsSoapClient

log = logging.getLogger(__name__)

DEFAULT_INSERT_CHUNK = 500
T = TypeVar("T")
R = TypeVar("R")
H = TypeVar("H", Salary, Schedule)  # a dated history entry
_SCHEDULE_DAYS = (
    "HoursMonday", "HoursTuesday", "HoursWednesday", "HoursThursday", "HoursFriday",
    "HoursSaturday", "HoursSunday", "HoursMonday2", "HoursTuesday2", "HoursWednesday2",
    "HoursThursday2", "HoursFriday2", "HoursSaturday2", "HoursSunday2",
)  # fmt: skip


class NmbrsHook(BaseHook):
    """Talk to Nmbrs with an ``nmbrs`` connection.

    Connection: login = API user e-mail, password = API token, host = base URL (default
    ``https://api.nmbrs.nl``), extra ``domain`` (the environment's subdomain), ``timeout``,
    ``use_sandbox``, ``verify_tls``, ``calls_per_second`` (the account's budget, default 140) and
    ``max_concurrency`` (calls in flight per hook, default 16).

    :param nmbrs_conn_id: the Airflow connection to use.
    :param wsdl_locations: per service, a WSDL to load instead of the server's own (calls still
        go to the connection's base URL).
    """

    conn_name_attr = "nmbrs_conn_id"
    default_conn_name = "nmbrs_default"
    conn_type = "nmbrs"
    hook_name = "Nmbrs"

    def __init__(
        self,
        nmbrs_conn_id: str = default_conn_name,
        *,
        wsdl_locations: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.nmbrs_conn_id = nmbrs_conn_id
        self.wsdl_locations = dict(wsdl_locations or {})

    # -- connection ---------------------------------------------------------------------------

    @cached_property
    def settings(self) -> NmbrsConnectionSettings:
        """The connection's validated settings (no call made yet).

        A connection that is not defined or not of type ``nmbrs`` is a
        :class:`NmbrsConfigurationError` (permanent: retrying cannot help).
        """
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            conn = self.get_connection(self.nmbrs_conn_id)
        except AirflowNotFoundException:
            raise NmbrsConfigurationError(
                f"Connection {self.nmbrs_conn_id!r} is not defined: create it in Airflow (type "
                f"Nmbrs) or set AIRFLOW_CONN_{self.nmbrs_conn_id.upper()} to its JSON (a "
                "company's connection is its nmbrs_conn_id in the sync config)."
            ) from None
        if conn.conn_type != self.conn_type:
            raise NmbrsConfigurationError(
                f"Connection {self.nmbrs_conn_id!r} is of type {conn.conn_type!r}, not "
                f"{self.conn_type!r}: give it type Nmbrs or use an Nmbrs connection."
            )
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

        return serialize_object(self.client.call(service, operation, **kwargs), dict)

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

    def list_runs(self, company_id: int, year: int) -> list[PayrollRun]:
        """Payroll runs of a company in a year."""
        rows = self._call("CompanyService", "Run_GetList", CompanyId=int(company_id), Year=year)
        return [
            PayrollRun(
                id=int(r["ID"]),
                number=int(r["Number"]),
                year=int(r["Year"]),
                period_start=int(r["PeriodStart"]),
                period_end=int(r["PeriodEnd"]),
                description=r.get("Description") or "",
                run_at=r.get("RunAt"),
                is_locked=bool(r.get("IsLocked")),
            )
            for r in rows or []
        ]

    def list_run_employees(self, company_id: int, run_id: int, year: int) -> dict[int, str]:
        """Employees paid in a run: employee id -> personnel number."""
        rows = self._call(
            "CompanyService",
            "Run_GetEmployeesByRunCompany",
            CompanyId=int(company_id),
            RunId=int(run_id),
            Year=year,
        )
        return {int(r["EmployeeId"]): str(r["EmployeeNumber"]) for r in rows or []}

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

    def clear_current_hour_components(self, employee_id: int) -> None:
        """Remove every variable hour component of the employee's current period."""
        self._call("EmployeeService", "HourComponentVar_ClearCurrent", EmployeeId=int(employee_id))

    def clear_hour_components(
        self, employee_id: int, period: PayrollPeriod, *, unprotected: bool = False
    ) -> None:
        """Remove every variable hour component of the employee in ``period``."""
        self._call(
            "EmployeeService",
            "HourComponentVar_Clear",
            EmployeeId=int(employee_id),
            Period=period.number,
            Year=period.year,
            UnprotectedMode=unprotected,
        )

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
        components: Sequence[NewHourComponent],
        period: PayrollPeriod,
        *,
        unprotected: bool = False,
        chunk_size: int = DEFAULT_INSERT_CHUNK,
    ) -> int:
        """Append components in batches of ``chunk_size``; return how many were sent.

        Inserting appends: never retried blindly. A transient failure is raised as
        :class:`NmbrsTransientError` with ``maybe_applied`` so the caller can read back first.
        """
        sent = 0
        for chunk in chunked(components, chunk_size):
            items = [
                {
                    "EmployeeId": c.employee_id,
                    "Id": 0,
                    "HourCode": c.hour_code,
                    "CostCenterId": None,
                    "CostUnitId": None,
                    "Hours": c.hours,
                    "Comment": c.comment,
                }
                for c in chunk
            ]
            self._call(
                "EmployeeService",
                "HourComponentVar_Insert_Batch",
                idempotent=False,
                context={
                    "EmployeeIds": [c.employee_id for c in chunk],
                    "Period": period.number,
                    "Year": period.year,
                    "UnprotectedMode": unprotected,
                },
                HourComponents={"EmployeeHourComponent": items},
                Period=period.number,
                Year=period.year,
                UnprotectedMode=unprotected,
            )
            sent += len(chunk)
        return sent

    def set_days_worked(
        self,
        days: Sequence[DaysWorked],
        period: PayrollPeriod,
        *,
        unprotected: bool = False,
        chunk_size: int = DEFAULT_INSERT_CHUNK,
    ) -> int:
        """Overwrite days worked in ``period`` for each employee; safe to retry."""
        sent = 0
        for chunk in chunked(days, chunk_size):
            items = [
                {"EmployeeId": d.employee_id, "Days": d.days, "Period": period.number,
                 "Year": period.year}
                for d in chunk
            ]  # fmt: skip
            self._call(
                "EmployeeService",
                "DaysVar_Set_Batch",
                context={
                    "EmployeeIds": [d.employee_id for d in chunk],
                    "Period": period.number,
                    "Year": period.year,
                    "UnprotectedMode": unprotected,
                },
                EmployeesDaysWorked={"DaysWorked": items},
                UnprotectedMode=unprotected,
            )
            sent += len(chunk)
        return sent

    # -- checks -------------------------------------------------------------------------------

    def _probe(self, permission: Permission) -> bool | str:
        """True when granted, False when fault 1002 says it is not, else why it is unknown."""
        try:
            self.client.call(
                permission.service, permission.operation, idempotent=True, **permission.probe_args
            )
        except NmbrsPermissionError:
            return False
        except NmbrsAuthenticationError:
            raise
        except NmbrsTransientError as exc:
            return str(exc)
        except NmbrsError:
            pass  # rejected for another reason: the operation itself is allowed
        return True

    def permission_report(self) -> PermissionReport:
        """Probe every permission the sync needs, writing nothing.

        Raises :class:`NmbrsAuthenticationError` when the credentials themselves are refused.
        """
        granted, missing, optional_missing, unchecked = [], [], [], {}
        outcomes = self.map_concurrently(self._probe, PERMISSIONS)
        for permission, outcome in zip(PERMISSIONS, outcomes, strict=True):
            if outcome is True:
                granted.append(permission.name)
            elif outcome is False:
                (missing if permission.required else optional_missing).append(permission.name)
            else:
                unchecked[permission.name] = outcome
        return PermissionReport(
            username=self.settings.username,
            granted=tuple(granted),
            missing=tuple(missing),
            optional_missing=tuple(optional_missing),
            unchecked=unchecked,
        )

    def require_permissions(self, names: Iterable[str]) -> None:
        """Raise one :class:`NmbrsPermissionError` naming every operation of ``names`` the API
        user may not call; probes write nothing, so this runs before the first write."""
        by_name = {p.name: p for p in PERMISSIONS}
        wanted = list(names)
        outcomes = self.map_concurrently(self._probe, [by_name[name] for name in wanted])
        missing = [name for name, outcome in zip(wanted, outcomes, strict=True) if outcome is False]
        if missing:
            raise NmbrsPermissionError(
                f"API user {self.settings.username!r} lacks {', '.join(missing)} (fault 1002). "
                "Nothing was written. In Nmbrs, tick these operations in the API user's "
                "template, then run again."
            )

    def test_connection(self) -> tuple[bool, str]:
        """Check credentials and permissions; used by the UI's Test button."""
        try:
            companies = self.list_companies()
            report = self.permission_report()
        except NmbrsError as exc:
            return False, str(exc)
        if not report.ok:
            parts = []
            if report.missing:
                parts.append("missing permissions: " + ", ".join(report.missing))
            if report.unchecked:
                parts.append("could not check: " + ", ".join(report.unchecked))
            return False, f"Connected as {report.username}, but " + "; ".join(parts)
        return True, (
            f"Connected as {report.username}: {len(companies)} companies visible, all "
            f"{len(report.granted)} permissions checked are granted"
            + (f" (optional missing: {', '.join(report.optional_missing)})"
               if report.optional_missing else "")
        )  # fmt: skip

    # -- Airflow 3.0/3.1 connection form (3.2+ reads get_provider_info) ------------------------

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Form behaviour for Airflow versions that still ask the hook."""
        from nmbrs_provider.get_provider_info import get_provider_info

        return get_provider_info()["connection-types"][0]["ui-field-behaviour"]


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
