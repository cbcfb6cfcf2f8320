"""The SOAP backend's company reads: employees with contract facts, hour codes, holdings."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from nmbrs_provider.core.holdings import CompanyFacts, EmployeeFacts, Holding
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.exceptions import NmbrsPermissionError
from nmbrs_provider.models import Salary, Schedule

if TYPE_CHECKING:
    from nmbrs_provider.hooks.nmbrs import NmbrsHook

log = logging.getLogger(__name__)
T = TypeVar("T")
SALARIES_OF_COMPANY = "Salary_GetAll_AllEmployeesByCompany"


def read_employees(
    hook: NmbrsHook, company_id: int, period: PayrollPeriod, *, check_days_fixed: bool = False
) -> tuple[EmployeeFacts, ...]:
    """Employees of the company with the contract signals valid in ``period``.

    The company-wide reads (employees, personal info, employments, salaries, schedules) go out
    side by side. Without permission for the company-wide schedule read, schedules are read per
    employee; without the company-wide salary read, salaries are read per employee with a zero
    schedule (the only ones whose salary type decides anything); without the personal info
    read, numbers and names come from the employee list.
    Fixed days have no company-wide read: with ``check_days_fixed`` they are read per
    zero-schedule employee (one call each), else left unknown.
    """
    reads: dict[str, Callable[[], Any]] = {
        "employees": lambda: hook.list_employees(company_id),
        "infos": lambda: _permitted(lambda: hook.get_personal_info(company_id)),
        "employments": lambda: hook.get_employments(company_id),
        "salaries": lambda: _permitted(lambda: hook.get_salaries(company_id)),
        "schedules": lambda: _permitted(lambda: hook.get_schedules(company_id)),
    }
    results = hook.map_concurrently(lambda read: read(), reads.values())
    found = dict(zip(reads, results, strict=True))
    employees = found["employees"]
    if found["infos"] is None:
        log.info("No PersonalInfo_GetAll permission: numbers and names from the employee list")
    infos = {p.employee_id: p for p in found["infos"] or []}
    employments, salaries, schedules = found["employments"], found["salaries"], found["schedules"]
    if schedules is None:
        log.info("No company-wide schedule read allowed; reading schedules per employee")
        read = hook.map_concurrently(lambda e: hook.get_schedule(e.id, period), employees)
        schedules = {e.id: [s] if s else [] for e, s in zip(employees, read, strict=True)}
    hours = {e.id: _schedule_hours(schedules.get(e.id, []), period) for e in employees}
    zero = [e.id for e in employees if hours[e.id] == 0]
    if salaries is None:
        log.info("No company-wide salary read allowed; reading salaries of zero schedules")
        salaries = _salaries_per_employee(hook, zero, period)
    days_fixed: dict[int, float] = {}
    if check_days_fixed:
        read_days = hook.map_concurrently(lambda e: float(hook.get_days_fixed(e, period)), zero)
        days_fixed = dict(zip(zero, read_days, strict=True))
    facts = []
    for employee in employees:
        info = infos.get(employee.id)
        name = employee.display_name or (
            f"{info.first_name} {info.last_name}".strip() if info else ""
        )
        start, end = employments.get(employee.id, (None, None))
        salary = _salary_in(salaries.get(employee.id, []), period)
        facts.append(
            EmployeeFacts(
                employee_id=employee.id,
                number=info.number if info else employee.number,
                name=name,
                schedule_hours=hours[employee.id],
                salary_type=salary.type if salary else None,
                days_fixed=days_fixed.get(employee.id),
                start_date=start,
                end_date=end,
            )
        )
    return tuple(facts)


def read_company(
    hook: NmbrsHook, company_id: int, period: PayrollPeriod, *, check_days_fixed: bool = False
) -> CompanyFacts:
    """:func:`read_employees` and the hour model's codes, side by side (one round trip less).

    The codes are None when the API user may not call ``HourModel_GetHourCodes``.
    """

    def hour_codes() -> frozenset[int] | None:
        return _permitted(lambda: frozenset(c.code for c in hook.get_hour_codes(company_id)))

    employees, codes = hook.map_concurrently(
        lambda read: read(),
        [
            lambda: read_employees(hook, company_id, period, check_days_fixed=check_days_fixed),
            hour_codes,
        ],
    )
    return CompanyFacts(employees, codes)


def read_holdings(
    hook: NmbrsHook, employee_ids: Iterable[int], period: PayrollPeriod
) -> dict[int, Holding]:
    """Variable hour components and days worked of ``employee_ids`` in ``period``.

    Nmbrs has no company-wide read of either: two calls per employee, all side by side.
    """
    ids: Sequence[int] = sorted({int(e) for e in employee_ids})
    reads: list[tuple[str, int]] = [(kind, e) for e in ids for kind in ("components", "days")]

    def read(item: tuple[str, int]) -> Any:
        kind, employee_id = item
        if kind == "components":
            return hook.get_hour_components(employee_id, period)
        return hook.get_days_worked(employee_id, period)

    found = hook.map_concurrently(read, reads)
    return {e: Holding(tuple(found[2 * i]), found[2 * i + 1]) for i, e in enumerate(ids)}


def _salaries_per_employee(
    hook: NmbrsHook, employee_ids: Sequence[int], period: PayrollPeriod
) -> dict[int, list[Salary]]:
    """``Salary_Get`` per employee, for an API user without the company-wide salary read."""
    try:
        read = hook.map_concurrently(lambda e: hook.get_salary(e, period), employee_ids)
    except NmbrsPermissionError as exc:
        raise NmbrsPermissionError(
            f"API user {hook.settings.username!r} may call neither "
            f"EmployeeService.{SALARIES_OF_COMPANY} nor "
            f"EmployeeService.Salary_Get (fault 1002): the sync needs one of them to confirm "
            f"that a zero-schedule employee is paid by the hour. In Nmbrs, tick EmployeeService > "
            f"{SALARIES_OF_COMPANY} in the API user's template (one call per company), or run "
            "`python -m nmbrs_provider check` to list every missing permission.",
            code=exc.code,
            service="EmployeeService",
            operation=SALARIES_OF_COMPANY,
        ) from exc
    return {e: [s] if s else [] for e, s in zip(employee_ids, read, strict=True)}


def _permitted(read: Callable[[], T]) -> T | None:
    """The read's result, or None when the API user may not call it (fault 1002)."""
    try:
        return read()
    except NmbrsPermissionError:
        return None


def _schedule_hours(history: Sequence[Schedule], period: PayrollPeriod) -> float | None:
    """Hours of the schedules in effect during the period (the largest, to be safe)."""
    if not history:
        return None
    dated = sorted(history, key=lambda s: s.start_date or dt.date.min)
    in_effect = [s for s in dated if (s.start_date or dt.date.min) <= period.start][-1:]
    in_effect += [s for s in dated if s.start_date and period.start < s.start_date <= period.end]
    if not in_effect:
        return None
    return float(max(s.total_hours for s in in_effect))


def _salary_in(history: Sequence[Salary], period: PayrollPeriod) -> Salary | None:
    valid = [s for s in history if (s.start_date or dt.date.min) <= period.end]
    return max(valid, key=lambda s: s.start_date or dt.date.min) if valid else None
