"""What each implemented operation does to the sandbox's :class:`~nmbrs_sandbox.state.World`.

Handlers run under the world's lock, validate everything before changing anything (batches
are all-or-nothing) and return plain dicts/lists shaped like the declared result type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nmbrs_sandbox import faults, periods
from nmbrs_sandbox.contract import SCHEDULE_HOURS
from nmbrs_sandbox.faults import NmbrsFault
from nmbrs_sandbox.scenario import SALARY_TYPES, Account, Company, Employee, Schedule
from nmbrs_sandbox.state import Period, World

Args = dict[str, Any]
Handler = Callable[[World, Account, Args], Any]
HANDLERS: dict[tuple[str, str], Handler] = {}


def _handles(service: str, operation: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[(service, operation)] = handler
        return handler

    return register


# --- access and validation ------------------------------------------------------------------


def _company(world: World, account: Account, company_id: int) -> Company:
    if company_id not in account.companies or company_id not in world.companies:
        raise NmbrsFault(faults.UNAUTHORIZED_COMPANY, str(company_id))
    return world.companies[company_id]


def _employee(world: World, account: Account, employee_id: int) -> Employee:
    if employee_id not in world.employees or world.employer[employee_id] not in account.companies:
        raise NmbrsFault(faults.UNAUTHORIZED_EMPLOYEE, str(employee_id))
    return world.employees[employee_id]


def _period(company: Company, year: int, period: int) -> Period:
    if not periods.is_valid(company.period_type, year, period):
        raise NmbrsFault(faults.INVALID_PERIOD, f"{year}-{period} ({company.period_type})")
    return year, period


def _items(values: list[Args | None] | None) -> list[Args]:
    """Batch items, skipping nil ones."""
    return [item for item in values or () if item is not None]


def _writable(world: World, company: Company, period: Period, unprotected: bool) -> None:
    if period < world.current[company.id] and not unprotected:
        raise NmbrsFault(faults.PROTECTED_MODE)


def _employee_period(world: World, account: Account, args: Args) -> tuple[Employee, Period]:
    employee = _employee(world, account, args["EmployeeId"])
    company = world.company_of(employee.id)
    return employee, _period(company, args["Year"], args["Period"])


def _current(world: World, account: Account, args: Args) -> tuple[Employee, Period]:
    employee = _employee(world, account, args["EmployeeId"])
    return employee, world.current[world.employer[employee.id]]


# --- CompanyService -------------------------------------------------------------------------

COMPANY = "CompanyService"


@_handles(COMPANY, "List_GetAll")
def _list_companies(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    return [
        {
            "ID": company.id,
            "Number": company.number,
            "Name": company.name,
            "LoonaangifteTijdvak": company.loonaangifte_tijdvak,
        }
        for company in (world.companies[cid] for cid in account.companies)
    ]


@_handles(COMPANY, "Company_GetCurrentPeriod")
def _current_period(world: World, account: Account, args: Args) -> str:
    company = _company(world, account, args["CompanyId"])
    return periods.period_code(*world.current[company.id], company.period_suffix)


@_handles(COMPANY, "Run_GetList")
def _runs(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    company = _company(world, account, args["CompanyId"])
    return [
        {
            "ID": run.id,
            "Number": run.number,
            "Year": run.year,
            "PeriodStart": run.period_start,
            "PeriodEnd": run.period_end,
            "Description": run.description,
            "RunAt": run.run_at,
            "IsLocked": run.locked,
        }
        for run in company.runs
        if run.year == args["Year"]
    ]


@_handles(COMPANY, "Run_GetEmployeesByRunCompany")
def _run_employees(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    company = _company(world, account, args["CompanyId"])
    runs = [run for run in company.runs if run.id == args["RunId"] and run.year == args["Year"]]
    return [
        {"EmployeeId": employee_id, "EmployeeNumber": world.employees[employee_id].number}
        for run in runs
        for employee_id in run.employees
    ]


@_handles(COMPANY, "HourModel_GetHourCodes")
def _hour_codes(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    company = _company(world, account, args["CompanyId"])
    return [{"Code": code, "Description": text} for code, text in company.hour_codes.items()]


# --- EmployeeService: employees -------------------------------------------------------------

EMPLOYEE = "EmployeeService"


@_handles(EMPLOYEE, "List_GetByCompany")
def _list_employees(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    company = _company(world, account, args["CompanyId"])
    wanted = args["EmployeeType"]
    return [
        {"Id": employee.id, "Number": employee.number, "DisplayName": employee.display_name}
        for employee in company.employees
        if wanted in (0, employee.employee_type)
    ]


@_handles(EMPLOYEE, "PersonalInfo_GetAll_AllEmployeesByCompany")
def _personal_info(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    company = _company(world, account, args["CompanyID"])
    return [
        {"EmployeeId": employee.id, "EmployeePersonalInfos": [_info(company, employee)]}
        for employee in company.employees
    ]


def _info(company: Company, employee: Employee) -> dict[str, Any]:
    start_year, start_period = periods.period_of(company.period_type, employee.start_date)
    return {
        "Id": employee.id,
        "DisplayName": employee.display_name,
        "EmployeeNumber": employee.number,
        "FirstName": employee.first_name,
        "Prefix": employee.prefix,
        "LastName": employee.last_name,
        "Gender": "undefined",
        "NationalityCode": 0,
        "IdentificationType": 0,
        "BurgerlijkeStaat": 0,
        "Naamstelling": 0,
        "Birthday": None,
        "CreationDate": employee.start_date,
        "StartPeriod": start_period,
        "StartYear": start_year,
    }


@_handles(EMPLOYEE, "Salary_GetAll_AllEmployeesByCompany")
def _salaries(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    company = _company(world, account, args["CompanyID"])
    return [
        {
            "EmployeeId": employee.id,
            "EmployeeSalaries": [
                {
                    "ID": salary.id,
                    "Value": salary.value,
                    "Type": salary.type,
                    "StartDate": salary.start_date,
                    "CreationDate": salary.start_date,
                }
                for salary in employee.salaries
            ],
        }
        for employee in company.employees
    ]


def _salary_in(world: World, employee: Employee, period: Period) -> dict[str, Any] | None:
    """The salary in force at the end of ``period`` (the latest one started by then)."""
    _, last_day = periods.bounds(world.company_of(employee.id).period_type, *period)
    started = [s for s in employee.salaries if s.start_date <= last_day]
    if not started:
        return None
    salary = max(started, key=lambda s: s.start_date)
    return {
        "Value": salary.value,
        "Type": SALARY_TYPES[salary.type],
        "StartDate": salary.start_date,
    }


@_handles(EMPLOYEE, "Salary_GetCurrent")
def _salary_current(world: World, account: Account, args: Args) -> dict[str, Any] | None:
    return _salary_in(world, *_current(world, account, args))


@_handles(EMPLOYEE, "Salary_Get")
def _salary_get(world: World, account: Account, args: Args) -> dict[str, Any] | None:
    return _salary_in(world, *_employee_period(world, account, args))


def _schedule(schedule: Schedule) -> dict[str, Any]:
    return {
        **dict(zip(SCHEDULE_HOURS, schedule.hours, strict=True)),
        "ParttimePercentage": schedule.parttime_percentage,
        "StartDate": schedule.start_date,
    }


@_handles(EMPLOYEE, "Employment_GetAll_AllEmployeesByCompany")
def _employments(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    company = _company(world, account, args["CompanyID"])
    return [
        {
            "EmployeeId": employee.id,
            "EmployeeEmployments": [
                {
                    "EmploymentId": employee.id,
                    "CreationDate": employee.start_date,
                    "StartDate": employee.start_date,
                    "EndDate": employee.end_date,
                    "InitialStartDate": employee.start_date,
                }
            ],
        }
        for employee in company.employees
    ]


@_handles(EMPLOYEE, "Schedule_GetAll_AllEmployeesByCompany")
def _all_schedules(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    company = _company(world, account, args["CompanyID"])
    return [
        {
            "EmployeeId": employee.id,
            "EmployeeSchedules": [
                {"Id": s.id, **_schedule(s), "CreationDate": s.start_date}
                for s in employee.schedules
            ],
        }
        for employee in company.employees
    ]


def _schedule_in(world: World, employee: Employee, period: Period) -> dict[str, Any] | None:
    """The schedule in force at the end of ``period`` (the latest one started by then)."""
    _, last_day = periods.bounds(world.company_of(employee.id).period_type, *period)
    started = [s for s in employee.schedules if s.start_date <= last_day]
    return _schedule(max(started, key=lambda s: s.start_date)) if started else None


@_handles(EMPLOYEE, "Schedule_GetCurrent")
def _schedule_current(world: World, account: Account, args: Args) -> dict[str, Any] | None:
    return _schedule_in(world, *_current(world, account, args))


@_handles(EMPLOYEE, "Schedule_Get")
def _schedule_get(world: World, account: Account, args: Args) -> dict[str, Any] | None:
    return _schedule_in(world, *_employee_period(world, account, args))


# --- EmployeeService: days ------------------------------------------------------------------


@_handles(EMPLOYEE, "DaysFixed_GetCurrent")
def _days_fixed_current(world: World, account: Account, args: Args) -> int:
    employee, period = _current(world, account, args)
    return world.fixed_days(employee.id, period)


@_handles(EMPLOYEE, "DaysFixed_Get")
def _days_fixed_get(world: World, account: Account, args: Args) -> int:
    employee, period = _employee_period(world, account, args)
    return world.fixed_days(employee.id, period)


def _days_batch(world: World, account: Account, args: Args) -> list[tuple[int, Period, int]]:
    """Validate every DaysWorked item; returns (employee, period, days) to apply."""
    checked = []
    for item in _items(args["EmployeesDaysWorked"]):
        employee = _employee(world, account, item["EmployeeId"])
        company = world.company_of(employee.id)
        period = _period(company, item["Year"], item["Period"])
        _writable(world, company, period, args["UnprotectedMode"])
        checked.append((employee.id, period, item["Days"]))
    return checked


@_handles(EMPLOYEE, "DaysFixed_Set_Batch")
def _days_fixed_set(world: World, account: Account, args: Args) -> None:
    for employee_id, period, days in _days_batch(world, account, args):
        world.days_fixed[employee_id][period] = days


def _days_var(world: World, employee: Employee, period: Period) -> dict[str, int]:
    return {"Days": world.days_var[employee.id].get(period, 0), "PlusMinusDaysForWageComp": 0}


@_handles(EMPLOYEE, "DaysVarWorked_GetCurrent")
def _days_var_current(world: World, account: Account, args: Args) -> dict[str, int]:
    return _days_var(world, *_current(world, account, args))


@_handles(EMPLOYEE, "DaysVarWorked_Get")
def _days_var_get(world: World, account: Account, args: Args) -> dict[str, int]:
    return _days_var(world, *_employee_period(world, account, args))


@_handles(EMPLOYEE, "DaysVar_Set_Batch")
def _days_var_set(world: World, account: Account, args: Args) -> None:
    for employee_id, period, days in _days_batch(world, account, args):
        world.days_var[employee_id][period] = days


# --- EmployeeService: hour components -------------------------------------------------------


def _rows(world: World, employee: Employee, period: Period) -> list[dict[str, Any]]:
    return [
        {"Id": row["Id"], "HourCode": row["HourCode"], "Hours": row["Hours"]}
        for row in world.components[employee.id].get(period, ())
    ]


@_handles(EMPLOYEE, "HourComponentVar_GetCurrent")
def _components_current(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    return _rows(world, *_current(world, account, args))


@_handles(EMPLOYEE, "HourComponentVar_Get")
def _components_get(world: World, account: Account, args: Args) -> list[dict[str, Any]]:
    return _rows(world, *_employee_period(world, account, args))


@_handles(EMPLOYEE, "HourComponentVar_ClearCurrent")
def _clear_current(world: World, account: Account, args: Args) -> None:
    employee, period = _current(world, account, args)
    world.components[employee.id].pop(period, None)


@_handles(EMPLOYEE, "HourComponentVar_Clear")
def _clear(world: World, account: Account, args: Args) -> None:
    employee, period = _employee_period(world, account, args)
    _writable(world, world.company_of(employee.id), period, args["UnprotectedMode"])
    world.components[employee.id].pop(period, None)


@_handles(EMPLOYEE, "HourComponent_Delete")
def _delete(world: World, account: Account, args: Args) -> bool:
    employee = _employee(world, account, args["EmployeeId"])
    component_id = args["HourComponentID"]
    for period, rows in world.components[employee.id].items():
        for row in rows:
            if row["Id"] == component_id:
                _writable(world, world.company_of(employee.id), period, unprotected=False)
                rows.remove(row)
                return True
    raise NmbrsFault(faults.UNKNOWN_ERROR, f"hour component {component_id} not found")


@_handles(EMPLOYEE, "HourComponentVar_Insert_Batch")
def _insert(world: World, account: Account, args: Args) -> None:
    items = _items(args["HourComponents"])
    checked = [_checked_component(world, account, args, item) for item in items]
    for employee_id, period, item in checked:
        world.components_in(employee_id, period).append(
            world.new_component(item["HourCode"], float(item["Hours"]), item["Comment"])
        )


def _checked_component(
    world: World, account: Account, args: Args, item: Args
) -> tuple[int, Period, Args]:
    employee = _employee(world, account, item["EmployeeId"])
    company = world.company_of(employee.id)
    period = _period(company, args["Year"], args["Period"])
    _writable(world, company, period, args["UnprotectedMode"])
    if item["HourCode"] not in company.hour_codes:
        raise NmbrsFault(faults.INVALID_HOUR_COMPONENT, str(item["HourCode"]))
    return employee.id, period, item


def involved_ids(args: Args) -> tuple[int | None, list[int]]:
    """The company id and employee ids a call names, for the call log."""
    employee_ids = {args["EmployeeId"]} if "EmployeeId" in args else set()
    for value in args.values():
        if isinstance(value, list):
            employee_ids.update(item["EmployeeId"] for item in value if item)
    return args.get("CompanyId", args.get("CompanyID")), sorted(employee_ids)
