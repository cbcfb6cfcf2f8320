"""Scenario files: the accounts, companies and employees a sandbox starts with.

The schema is documented in ``nmbrs_sandbox/README.md``. Scenarios are immutable; the
running sandbox copies what can change into its own state.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import yaml

from nmbrs_sandbox import periods
from nmbrs_sandbox.contract import SALARY_TYPE, SERVICES
from nmbrs_sandbox.periods import PERIOD_TYPES, PeriodType
from nmbrs_sandbox.rest.config import RestConfig, RestConfigError, parse_rest

DEMO_PATH = Path(__file__).resolve().parent / "scenarios" / "demo.yaml"

# Position in the list is the int Nmbrs sends as Salary_V2.Type.
SALARY_TYPES = SALARY_TYPE.values
LOONAANGIFTE_BY_PERIOD_TYPE = {"M": "Month", "4W": "Week4", "W": "Month"}
ALL_OPERATIONS = frozenset(
    f"{service.name}.{op.name}" for service in SERVICES.values() for op in service.operations
)
FULL_TIME_WEEK_HOURS = 40.0


class ScenarioError(ValueError):
    """The scenario does not follow the schema or contradicts itself."""


@dataclass(frozen=True)
class Account:
    username: str
    token: str
    domain: str
    permissions: frozenset[str]
    companies: tuple[int, ...]

    def may_call(self, service: str, operation: str) -> bool:
        return f"{service}.{operation}" in self.permissions


@dataclass(frozen=True)
class Salary:
    id: int
    value: float
    type: int
    start_date: date


@dataclass(frozen=True)
class Schedule:
    id: int
    start_date: date
    hours: tuple[float, ...]  # HoursMonday..HoursSunday, HoursMonday2..HoursSunday2
    parttime_percentage: float


@dataclass(frozen=True)
class HourComponentSeed:
    id: int | None
    hour_code: int
    hours: float
    comment: str | None


@dataclass(frozen=True)
class Employee:
    id: int
    number: int
    first_name: str
    prefix: str | None
    last_name: str
    employee_type: int
    start_date: date
    end_date: date | None
    salaries: tuple[Salary, ...]
    schedules: tuple[Schedule, ...]
    days_fixed: int
    days_fixed_by_period: Mapping[tuple[int, int], int]
    hour_components: Mapping[tuple[int, int], tuple[HourComponentSeed, ...]]
    days_var: Mapping[tuple[int, int], int]

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.prefix, self.last_name) if part)


@dataclass(frozen=True)
class Run:
    id: int
    number: int
    year: int
    period_start: int
    period_end: int
    description: str
    run_at: datetime
    locked: bool
    employees: tuple[int, ...]


@dataclass(frozen=True)
class Company:
    id: int
    number: int
    name: str
    period_type: PeriodType
    period_suffix: str
    current_period: tuple[int, int]
    hour_codes: Mapping[int, str]
    runs: tuple[Run, ...]
    employees: tuple[Employee, ...]

    @property
    def loonaangifte_tijdvak(self) -> str:
        return LOONAANGIFTE_BY_PERIOD_TYPE[self.period_type]


@dataclass(frozen=True)
class Scenario:
    accounts: tuple[Account, ...]
    companies: tuple[Company, ...]
    rest: RestConfig  # OAuth clients and API users of the REST half

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read a YAML or JSON scenario file."""
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build and check a scenario from its dict form."""
        return _parse_scenario(data)

    @classmethod
    def demo(cls) -> Scenario:
        """The shipped demo universe (``scenarios/demo.yaml``)."""
        return _demo()


@functools.cache
def _demo() -> Scenario:
    return Scenario.load(DEMO_PATH)


# --- parsing --------------------------------------------------------------------------------


def _fields(
    data: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: expected a mapping, got {type(data).__name__}")
    missing = [name for name in required if name not in data]
    unknown = sorted(set(data) - set(required) - set(optional))
    if missing or unknown:
        raise ScenarioError(f"{where}: missing {missing or 'nothing'}, unknown {unknown or 'none'}")
    return dict(data)


def _date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ScenarioError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _datetime(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError as exc:
        raise ScenarioError(f"{where}: {value!r} is not a date-time") from exc


def _int(value: Any, where: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise ScenarioError(f"{where}: {value!r} is not an integer") from exc


def _period(value: Any, where: str) -> tuple[int, int]:
    if isinstance(value, Mapping):
        spec = _fields(value, where, ("year", "period"))
        return _int(spec["year"], where), _int(spec["period"], where)
    try:
        return periods.parse_key(str(value))
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from exc


def _checked_period(value: Any, period_type: PeriodType, where: str) -> tuple[int, int]:
    year, period = _period(value, where)
    if not periods.is_valid(period_type, year, period):
        raise ScenarioError(f"{where}: {year}-{period} is not a valid {period_type} period")
    return year, period


def _permissions(value: Any, where: str) -> frozenset[str]:
    if value == "all":
        return ALL_OPERATIONS
    if isinstance(value, Mapping):
        spec = _fields(value, where, ("all_except",))
        return ALL_OPERATIONS - _operation_names(spec["all_except"], where)
    return _operation_names(value, where)


def _operation_names(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list):
        raise ScenarioError(f"{where}: expected 'all', a list or {{all_except: [...]}}")
    names = frozenset(str(name) for name in value)
    unknown = sorted(names - ALL_OPERATIONS)
    if unknown:
        raise ScenarioError(f"{where}: not an implemented Service.Operation: {unknown}")
    return names


def _parse_scenario(data: Mapping[str, Any]) -> Scenario:
    spec = _fields(data, "scenario", ("accounts", "companies"), ("rest",))
    companies = tuple(
        _parse_company(item, f"companies[{index}]")
        for index, item in enumerate(spec["companies"] or ())
    )
    _unique([company.id for company in companies], "company id")
    _unique([emp.id for company in companies for emp in company.employees], "employee id")
    accounts = tuple(
        _parse_account(item, f"accounts[{index}]", {company.id for company in companies})
        for index, item in enumerate(spec["accounts"] or ())
    )
    _unique([account.username for account in accounts], "account username")
    try:
        rest = parse_rest(spec.get("rest"), accounts, {company.id for company in companies})
    except RestConfigError as exc:
        raise ScenarioError(str(exc)) from exc
    return Scenario(accounts, companies, rest)


def _unique(values: list[Any], what: str) -> None:
    duplicates = sorted({value for value in values if values.count(value) > 1}, key=str)
    if duplicates:
        raise ScenarioError(f"duplicate {what}: {duplicates}")


def _parse_account(data: Any, where: str, company_ids: set[int]) -> Account:
    spec = _fields(data, where, ("username", "token", "domain", "permissions", "companies"))
    companies = tuple(_int(value, where) for value in spec["companies"] or ())
    unknown = sorted(set(companies) - company_ids)
    if unknown:
        raise ScenarioError(f"{where}: unknown companies {unknown}")
    return Account(
        username=str(spec["username"]),
        token=str(spec["token"]),
        domain=str(spec["domain"]),
        permissions=_permissions(spec["permissions"], f"{where}.permissions"),
        companies=companies,
    )


def _parse_company(data: Any, where: str) -> Company:
    spec = _fields(
        data,
        where,
        ("id", "number", "name", "period_type", "current_period", "hour_codes"),
        ("period_suffix", "runs", "employees"),
    )
    period_type = spec["period_type"]
    if period_type not in PERIOD_TYPES:
        raise ScenarioError(f"{where}.period_type: {period_type!r} is not one of {PERIOD_TYPES}")
    period_type = cast(PeriodType, period_type)
    hour_codes = _hour_codes(spec["hour_codes"], f"{where}.hour_codes")
    employees = tuple(
        _parse_employee(item, f"{where}.employees[{index}]", period_type, hour_codes)
        for index, item in enumerate(spec.get("employees") or ())
    )
    _unique([employee.number for employee in employees], f"personnel number in {where}")
    employee_ids = {employee.id for employee in employees}
    return Company(
        id=_int(spec["id"], f"{where}.id"),
        number=_int(spec["number"], f"{where}.number"),
        name=str(spec["name"]),
        period_type=period_type,
        period_suffix=str(spec.get("period_suffix", period_type)),
        current_period=_checked_period(
            spec["current_period"], period_type, f"{where}.current_period"
        ),
        hour_codes=hour_codes,
        runs=tuple(
            _parse_run(item, f"{where}.runs[{index}]", period_type, employee_ids)
            for index, item in enumerate(spec.get("runs") or ())
        ),
        employees=employees,
    )


def _hour_codes(value: Any, where: str) -> dict[int, str]:
    if isinstance(value, Mapping):
        return {_int(code, where): str(text) for code, text in value.items()}
    if isinstance(value, list):
        items = [_fields(item, where, ("code", "description")) for item in value]
        return {_int(item["code"], where): str(item["description"]) for item in items}
    raise ScenarioError(f"{where}: expected {{code: description}} or a list of them")


def _parse_run(data: Any, where: str, period_type: PeriodType, employee_ids: set[int]) -> Run:
    spec = _fields(
        data,
        where,
        ("id", "number", "year", "period_start", "period_end", "run_at"),
        ("description", "locked", "employees"),
    )
    year = _int(spec["year"], f"{where}.year")
    first = _checked_period({"year": year, "period": spec["period_start"]}, period_type, where)
    last = _checked_period({"year": year, "period": spec["period_end"]}, period_type, where)
    employees = tuple(_int(value, where) for value in spec.get("employees") or ())
    unknown = sorted(set(employees) - employee_ids)
    if unknown:
        raise ScenarioError(f"{where}.employees: not employees of this company: {unknown}")
    return Run(
        id=_int(spec["id"], f"{where}.id"),
        number=_int(spec["number"], f"{where}.number"),
        year=year,
        period_start=first[1],
        period_end=last[1],
        description=str(spec.get("description", "")),
        run_at=_datetime(spec["run_at"], f"{where}.run_at"),
        locked=bool(spec.get("locked", True)),
        employees=employees,
    )


def _parse_employee(
    data: Any, where: str, period_type: PeriodType, hour_codes: Mapping[int, str]
) -> Employee:
    spec = _fields(
        data,
        where,
        ("id", "number", "first_name", "last_name", "start_date"),
        (
            "prefix",
            "employee_type",
            "end_date",
            "salaries",
            "schedules",
            "days_fixed",
            "days_fixed_by_period",
            "hour_components",
            "days_var",
        ),
    )
    employee_id = _int(spec["id"], f"{where}.id")
    end_date = spec.get("end_date")
    return Employee(
        id=employee_id,
        number=_int(spec["number"], f"{where}.number"),
        first_name=str(spec["first_name"]),
        prefix=None if spec.get("prefix") is None else str(spec["prefix"]),
        last_name=str(spec["last_name"]),
        employee_type=_int(spec.get("employee_type", 1), f"{where}.employee_type"),
        start_date=_date(spec["start_date"], f"{where}.start_date"),
        end_date=None if end_date is None else _date(end_date, f"{where}.end_date"),
        salaries=tuple(
            _parse_salary(item, f"{where}.salaries[{index}]", employee_id * 100 + index + 1)
            for index, item in enumerate(spec.get("salaries") or ())
        ),
        schedules=tuple(
            _parse_schedule(item, f"{where}.schedules[{index}]", employee_id * 100 + index + 1)
            for index, item in enumerate(spec.get("schedules") or ())
        ),
        days_fixed=_int(spec.get("days_fixed", 0), f"{where}.days_fixed"),
        days_fixed_by_period={
            _checked_period(key, period_type, f"{where}.days_fixed_by_period"): _int(days, where)
            for key, days in (spec.get("days_fixed_by_period") or {}).items()
        },
        hour_components={
            _checked_period(key, period_type, f"{where}.hour_components"): tuple(
                _parse_component(item, f"{where}.hour_components[{key}]", hour_codes)
                for item in items or ()
            )
            for key, items in (spec.get("hour_components") or {}).items()
        },
        days_var={
            _checked_period(key, period_type, f"{where}.days_var"): _int(days, where)
            for key, days in (spec.get("days_var") or {}).items()
        },
    )


def _parse_salary(data: Any, where: str, default_id: int) -> Salary:
    spec = _fields(data, where, ("value", "type", "start_date"), ("id",))
    salary_type = spec["type"]
    if isinstance(salary_type, str) and not salary_type.isdigit():
        if salary_type not in SALARY_TYPES:
            raise ScenarioError(f"{where}.type: {salary_type!r} is not one of {SALARY_TYPES}")
        type_number = SALARY_TYPES.index(salary_type)
    else:
        type_number = _int(salary_type, f"{where}.type")
    return Salary(
        id=_int(spec.get("id", default_id), f"{where}.id"),
        value=float(spec["value"]),
        type=type_number,
        start_date=_date(spec["start_date"], f"{where}.start_date"),
    )


def _parse_schedule(data: Any, where: str, default_id: int) -> Schedule:
    spec = _fields(data, where, ("start_date", "week1"), ("week2", "parttime_percentage", "id"))
    week1 = _week(spec["week1"], f"{where}.week1")
    week2 = _week(spec["week2"], f"{where}.week2") if "week2" in spec else week1
    hours = week1 + week2
    default_percentage = round(sum(hours) / 2 / FULL_TIME_WEEK_HOURS * 100, 2)
    return Schedule(
        id=_int(spec.get("id", default_id), f"{where}.id"),
        start_date=_date(spec["start_date"], f"{where}.start_date"),
        hours=hours,
        parttime_percentage=float(spec.get("parttime_percentage", default_percentage)),
    )


def _week(value: Any, where: str) -> tuple[float, ...]:
    if not isinstance(value, (list, tuple)) or len(value) != 7:
        raise ScenarioError(f"{where}: expected 7 numbers, Monday to Sunday")
    return tuple(float(hours) for hours in value)


def _parse_component(data: Any, where: str, hour_codes: Mapping[int, str]) -> HourComponentSeed:
    spec = _fields(data, where, ("hour_code", "hours"), ("comment", "id"))
    hour_code = _int(spec["hour_code"], f"{where}.hour_code")
    if hour_code not in hour_codes:
        raise ScenarioError(f"{where}: hour code {hour_code} is not in the company's hour model")
    return HourComponentSeed(
        id=None if spec.get("id") is None else _int(spec["id"], f"{where}.id"),
        hour_code=hour_code,
        hours=float(spec["hours"]),
        comment=None if spec.get("comment") is None else str(spec["comment"]),
    )
