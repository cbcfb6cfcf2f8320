"""Authentication (1001), operation permissions (1002) and company/employee visibility."""

from __future__ import annotations

import pytest
import zeep

from nmbrs_sandbox import Sandbox
from tests.nmbrs_sandbox.sandbox_api import DEMO, LIMITED, Api, days, demo_data, fault_code, hours

UNKNOWN_EMPLOYEE = 999999


@pytest.mark.parametrize(
    "credentials",
    [
        {**DEMO, "Token": "wrong-token"},
        {**DEMO, "Domain": "other"},
        {**DEMO, "Username": "nobody@example.com"},
        {**DEMO, "Token": LIMITED["Token"]},
    ],
    ids=["token", "domain", "username", "other-accounts-token"],
)
def test_wrong_credentials_fault_1001(nmbrs_sandbox: Sandbox, credentials: dict) -> None:
    api = Api(nmbrs_sandbox.url, credentials)

    assert fault_code(lambda: api.company("List_GetAll")) == 1001


def test_missing_header_faults_1001(nmbrs_sandbox: Sandbox) -> None:
    api = Api(nmbrs_sandbox.url)
    service = api.clients["CompanyService"].service

    assert fault_code(lambda: service.List_GetAll()) == 1001


def test_1001_message_is_asmx_style(nmbrs_sandbox: Sandbox) -> None:
    api = Api(nmbrs_sandbox.url, {**DEMO, "Token": "x"})

    with pytest.raises(zeep.exceptions.Fault) as raised:
        api.company("List_GetAll")

    assert raised.value.message == (
        "Server was unable to process request. ---> 1001: Invalid Authentication"
    )
    assert raised.value.code == "soap:Server"


def test_operations_outside_the_template_fault_1002(nmbrs_sandbox: Sandbox) -> None:
    limited = Api(nmbrs_sandbox.url, LIMITED)

    assert fault_code(lambda: limited.set_days_var([days(500001, 5)])) == 1002
    assert (
        fault_code(lambda: limited.employee("Salary_GetAll_AllEmployeesByCompany", CompanyID=54613))
        == 1002
    )
    assert nmbrs_sandbox.days_var(500001, 2026, 11) is None


def test_operations_in_the_template_work_for_the_limited_account(nmbrs_sandbox: Sandbox) -> None:
    limited = Api(nmbrs_sandbox.url, LIMITED)

    limited.insert_hours([hours(500001, amount="3")])

    assert [c["Hours"] for c in nmbrs_sandbox.hour_components(500001, 2026, 11)] == [3.0]


def test_permission_is_checked_before_arguments(nmbrs_sandbox: Sandbox) -> None:
    probe = [days(UNKNOWN_EMPLOYEE, 1)]

    assert fault_code(lambda: Api(nmbrs_sandbox.url, LIMITED).set_days_var(probe)) == 1002
    assert fault_code(lambda: Api(nmbrs_sandbox.url, DEMO).set_days_var(probe)) == 2003


@pytest.fixture
def one_company_sandbox(nmbrs_sandbox_factory) -> Sandbox:
    """Demo data, but demo@example.com only sees company 54613."""
    data = demo_data()
    data["accounts"][0]["companies"] = [54613]
    return nmbrs_sandbox_factory(data)


def test_companies_the_account_does_not_see_fault_2004(one_company_sandbox: Sandbox) -> None:
    api = Api(one_company_sandbox.url)

    assert [c["ID"] for c in api.company("List_GetAll")] == [54613]
    assert fault_code(lambda: api.company("Company_GetCurrentPeriod", CompanyId=54614)) == 2004
    assert fault_code(lambda: api.company("Company_GetCurrentPeriod", CompanyId=1)) == 2004
    assert (
        fault_code(lambda: api.employee("List_GetByCompany", CompanyId=54614, EmployeeType=0))
        == 2004
    )


def test_employees_of_hidden_companies_fault_2003(one_company_sandbox: Sandbox) -> None:
    api = Api(one_company_sandbox.url)

    assert (
        fault_code(lambda: api.employee("HourComponentVar_GetCurrent", EmployeeId=600001)) == 2003
    )
    assert fault_code(lambda: api.insert_hours([hours(600001)])) == 2003
    assert api.employee("DaysFixed_GetCurrent", EmployeeId=500001) == 0


def test_unknown_employee_faults_2003(api: Api) -> None:
    assert (
        fault_code(lambda: api.employee("Schedule_GetCurrent", EmployeeId=UNKNOWN_EMPLOYEE)) == 2003
    )
    assert (
        fault_code(
            lambda: api.employee(
                "HourComponent_Delete", EmployeeId=UNKNOWN_EMPLOYEE, HourComponentID=1
            )
        )
        == 2003
    )
