"""The company-wide reads: companies, current period, employees and their histories, hour codes."""

from __future__ import annotations

from typing import Any

from nmbrs_sandbox import periods
from nmbrs_sandbox.rest import errors, ids
from nmbrs_sandbox.rest.common import PERIOD_TYPES, Call, stamp
from nmbrs_sandbox.scenario import Company, Employee, Schedule

Answer = tuple[int, Any]

# Position in the SOAP SalaryType enum -> the REST SalaryType (0 "None" has no REST name).
SALARY_TYPES = {
    1: "grossFulltimeSalary",
    2: "grossParttimeSalary",
    3: "grossHourlyWage",
    4: "netParttimeSalaryInclWageComp",
    5: "netParttimeSalaryExclWageComp",
    6: "netHourlyWageExclWageComp",
    7: "employerCosts",
    8: "netHourlyWageInclWageComp",
}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EMPLOYEE_TYPES = frozenset(
    {"applicant", "newHire", "payroll", "formerPayroll", "external", "formerExternal"}
    | {"rejectedApplicant"}
)


def companies(call: Call) -> Answer:
    rows = [
        {
            "companyId": ids.company_uuid(company.id),
            "number": str(company.number),
            "name": company.name,
            "debtorId": ids.debtor_uuid(company.id),
        }
        for company in (call.world.companies[cid] for cid in call.user.companies)
    ]
    return 200, call.page(rows)


def current_period(call: Call) -> Answer:
    company = call.company()
    year, period = call.world.current[company.id]
    row = {
        "period": {"year": year, "period": period},
        "periodType": PERIOD_TYPES[company.period_type],
        "displayPeriod": periods.period_code(year, period, company.period_suffix),
    }
    return 200, call.page([row])


def _employee_type(call: Call, company: Company, employee: Employee) -> str:
    first_day, _ = periods.bounds(company.period_type, *call.world.current[company.id])
    return "formerPayroll" if employee.end_date and employee.end_date < first_day else "payroll"


def _basic(call: Call, company: Company, employee: Employee) -> dict[str, Any]:
    return {
        "employeeNumber": employee.number,
        "firstName": employee.first_name,
        "prefix": employee.prefix,
        "initials": None,
        "lastName": employee.last_name,
        "employeeType": _employee_type(call, company, employee),
    }


def _selected(call: Call, company: Company) -> list[Employee]:
    """The company's employees, narrowed by the ``employeeId`` query filter."""
    wanted = call.arg("employeeId")
    if wanted is None:
        return list(company.employees)
    if ids.normalized(wanted) is None:
        raise errors.invalid_param("employeeId", "The parameter is invalid. It needs to be a UUID.")
    return [e for e in company.employees if ids.employee_uuid(e.id) == ids.normalized(wanted)]


def employees(call: Call) -> Answer:
    company = call.company()
    types = {t.strip() for t in (call.arg("employeeType") or "").split(",") if t.strip()}
    if types - EMPLOYEE_TYPES:
        raise errors.invalid_param(
            "employeeType", f"Unknown types: {sorted(types - EMPLOYEE_TYPES)}"
        )
    rows = [
        {"employeeId": ids.employee_uuid(e.id), "employeeBasicInfo": _basic(call, company, e)}
        for e in _selected(call, company)
    ]
    if types:
        rows = [row for row in rows if row["employeeBasicInfo"]["employeeType"] in types]
    return 200, call.page(rows)


def personal_info(call: Call) -> Answer:
    company = call.company()
    rows = []
    for employee in _selected(call, company):
        year, period = periods.period_of(company.period_type, employee.start_date)
        info = {
            "personalInfoId": ids.derived("personalinfo", employee.id),
            "basicInfo": _basic(call, company, employee),
            "birthInfo": {"birthDate": None, "gender": "unspecified"},
            "period": {"year": year, "period": period},
            "createdAt": stamp(employee.start_date),
        }
        rows.append({"employeeId": ids.employee_uuid(employee.id), "info": [info]})
    return 200, call.page(rows)


def _week(hours: tuple[float, ...]) -> dict[str, float]:
    return {f"hours{day}": value for day, value in zip(DAYS, hours, strict=True)}


def _schedule(schedule: Schedule) -> dict[str, Any]:
    week1, week2 = schedule.hours[:7], schedule.hours[7:]
    return {
        "scheduleId": ids.derived("schedule", schedule.id),
        "startDate": stamp(schedule.start_date),
        "parttimePercentage": schedule.parttime_percentage,
        "hoursPerWeek": round((sum(week1) + sum(week2)) / 2, 2),
        "daysPerWeek": round(sum(1 for h in schedule.hours if h) / 2, 1),
        "week1": _week(week1),
        "week2": _week(week2),
        "createdAt": stamp(schedule.start_date),
    }


def schedules(call: Call) -> Answer:
    company = call.company()
    rows = [
        {
            "employeeId": ids.employee_uuid(e.id),
            "schedules": [_schedule(s) for s in e.schedules],
        }
        for e in _selected(call, company)
    ]
    return 200, call.page(rows)


def salaries(call: Call) -> Answer:
    company = call.company()
    rows = []
    for employee in _selected(call, company):
        history = []
        for salary in employee.salaries:
            item: dict[str, Any] = {
                "salaryId": ids.derived("salary", salary.id),
                "startDate": stamp(salary.start_date),
                "value": salary.value,
                "createdAt": stamp(salary.start_date),
            }
            if salary.type in SALARY_TYPES:
                item["type"] = SALARY_TYPES[salary.type]
            history.append(item)
        rows.append({"employeeId": ids.employee_uuid(employee.id), "salaries": history})
    return 200, call.page(rows)


def _contract_hours(employee: Employee) -> float:
    """Contract hours per week: the sandbox takes the latest schedule's average week."""
    if not employee.schedules:
        return 0.0
    latest = max(employee.schedules, key=lambda s: s.start_date)
    return round(sum(latest.hours) / 2, 2)


def contracts(call: Call) -> Answer:
    company = call.company()
    rows = [
        {
            "employeeId": ids.employee_uuid(e.id),
            "contracts": [
                {
                    "contractId": ids.derived("contract", e.id),
                    "startDate": stamp(e.start_date),
                    "trialPeriod": None,
                    "endDate": stamp(e.end_date),
                    "indefinite": e.end_date is None,
                    "writtenContract": True,
                    "hoursPerWeek": _contract_hours(e),
                    "createdAt": stamp(e.start_date),
                }
            ],
        }
        for e in _selected(call, company)
    ]
    return 200, call.page(rows)


def employments(call: Call) -> Answer:
    company = call.company()
    rows = [
        {
            "employeeId": ids.employee_uuid(e.id),
            "employments": [
                {
                    "employmentId": ids.derived("employment", e.id),
                    "creationDate": stamp(e.start_date),
                    "startDate": stamp(e.start_date),
                    "endDate": stamp(e.end_date),
                    "seniorityDate": stamp(e.start_date),
                    "changedDate": stamp(e.start_date),
                }
            ],
        }
        for e in _selected(call, company)
    ]
    return 200, call.page(rows)


def hour_codes(call: Call) -> Answer:
    company = call.company()
    rows = [{"code": code, "description": text} for code, text in company.hour_codes.items()]
    return 200, call.page(rows)
