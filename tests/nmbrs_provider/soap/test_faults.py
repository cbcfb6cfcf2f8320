"""Nmbrs faults become typed errors that say what to do."""

from __future__ import annotations

import pytest

from nmbrs_provider import exceptions as e
from nmbrs_provider.soap.faults import parse_fault_code, translate_fault

ASMX = "Server was unable to process request. ---> {}"


def translate(text, operation="HourComponentVar_Insert_Batch", **args):
    return translate_fault(
        ASMX.format(text),
        service="EmployeeService",
        operation=operation,
        args=args,
        username="api@acme.nl",
        domain="acme",
    )


def test_parses_the_code_out_of_an_asmx_faultstring():
    assert parse_fault_code(ASMX.format("1002: Unauthorized Access")) == (
        1002,
        "Unauthorized Access",
    )
    assert parse_fault_code("2011: Protected mode") == (2011, "Protected mode")
    assert parse_fault_code("Object reference not set") == (None, "Object reference not set")


def test_1001_names_the_three_parts_nmbrs_checks():
    err = translate("1001: Invalid Authentication", operation="List_GetAll")
    assert isinstance(err, e.NmbrsAuthenticationError)
    text = str(err)
    assert "e-mail" in text and "token" in text and "'acme'" in text and "api@acme.nl" in text


def test_1002_names_service_and_operation():
    err = translate("1002: Unauthorized Access", operation="DaysVar_Set_Batch")
    assert isinstance(err, e.NmbrsPermissionError)
    assert err.qualified_operation == "EmployeeService.DaysVar_Set_Batch"
    assert "tick EmployeeService > DaysVar_Set_Batch" in str(err)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("2011: Protected mode", e.NmbrsProtectedPeriodError),
        (
            "9999: TWK exception: period is protected, use UnprotectedMode",
            e.NmbrsProtectedPeriodError,
        ),
        ("2001: Invalid hour component", e.NmbrsInvalidHourCodeError),
        ("2003: Unauthorized employee", e.NmbrsUnknownEmployeeError),
        ("2004: Unauthorized company", e.NmbrsCompanyAccessError),
        ("1003: No rights", e.NmbrsCompanyAccessError),
        ("2006: Invalid period", e.NmbrsInvalidPeriodError),
        ("2012: Wage tax declaration sent", e.NmbrsWageTaxDeclarationSentError),
        ("1006: Login security failure", e.NmbrsTransientError),
        ("9999: Something else", e.NmbrsFaultError),
    ],
)
def test_each_code_has_its_type(text, kind):
    err = translate(text, Period=3, Year=2026, EmployeeIds=[7, 8])
    assert type(err) is kind
    assert err.transient is (kind is e.NmbrsTransientError)


def test_protected_period_message_names_period_and_what_to_do():
    err = translate("2011: Protected mode", Period=10, Year=2026, UnprotectedMode=False)
    assert "2026-10" in str(err) and "past_period_policy: retro" in str(err)


def test_protected_period_in_unprotected_mode_does_not_advise_retro_again():
    err = translate("2011: Protected mode", Period=10, Year=2026, UnprotectedMode=True)
    assert isinstance(err, e.NmbrsProtectedPeriodError)
    assert "2026-10" in str(err) and "even in UnprotectedMode" in str(err)
    assert "past_period_policy is already retro" in str(err)
    assert "set past_period_policy: retro" not in str(err)


def test_protected_period_refusing_a_delete_says_it_takes_no_unprotected_mode():
    err = translate(
        "2011: Protected mode", operation="HourComponent_Delete", EmployeeId=7, HourComponentID=9
    )
    assert isinstance(err, e.NmbrsProtectedPeriodError)
    assert "HourComponent_Delete takes no UnprotectedMode" in str(err)
    assert "correction components" in str(err) and "(current)" not in str(err)
    assert "set past_period_policy: retro to" not in str(err)


def test_invalid_hour_code_names_the_employees_of_the_batch():
    err = translate("2001: Invalid hour component", EmployeeIds=[500002, 500001])
    assert "for employees 500001, 500002" in str(err)
