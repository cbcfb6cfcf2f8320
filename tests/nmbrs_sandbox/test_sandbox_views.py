"""The JSON views of state and calls, and that tokens never leak into them or the logs."""

from __future__ import annotations

import logging

import pytest
import requests
import zeep

from nmbrs_sandbox import Sandbox
from tests.nmbrs_sandbox.sandbox_api import DEMO, LIMITED, Api, days, hours


def test_state_view(nmbrs_sandbox: Sandbox, api: Api) -> None:
    api.insert_hours([hours(500001, 2100, "5", "import")])
    api.set_days_var([days(500001, 2)])
    nmbrs_sandbox.set_current_period(54614, 2026, 12)

    state = requests.get(f"{nmbrs_sandbox.url}/_sandbox/state", timeout=5).json()

    assert state == nmbrs_sandbox.state()
    companies = {c["id"]: c for c in state["companies"]}
    assert companies[54614]["current_period"] == {"year": 2026, "period": 12}
    assert companies[54614]["current_period_code"] == "2026-12-M"
    assert companies[54613]["hour_codes"]["2100"] == "Gewerkte uren"
    employees = {e["id"]: e for e in state["employees"]}
    anna = employees[500001]
    assert (anna["company_id"], anna["number"], anna["display_name"]) == (
        54613,
        101,
        "Anna de Vries",
    )
    assert [
        (c["HourCode"], c["Hours"], c["Comment"]) for c in anna["hour_components"]["2026-11"]
    ] == [(2100, 5.0, "import")]
    assert anna["days_var"] == {"2026-11": 2}
    assert employees[500004]["hour_components"]["2026-11"][0]["HourCode"] == 3100
    assert employees[500003]["days_fixed"] == 21


def test_calls_view(nmbrs_sandbox: Sandbox) -> None:
    with pytest.raises(zeep.exceptions.Fault):
        Api(nmbrs_sandbox.url).insert_hours([hours(500001), hours(500002)], period=10)
    with pytest.raises(zeep.exceptions.Fault):
        Api(nmbrs_sandbox.url, LIMITED).employee(
            "Salary_GetAll_AllEmployeesByCompany", CompanyID=54614
        )

    calls = requests.get(f"{nmbrs_sandbox.url}/_sandbox/calls", timeout=5).json()

    assert [
        (c["service"], c["operation"], c["username"], c["company_id"], c["employee_ids"])
        for c in calls
    ] == [
        (
            "EmployeeService",
            "HourComponentVar_Insert_Batch",
            DEMO["Username"],
            None,
            [500001, 500002],
        ),
        ("EmployeeService", "Salary_GetAll_AllEmployeesByCompany", LIMITED["Username"], 54614, []),
    ]
    assert [(c["fault_code"], c["http_status"], c["injected"]) for c in calls] == [
        (2011, 500, None),
        (1002, 500, None),
    ]
    assert all(c["time"].endswith("+00:00") for c in calls)


def test_tokens_never_appear_in_calls_or_logs(
    nmbrs_sandbox: Sandbox, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="nmbrs_sandbox")

    api.company("List_GetAll")
    with pytest.raises(zeep.exceptions.Fault):
        Api(nmbrs_sandbox.url, {**DEMO, "Token": "wrong-secret"}).company("List_GetAll")

    calls_text = requests.get(f"{nmbrs_sandbox.url}/_sandbox/calls", timeout=5).text
    assert DEMO["Username"] in calls_text and DEMO["Username"] in caplog.text
    for secret in (DEMO["Token"], "wrong-secret"):
        assert secret not in calls_text
        assert secret not in caplog.text
