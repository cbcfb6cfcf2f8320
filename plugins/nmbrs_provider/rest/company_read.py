"""The REST backend's reads: companies, current period, employees with contract facts, holdings.

Company-wide endpoints wherever the API has them (employees, schedules, salaries, employments,
hour codes), every page of each; per employee only variable hours and days, which have no
company-wide read.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from nmbrs_provider.core.holdings import CompanyFacts, EmployeeFacts, Holding, HourComponent
from nmbrs_provider.core.periods import PayrollPeriod, PeriodType
from nmbrs_provider.exceptions import NmbrsPermissionError, NmbrsResponseError
from nmbrs_provider.models import Company

if TYPE_CHECKING:
    from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The spec's ``periodType`` -> the project's period types.
PERIOD_TYPES = {
    "month": PeriodType.MONTH,
    "4-weeks": PeriodType.FOUR_WEEKS,
    "1-week": PeriodType.WEEK,
}
#: The spec's salary types -> Nmbrs' SOAP SalaryType names, which the classifier speaks.
SALARY_TYPES = {
    "grossFulltimeSalary": "Bruto_Salaris_Fulltime",
    "grossParttimeSalary": "Bruto_Salaris_Partime",
    "grossHourlyWage": "Bruto_Uurloon",
    "netParttimeSalaryInclWageComp": "Netto_Salaris_Partime_incl_looncomp",
    "netParttimeSalaryExclWageComp": "Netto_Salaris_Partime_excl_looncomp",
    "netHourlyWageExclWageComp": "Netto_Uurloon_excl_looncomp",
    "employerCosts": "Werkgerverslasten",
    "netHourlyWageInclWageComp": "Netto_Uurloon_incl_looncomp",
}
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def company_path(company_id: object) -> str:
    return f"/api/companies/{company_id}"


def employee_path(employee_id: object) -> str:
    return f"/api/employees/{employee_id}"


def list_companies(hook: NmbrsRestHook) -> list[Company]:
    """``GET /api/companies``, every page."""
    rows = hook.calls.get_all("getCompanies", "/api/companies")
    return [
        Company(str(r["companyId"]), _number(r.get("number")), r.get("name") or "") for r in rows
    ]


def get_current_period(hook: NmbrsRestHook, company_id: object) -> PayrollPeriod:
    """``GET /api/companies/{id}/period``: the period the next payroll run processes (one
    page: the spec declares no page parameters here)."""
    body = hook.calls.get("getCurrentPeriod", f"{company_path(company_id)}/period")
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise NmbrsResponseError(
            "Nmbrs answered getCurrentPeriod with no list", operation="getCurrentPeriod"
        )
    if not rows:
        raise NmbrsResponseError(f"Nmbrs gave no current period for company {company_id}")
    row = rows[0]
    kind = PERIOD_TYPES.get(str(row.get("periodType")))
    if kind is None:
        raise NmbrsResponseError(
            f"Company {company_id}: unknown periodType {row.get('periodType')!r}"
        )
    return PayrollPeriod(int(row["period"]["year"]), int(row["period"]["period"]), kind)


def read_company(
    hook: NmbrsRestHook,
    company_id: object,
    period: PayrollPeriod,
    *,
    check_days_fixed: bool = False,
) -> CompanyFacts:
    """Employees with the contract facts valid in ``period``, and the hour codes.

    The six company-wide lists go out side by side, each read to its last page. Without the
    hour codes scope the codes are None; schedules and salaries are needed (their scope is the
    employments' one). Fixed days are not read (the REST API has no read of them).
    """
    base = company_path(company_id)
    reads: dict[str, Callable[[], Any]] = {
        "employees": lambda: hook.calls.get_all("getEmployeesByCompany", f"{base}/employees"),
        "schedules": lambda: hook.calls.get_all(
            "getSchedulesByCompany", f"{base}/employees/schedules"
        ),
        "salaries": lambda: hook.calls.get_all(
            "getSalariesByCompany", f"{base}/employees/salaries"
        ),
        "employments": lambda: hook.calls.get_all(
            "getEmploymentsByCompany", f"{base}/employees/employments"
        ),
        "codes": lambda: _permitted(
            lambda: hook.calls.get_all("getHourCodesByCompany", f"{base}/hourcodes")
        ),
    }
    found = dict(
        zip(reads, hook.map_concurrently(lambda read: read(), reads.values()), strict=True)
    )
    if check_days_fixed:
        log.info("The REST API has no read of fixed days: days_fixed stays unknown")
    schedules = {r["employeeId"]: r.get("schedules") or [] for r in found["schedules"]}
    salaries = {r["employeeId"]: r.get("salaries") or [] for r in found["salaries"]}
    employments = {r["employeeId"]: r.get("employments") or [] for r in found["employments"]}
    facts = []
    for row in found["employees"]:
        employee_id = str(row["employeeId"])
        info = row.get("employeeBasicInfo") or {}
        name = " ".join(str(info[k]) for k in ("firstName", "prefix", "lastName") if info.get(k))
        start, end = _employment_in(employments.get(employee_id, []), period)
        facts.append(
            EmployeeFacts(
                employee_id=employee_id,
                number=str(info.get("employeeNumber") or "").strip(),
                name=name,
                schedule_hours=_schedule_hours(schedules.get(employee_id, []), period),
                salary_type=_salary_type(salaries.get(employee_id, []), period),
                days_fixed=None,
                start_date=start,
                end_date=end,
            )
        )
    codes = found["codes"]
    return CompanyFacts(
        tuple(facts), None if codes is None else frozenset(int(c["code"]) for c in codes)
    )


def read_holdings(
    hook: NmbrsRestHook, employee_ids: Iterable[object], period: PayrollPeriod
) -> dict[Any, Holding]:
    """Variable hours and days of each employee in ``period``: two reads each, side by side."""
    ids: Sequence[Any] = sorted(set(employee_ids), key=str)
    reads = [(kind, e) for e in ids for kind in ("components", "days")]

    def read(item: tuple[str, Any]) -> Any:
        kind, employee_id = item
        if kind == "components":
            return read_components(hook, employee_id, period)
        return read_days(hook, employee_id, period)

    found = hook.map_concurrently(read, reads)
    return {e: Holding(found[2 * i], found[2 * i + 1]) for i, e in enumerate(ids)}


def read_components(
    hook: NmbrsRestHook, employee_id: object, period: PayrollPeriod
) -> tuple[HourComponent, ...]:
    """``GET /api/employees/{id}/variablehours?year=&period=``, every page."""
    rows = hook.calls.get_all(
        "getVariableHourComponentsByEmployee",
        f"{employee_path(employee_id)}/variablehours",
        year=period.year,
        period=period.number,
    )
    return tuple(
        HourComponent(
            str(r["hourComponentId"]),
            int(r["hourCode"]),
            Decimal(str(r.get("hours") or 0)),
            r.get("comment"),
        )
        for r in rows
    )


def read_days(hook: NmbrsRestHook, employee_id: object, period: PayrollPeriod) -> int | None:
    """``GET /api/employees/{id}/variabledays?year=&period=`` (None: nothing answered)."""
    rows = hook.calls.get_all(
        "GetVariableWorkedDays",
        f"{employee_path(employee_id)}/variabledays",
        year=period.year,
        period=period.number,
    )
    if not rows or rows[0].get("days") is None:
        return None
    return int(rows[0]["days"])


def _permitted(read: Callable[[], T]) -> T | None:
    try:
        return read()
    except NmbrsPermissionError:
        log.info("No scope for the hour codes: the hour model is not checked")
        return None


def _number(value: object) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


def _date(value: object) -> dt.date | None:
    if not value:
        return None
    return dt.date.fromisoformat(str(value)[:10])


def _week_hours(week: dict[str, Any] | None) -> float:
    return sum(float((week or {}).get(f"hours{day}") or 0) for day in _DAYS)


def _schedule_hours(history: Sequence[dict[str, Any]], period: PayrollPeriod) -> float | None:
    """Hours over two weeks of the schedules in effect during the period (the largest)."""
    if not history:
        return None
    dated = sorted(history, key=lambda s: _date(s.get("startDate")) or dt.date.min)
    start = lambda s: _date(s.get("startDate")) or dt.date.min  # noqa: E731
    in_effect = [s for s in dated if start(s) <= period.start][-1:]
    in_effect += [s for s in dated if period.start < start(s) <= period.end]
    if not in_effect:
        return None
    return max(_week_hours(s.get("week1")) + _week_hours(s.get("week2")) for s in in_effect)


def _salary_type(history: Sequence[dict[str, Any]], period: PayrollPeriod) -> str | None:
    """The SOAP name of the salary type valid at the period's end (None: unknown)."""
    valid = [s for s in history if (_date(s.get("startDate")) or dt.date.min) <= period.end]
    if not valid:
        return None
    latest = max(valid, key=lambda s: _date(s.get("startDate")) or dt.date.min)
    kind = latest.get("type")
    return SALARY_TYPES.get(str(kind), str(kind)) if kind else None


def _employment_in(
    history: Sequence[dict[str, Any]], period: PayrollPeriod
) -> tuple[dt.date | None, dt.date | None]:
    """Start and end of the employment overlapping the period (else the latest one)."""
    spans = [(_date(e.get("startDate")), _date(e.get("endDate"))) for e in history]
    if not spans:
        return None, None
    overlapping = [
        (s, e)
        for s, e in spans
        if (s or dt.date.min) <= period.end and (e or dt.date.max) >= period.start
    ]
    return max(overlapping or spans, key=lambda span: span[0] or dt.date.min)
