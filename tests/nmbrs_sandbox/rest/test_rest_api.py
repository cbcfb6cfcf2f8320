"""The sandbox's REST endpoints over HTTP: shapes, pagination, the shared world with SOAP."""

from __future__ import annotations

import copy

import pytest

from nmbrs_sandbox import Sandbox
from nmbrs_sandbox.rest import company_uuid, component_uuid, employee_uuid
from tests.nmbrs_sandbox.rest.rest_api import Rest, login, login_auto
from tests.nmbrs_sandbox.sandbox_api import Api, demo_data, hours

ACME = company_uuid(54613)
ANNA, DAAN, EVA = employee_uuid(500001), employee_uuid(500004), employee_uuid(600001)
NOVEMBER = {"period": {"year": 2026, "period": 11}}


def _many_employees(count: int) -> dict:
    data = demo_data()
    company = data["companies"][0]
    template = company["employees"][0]
    for index in range(count):
        extra = copy.deepcopy(template)
        extra.update(id=510000 + index, number=1000 + index, first_name=f"Extra{index}")
        company["employees"].append(extra)
    company["runs"][0]["employees"] = []
    return data


def test_companies_and_period(rest: Rest) -> None:
    (acme, events) = rest.get("/api/companies").json()["data"]
    assert acme == {
        "companyId": ACME,
        "number": "1",
        "name": "Acme Horeca BV",
        "debtorId": acme["debtorId"],
    }
    assert events["number"] == "2"
    period = rest.get(f"/api/companies/{ACME}/period").json()["data"]
    assert period == [
        {
            "period": {"year": 2026, "period": 11},
            "periodType": "month",
            "displayPeriod": "2026-11-M",
        }
    ]


@pytest.mark.parametrize(
    "endpoint",
    [
        "employees",
        "employees/personalinfo",
        "employees/schedules",
        "employees/salaries",
        "employees/contracts",
        "employees/employments",
    ],
)
def test_pagination_reads_every_employee(nmbrs_sandbox_factory, endpoint: str) -> None:
    sandbox = nmbrs_sandbox_factory(_many_employees(41))  # 45 employees in 54613
    api = Rest(sandbox.url, login(sandbox.url)["access_token"])
    first = api.get(f"/api/companies/{ACME}/{endpoint}").json()
    assert len(first["data"]) == 20  # the default page size
    assert first["pagination"]["totalRecords"] == 45 and first["pagination"]["totalPages"] == 3
    rows = api.all_pages(f"/api/companies/{ACME}/{endpoint}", page_size=7)
    assert len(rows) == 45
    assert len({row["employeeId"] for row in rows}) == 45
    last = api.get(f"/api/companies/{ACME}/{endpoint}", pageNumber=7, pageSize=7).json()
    assert len(last["data"]) == 3 and last["pagination"]["nextPage"] is None


@pytest.mark.parametrize("params", [{"pageSize": 0}, {"pageSize": 101}, {"pageNumber": 0}])
def test_bad_page_parameters_are_400(rest: Rest, params: dict) -> None:
    answer = rest.get(f"/api/companies/{ACME}/employees", **params)
    assert answer.status_code == 400
    assert answer.json()["code"] == 40033 and answer.json()["invalid-params"]


def test_employee_histories_carry_what_the_sync_classifies_by(rest: Rest) -> None:
    employees = rest.get(f"/api/companies/{ACME}/employees").json()["data"]
    numbers = {e["employeeBasicInfo"]["employeeNumber"]: e["employeeId"] for e in employees}
    assert numbers == {
        101: ANNA,
        102: employee_uuid(500002),
        103: employee_uuid(500003),
        104: DAAN,
    }
    salaries = rest.get(f"/api/companies/{ACME}/employees/salaries").json()["data"]
    types = {s["employeeId"]: s["salaries"][0]["type"] for s in salaries}
    assert types[ANNA] == "grossHourlyWage"
    assert types[employee_uuid(500003)] == "grossFulltimeSalary"
    schedules = rest.get(f"/api/companies/{ACME}/employees/schedules").json()["data"]
    week = {s["employeeId"]: s["schedules"][0]["hoursPerWeek"] for s in schedules}
    assert week[ANNA] == 0 and week[employee_uuid(500003)] == 40
    codes = rest.get(f"/api/companies/{ACME}/hourcodes").json()["data"]
    assert {"code": 2100, "description": "Gewerkte uren"} in codes


def test_a_rest_write_reads_back_over_soap_and_the_other_way(nmbrs_sandbox: Sandbox) -> None:
    rest = Rest(nmbrs_sandbox.url, login(nmbrs_sandbox.url)["access_token"])
    soap = Api(nmbrs_sandbox.url)
    created = rest.post(
        f"/api/employees/{ANNA}/variablehours",
        {"hourCode": 2100, "hours": 12.5, "comment": "week 45", "periodDetails": NOVEMBER},
    )
    assert created.status_code == 201
    soap_rows = soap.employee("HourComponentVar_Get", EmployeeId=500001, Year=2026, Period=11)
    assert [(r.HourCode, float(r.Hours)) for r in soap_rows] == [(2100, 12.5)]
    assert created.json()["hourComponentId"] == component_uuid(soap_rows[0].Id)

    soap.insert_hours([hours(500001, 2200, "3")])
    rest_rows = rest.get(f"/api/employees/{ANNA}/variablehours", year=2026, period=11).json()
    assert [(r["hourCode"], r["hours"]) for r in rest_rows["data"]] == [(2100, 12.5), (2200, 3.0)]
    assert rest_rows["data"][0]["comment"] == "week 45"


def test_post_twice_creates_two_put_updates_delete_removes(rest: Rest, nmbrs_sandbox) -> None:
    path = f"/api/employees/{ANNA}/variablehours"
    ids = [rest.post(path, {"hourCode": 2100, "hours": 8}).json()["hourComponentId"] for _ in "ab"]
    assert ids[0] != ids[1]
    assert [r["Hours"] for r in nmbrs_sandbox.hour_components(500001, 2026, 11)] == [8.0, 8.0]
    updated = rest.call("PUT", path, json={"hourComponentId": ids[0], "hours": 6.25})
    assert updated.status_code == 200 and updated.json() == {"hourComponentId": ids[0]}
    deleted = rest.call("DELETE", f"/api/employees/{ANNA}/hours/{ids[1]}")
    assert deleted.status_code == 204 and deleted.content == b""
    rows = nmbrs_sandbox.hour_components(500001, 2026, 11)
    assert [(r["HourCode"], r["Hours"]) for r in rows] == [(2100, 6.25)]
    again = rest.call("DELETE", f"/api/employees/{ANNA}/hours/{ids[1]}")
    assert again.status_code == 404 and again.json()["code"] == 40401


def test_current_period_is_the_default_and_past_periods_are_protected(
    rest: Rest, nmbrs_sandbox: Sandbox
) -> None:
    path = f"/api/employees/{ANNA}/variablehours"
    assert rest.post(path, {"hourCode": 2100, "hours": 1}).status_code == 201
    assert len(nmbrs_sandbox.hour_components(500001, 2026, 11)) == 1
    october = {"period": {"year": 2026, "period": 10}}
    protected = rest.post(path, {"hourCode": 2100, "hours": 1, "periodDetails": october})
    assert protected.status_code == 400 and protected.json()["code"] == 40040
    unprotected = {**october, "unprotectedMode": True}
    assert rest.post(path, {"hourCode": 2100, "hours": 1, "periodDetails": unprotected}).ok
    (past,) = rest.get(path, year=2026, period=10).json()["data"]
    gone = rest.call("DELETE", f"/api/employees/{ANNA}/hours/{past['hourComponentId']}")
    assert gone.status_code == 400 and gone.json()["code"] == 40040  # no unprotected delete
    bad_period = rest.post(
        path,
        {"hourCode": 2100, "hours": 1, "periodDetails": {"period": {"year": 2026, "period": 13}}},
    )
    assert (
        bad_period.status_code == 400 and bad_period.json()["invalid-params"][0]["name"] == "period"
    )
    unknown_code = rest.post(path, {"hourCode": 9999, "hours": 1})
    assert unknown_code.status_code == 400
    assert unknown_code.json()["invalid-params"][0]["name"] == "hourCode"
    assert rest.get(path, year=2026).status_code == 400  # year without period


def test_variable_days_overwrite_and_match_soap(rest: Rest, nmbrs_sandbox: Sandbox) -> None:
    path = f"/api/employees/{DAAN}/variabledays"
    for days in (5, 3):
        answer = rest.post(path, {"days": days, "periodDetails": NOVEMBER})
        assert answer.status_code == 201
    assert nmbrs_sandbox.days_var(500004, 2026, 11) == 3
    assert rest.get(path, year=2026, period=11).json()["data"] == [
        {"days": 3, "daysForWageComponentsPerDay": 0}
    ]
    soap = Api(nmbrs_sandbox.url).employee(
        "DaysVarWorked_Get", EmployeeId=500004, Year=2026, Period=11
    )
    assert soap.Days == 3


def test_unknown_and_foreign_ids(nmbrs_sandbox: Sandbox) -> None:
    nmbrs_sandbox.auth.register_user("acme@example.com", "pw", [54613])
    nmbrs_sandbox.auth.set_auto_login("acme@example.com")
    api = Rest(nmbrs_sandbox.url, login_auto(nmbrs_sandbox.url)["access_token"])
    assert api.get(f"/api/employees/{EVA}/variablehours").json()["code"] == 40303
    assert api.get(f"/api/companies/{company_uuid(54614)}/employees").status_code == 403
    assert api.get(f"/api/companies/{company_uuid(1)}/employees").json()["code"] == 40404
    assert api.get(f"/api/employees/{employee_uuid(1)}/variablehours").json()["code"] == 40401
    assert api.get("/api/companies/not-a-uuid/employees").status_code == 400
    assert api.get("/api/nothing").status_code == 404
