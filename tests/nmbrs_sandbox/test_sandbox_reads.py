"""Read operations return the demo universe as Nmbrs would."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from nmbrs_sandbox import Sandbox
from tests.nmbrs_sandbox.sandbox_api import Api, demo_data

BRUTO_SALARIS_FULLTIME, BRUTO_SALARIS_PARTIME, BRUTO_UURLOON = 1, 2, 3


def test_companies(api: Api) -> None:
    companies = api.company("List_GetAll")

    assert [(c["ID"], c["Number"], c["Name"]) for c in companies] == [
        (54613, 1, "Acme Horeca BV"),
        (54614, 2, "Acme Events BV"),
    ]
    assert {c["LoonaangifteTijdvak"] for c in companies} == {"Month"}


def test_current_period_string(nmbrs_sandbox: Sandbox, api: Api) -> None:
    assert api.company("Company_GetCurrentPeriod", CompanyId=54613) == "2026-11-M"

    nmbrs_sandbox.set_current_period(54613, 2027, 1)

    assert api.company("Company_GetCurrentPeriod", CompanyId=54613) == "2027-1-M"
    assert api.company("Company_GetCurrentPeriod", CompanyId=54614) == "2026-11-M"


@pytest.mark.parametrize(
    ("period_type", "suffix", "expected"),
    [("4W", None, "2026-4-4W"), ("W", None, "2026-4-W"), ("4W", "W4", "2026-4-W4")],
)
def test_current_period_string_per_period_type(
    nmbrs_sandbox_factory, period_type: str, suffix: str | None, expected: str
) -> None:
    data = demo_data()
    company = data["companies"][0]
    company.update(period_type=period_type, current_period="2026-4")
    if suffix:
        company["period_suffix"] = suffix
    api = Api(nmbrs_sandbox_factory(data).url)

    assert api.company("Company_GetCurrentPeriod", CompanyId=54613) == expected


def test_runs_and_their_employees(api: Api) -> None:
    runs = api.company("Run_GetList", CompanyId=54614, Year=2026)

    assert len(runs) == 1
    run = runs[0]
    assert (run["PeriodStart"], run["PeriodEnd"], run["IsLocked"]) == (10, 10, True)
    assert isinstance(run["RunAt"], datetime)
    paid = api.company("Run_GetEmployeesByRunCompany", CompanyId=54614, RunId=run["ID"], Year=2026)
    assert [(e["EmployeeId"], e["EmployeeNumber"]) for e in paid] == [(600001, 201), (600002, 202)]
    assert api.company("Run_GetList", CompanyId=54614, Year=2025) is None
    assert api.company("Run_GetEmployeesByRunCompany", CompanyId=54614, RunId=1, Year=2026) is None


def test_hour_model(api: Api) -> None:
    codes = api.company("HourModel_GetHourCodes", CompanyId=54613)

    assert [(c["Code"], c["Description"]) for c in codes] == [
        (2100, "Gewerkte uren"),
        (2200, "Overuren"),
        (3100, "Vakantie uren"),
        (4100, "Ziekte uren"),
    ]


def test_employee_list_filters_by_type(nmbrs_sandbox_factory) -> None:
    data = demo_data()
    data["companies"][0]["employees"][1]["employee_type"] = 2
    api = Api(nmbrs_sandbox_factory(data).url)

    def numbers(employee_type: int) -> list[int]:
        found = api.employee("List_GetByCompany", CompanyId=54613, EmployeeType=employee_type)
        return [e["Number"] for e in found or ()]

    assert numbers(0) == [101, 102, 103, 104]
    assert numbers(1) == [101, 103, 104]
    assert numbers(2) == [102]
    assert numbers(3) == []


def test_personal_info(api: Api) -> None:
    items = api.employee("PersonalInfo_GetAll_AllEmployeesByCompany", CompanyID=54614)

    infos = {i["EmployeeId"]: i["EmployeePersonalInfos"]["PersonalInfo_V2"][-1] for i in items}
    gijs = infos[600003]
    assert (gijs["FirstName"], gijs["Prefix"], gijs["LastName"]) == ("Gijs", "de", "Boer")
    assert (gijs["DisplayName"], gijs["EmployeeNumber"]) == ("Gijs de Boer", 203)
    assert (gijs["StartYear"], gijs["StartPeriod"]) == (2026, 11)
    assert infos[600001]["StartYear"] == 2024


def test_salaries(api: Api) -> None:
    items = api.employee("Salary_GetAll_AllEmployeesByCompany", CompanyID=54613)

    latest = {i["EmployeeId"]: i["EmployeeSalaries"]["Salary_V2"][-1] for i in items}
    assert (latest[500001]["Type"], latest[500001]["Value"]) == (BRUTO_UURLOON, Decimal("14.5"))
    assert (latest[500003]["Type"], latest[500003]["Value"]) == (BRUTO_SALARIS_FULLTIME, 3200)
    finn = api.employee("Salary_GetAll_AllEmployeesByCompany", CompanyID=54614)[1]
    assert finn["EmployeeSalaries"]["Salary_V2"][0]["Type"] == BRUTO_SALARIS_PARTIME


def test_salary_get_picks_the_salary_in_force_and_names_its_type(nmbrs_sandbox_factory) -> None:
    data = demo_data()
    data["companies"][0]["employees"][0]["salaries"] = [
        {"value": 14.5, "type": "Bruto_Uurloon", "start_date": "2024-01-01"},
        {"value": 2900, "type": "Bruto_Salaris_Fulltime", "start_date": "2026-11-16"},
    ]
    api = Api(nmbrs_sandbox_factory(data).url)

    def salary(period: int, year: int = 2026) -> dict | None:
        return api.employee("Salary_Get", EmployeeId=500001, Period=period, Year=year)

    october, november = salary(10), salary(11)
    assert (october["Type"], october["Value"]) == ("Bruto_Uurloon", Decimal("14.5"))
    assert (november["Type"], november["Value"]) == ("Bruto_Salaris_Fulltime", 2900)
    assert salary(12, 2023) is None
    current = api.employee("Salary_GetCurrent", EmployeeId=500003)
    assert (current["Type"], current["Value"]) == ("Bruto_Salaris_Fulltime", 3200)


def _week(schedule: dict) -> list[float]:
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return [float(schedule[f"Hours{d}{w}"]) for w in ("", "2") for d in days]


def test_schedules(api: Api) -> None:
    assert _week(api.employee("Schedule_GetCurrent", EmployeeId=500001)) == [0.0] * 14
    chantal = api.employee("Schedule_GetCurrent", EmployeeId=500003)
    assert _week(chantal) == ([8.0] * 5 + [0.0] * 2) * 2
    assert float(chantal["ParttimePercentage"]) == 100
    finn = api.employee("Schedule_Get", EmployeeId=600002, Period=11, Year=2026)
    assert _week(finn) == ([6.0] * 4 + [0.0] * 3) * 2
    items = api.employee("Schedule_GetAll_AllEmployeesByCompany", CompanyID=54614)
    assert [len(i["EmployeeSchedules"]["Schedule_V2"]) for i in items] == [1, 1, 1]


def test_schedule_get_picks_the_schedule_in_force(nmbrs_sandbox_factory) -> None:
    data = demo_data()
    data["companies"][0]["employees"][0]["schedules"] = [
        {"start_date": "2024-01-01", "week1": [0] * 7},
        {"start_date": "2026-11-16", "week1": [4, 4, 4, 0, 0, 0, 0]},
    ]
    api = Api(nmbrs_sandbox_factory(data).url)

    def week(period: int) -> list[float]:
        return _week(api.employee("Schedule_Get", EmployeeId=500001, Period=period, Year=2026))

    assert week(10) == [0.0] * 14
    assert week(11)[:7] == [4.0, 4.0, 4.0, 0.0, 0.0, 0.0, 0.0]
    assert api.employee("Schedule_Get", EmployeeId=500001, Period=12, Year=2023) is None


def test_empty_lists_come_back_as_none(api: Api) -> None:
    assert api.employee("HourComponentVar_GetCurrent", EmployeeId=500001) is None
