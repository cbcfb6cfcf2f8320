"""The hook works when zeep loads the reference Nmbrs v3 WSDL instead of the sandbox's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from nmbrs_provider.core.holdings import HourComponent
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.exceptions import (
    NmbrsAuthenticationError,
    NmbrsPermissionError,
    NmbrsProtectedPeriodError,
)
from nmbrs_provider.hooks.nmbrs import NmbrsHook
from tests.nmbrs_provider.conftest import DEMO_USER, LIMITED_USER

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "nmbrs-soap-v3"

pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(
        not REFERENCE.is_dir(),
        reason="../shared/reference/nmbrs-soap-v3 not found: the reference WSDLs lie beside "
        "the repository in CI",
    ),
]


def reference_hook(conn_id: str) -> NmbrsHook:
    return NmbrsHook(
        conn_id,
        wsdl_locations={
            service: str(REFERENCE / f"{service}.wsdl")
            for service in ("CompanyService", "EmployeeService")
        },
    )


def test_lists_companies_and_current_periods(nmbrs_sandbox, nmbrs_connection):
    hook = reference_hook(nmbrs_connection("ref_demo", nmbrs_sandbox.url, *DEMO_USER))
    periods = {cp.company.name: str(cp.period) for cp in hook.list_company_periods()}
    assert periods == {"Acme Horeca BV": "2026-11-M", "Acme Events BV": "2026-11-M"}
    assert {e.number for e in hook.list_employees(54614)} == {"201", "202", "203"}
    assert hook.get_schedules(54613)[500003][-1].total_hours == 80


def test_reports_exactly_the_missing_permissions(nmbrs_sandbox, nmbrs_connection):
    hook = reference_hook(nmbrs_connection("ref_limited", nmbrs_sandbox.url, *LIMITED_USER))
    assert hook.permission_report().missing == (
        "EmployeeService.Salary_GetAll_AllEmployeesByCompany",
        "EmployeeService.DaysVar_Set_Batch",
    )
    with pytest.raises(NmbrsPermissionError):
        hook.set_days_worked({500001: 1}, PayrollPeriod.parse("2026-11-M"))


def test_faults_become_typed_errors(nmbrs_sandbox, nmbrs_connection):
    bad = reference_hook(
        nmbrs_connection("ref_bad", nmbrs_sandbox.url, "demo@example.com", "not-the-token")
    )
    with pytest.raises(NmbrsAuthenticationError):
        bad.list_companies()
    hook = reference_hook(nmbrs_connection("ref_demo", nmbrs_sandbox.url, *DEMO_USER))
    with pytest.raises(NmbrsProtectedPeriodError):
        hook.insert_hour_components(
            [(500001, HourComponent(0, 2100, 1))], PayrollPeriod.parse("2026-10-M")
        )
