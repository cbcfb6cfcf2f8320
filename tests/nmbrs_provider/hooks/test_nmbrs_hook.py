"""NmbrsHook against the Nmbrs sandbox, over real SOAP on HTTP."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from nmbrs_provider.backend import ChangeSet, CodeChange, EmployeeChange, NmbrsBackend
from nmbrs_provider.core.holdings import HourComponent
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.exceptions import (
    NmbrsAuthenticationError,
    NmbrsCompanyAccessError,
    NmbrsConfigurationError,
    NmbrsInvalidHourCodeError,
    NmbrsPermissionError,
    NmbrsProtectedPeriodError,
    NmbrsTransientError,
)
from nmbrs_provider.hooks.nmbrs import NmbrsHook

NOVEMBER = PayrollPeriod.parse("2026-11-M")
OCTOBER = PayrollPeriod.parse("2026-10-M")
ANNA, DAAN, CHANTAL = 500001, 500004, 500003


@pytest.fixture
def hook(demo_conn) -> NmbrsHook:
    return NmbrsHook(nmbrs_conn_id=demo_conn)


def new(employee_id, hour_code, hours, comment=None) -> tuple:
    """An (employee, component) pair to insert; Nmbrs assigns the id."""
    return employee_id, HourComponent(0, hour_code, Decimal(hours), comment)


def test_the_hook_is_an_nmbrs_backend(hook):
    assert isinstance(hook, NmbrsBackend)


def test_lists_companies_with_their_current_period(hook):
    periods = {cp.company.id: cp for cp in hook.list_company_periods()}
    assert sorted(periods) == [54613, 54614]
    horeca = periods[54613]
    assert (horeca.company.number, horeca.company.name) == (1, "Acme Horeca BV")
    assert horeca.period == NOVEMBER
    assert (horeca.period.start, horeca.period.end) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_reads_employees_salaries_schedules_and_hour_model(hook):
    numbers = {e.number: e.id for e in hook.list_employees(54613)}
    assert numbers == {"101": 500001, "102": 500002, "103": 500003, "104": 500004}
    names = {p.employee_id: (p.number, p.first_name) for p in hook.get_personal_info(54613)}
    assert names[ANNA] == ("101", "Anna")
    salaries = hook.get_salaries(54613)
    assert salaries[ANNA][-1].is_hourly and salaries[ANNA][-1].type == "Bruto_Uurloon"
    assert not salaries[CHANTAL][-1].is_hourly
    schedules = hook.get_schedules(54613)
    assert schedules[ANNA][-1].total_hours == 0
    assert schedules[CHANTAL][-1].total_hours == Decimal(80)
    assert hook.get_schedule(CHANTAL, NOVEMBER).total_hours == Decimal(80)
    assert hook.get_days_fixed(ANNA, NOVEMBER) == 0
    assert {c.code for c in hook.get_hour_codes(54613)} >= {2100, 3100}


def test_insert_appends_and_delete_removes_one_component(hook):
    assert [(c.hour_code, c.hours) for c in hook.get_hour_components(DAAN, NOVEMBER)] == [
        (3100, Decimal("8"))
    ]
    hook.insert_hour_components([new(DAAN, 2100, "12.25", "Keeping 2026-11-M")], NOVEMBER)
    hook.insert_hour_components([new(DAAN, 2100, "12.25", "Keeping 2026-11-M")], NOVEMBER)
    worked = [c for c in hook.get_hour_components(DAAN, NOVEMBER) if c.hour_code == 2100]
    assert [c.hours for c in worked] == [Decimal("12.25"), Decimal("12.25")], "insert appends"
    assert hook.delete_hour_component(DAAN, worked[0].id)
    assert len(hook.get_hour_components(DAAN, NOVEMBER)) == 2


def test_a_change_set_goes_out_in_batches_of_the_hooks_batch_size(demo_conn, nmbrs_sandbox):
    hook = NmbrsHook(nmbrs_conn_id=demo_conn, batch_size=2)
    (held,) = hook.get_hour_components(DAAN, NOVEMBER)
    employees = [
        EmployeeChange(e, (CodeChange(2100, (), Decimal(1), "Keeping 2026-11-M"),), 2)
        for e in (ANNA, CHANTAL)
    ]
    employees.append(EmployeeChange(DAAN, (CodeChange(3100, (held,), Decimal(5), "K"),), 1))
    written = hook.apply(ChangeSet(54613, NOVEMBER, tuple(employees)))
    assert (written.removed, written.added, written.days_set) == (1, 3, 3)
    operations = [c["operation"] for c in nmbrs_sandbox.calls()]
    assert operations.count("HourComponentVar_Insert_Batch") == 2
    assert operations.count("DaysVar_Set_Batch") == 2
    assert operations.count("HourComponent_Delete") == 1
    daan = hook.read_holdings([DAAN], NOVEMBER)[DAAN]
    assert [(c.hour_code, c.hours) for c in daan.components] == [(3100, Decimal(5))]
    assert daan.days == 1


def test_days_worked_are_overwritten(hook):
    hook.set_days_worked({ANNA: 4}, NOVEMBER)
    hook.set_days_worked({ANNA: 6}, NOVEMBER)
    assert hook.get_days_worked(ANNA, NOVEMBER) == 6


def test_past_period_is_protected_unless_unprotected_mode(hook):
    three = [new(ANNA, 2100, 3)]
    with pytest.raises(NmbrsProtectedPeriodError, match="2026-10"):
        hook.insert_hour_components(three, OCTOBER)
    hook.insert_hour_components(three, OCTOBER, unprotected=True)
    assert [c.hours for c in hook.get_hour_components(ANNA, OCTOBER)] == [Decimal(3)]


def test_unknown_hour_code_rejects_the_whole_batch(hook):
    batch = [new(ANNA, 2100, 3), new(ANNA, 9999, 3)]
    with pytest.raises(NmbrsInvalidHourCodeError, match="500001"):
        hook.insert_hour_components(batch, NOVEMBER)
    assert hook.get_hour_components(ANNA, NOVEMBER) == []


def test_unknown_company_is_a_typed_error(hook):
    with pytest.raises(NmbrsCompanyAccessError, match="Company 99999"):
        hook.get_current_period(99999)


def test_wrong_token_names_what_nmbrs_checks_and_hides_the_token(nmbrs_sandbox, nmbrs_connection):
    conn_id = nmbrs_connection("nmbrs_bad", nmbrs_sandbox.url, "demo@example.com", "wrong-TOKEN-42")
    with pytest.raises(NmbrsAuthenticationError) as err:
        NmbrsHook(conn_id).list_companies()
    assert "e-mail" in str(err.value) and "token" in str(err.value) and "domain" in str(err.value)
    assert "wrong-TOKEN-42" not in str(err.value)
    ok, message = NmbrsHook(conn_id).test_connection()
    assert not ok and "1001" in message and "wrong-TOKEN-42" not in message


def test_bad_connection_settings_fail_before_any_call(nmbrs_sandbox, nmbrs_connection):
    conn_id = nmbrs_connection(
        "nmbrs_host_domain", nmbrs_sandbox.url, "demo@example.com", "sandbox-demo-token",
        domain="demo.nmbrs.nl",
    )  # fmt: skip
    with pytest.raises(NmbrsConfigurationError, match="only the subdomain, 'demo'"):
        NmbrsHook(conn_id).list_companies()
    assert nmbrs_sandbox.calls() == []


def test_an_undefined_connection_is_a_configuration_error(nmbrs_sandbox, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_NMBRS_NOWHERE", raising=False)
    with pytest.raises(NmbrsConfigurationError, match="'nmbrs_nowhere' is not defined") as err:
        NmbrsHook("nmbrs_nowhere").list_companies()
    assert not err.value.transient  # the task fails at once instead of retrying
    assert nmbrs_sandbox.calls() == []


def test_a_connection_of_another_type_is_a_configuration_error(nmbrs_sandbox, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_NOT_NMBRS",
        json.dumps({"conn_type": "postgres", "login": "demo@example.com",
                    "password": "sandbox-demo-token", "host": nmbrs_sandbox.url,
                    "extra": {"domain": "demo"}}),
    )  # fmt: skip
    with pytest.raises(NmbrsConfigurationError, match="of type 'postgres', not 'nmbrs'") as err:
        NmbrsHook("not_nmbrs").list_companies()
    assert not err.value.transient
    assert "sandbox-demo-token" not in str(err.value)
    assert nmbrs_sandbox.calls() == []


def test_permission_report_lists_exactly_what_is_missing_and_writes_nothing(
    nmbrs_sandbox, nmbrs_connection
):
    before = nmbrs_sandbox.state()
    conn_id = nmbrs_connection(
        "nmbrs_limited", nmbrs_sandbox.url, "limited@example.com", "sandbox-limited-token"
    )
    report = NmbrsHook(conn_id).permission_report()
    assert report.missing == (
        "EmployeeService.Salary_GetAll_AllEmployeesByCompany",
        "EmployeeService.DaysVar_Set_Batch",
    )
    assert not report.ok and report.unchecked == {}
    assert nmbrs_sandbox.state() == before
    ok, message = NmbrsHook(conn_id).test_connection()
    assert not ok and "EmployeeService.DaysVar_Set_Batch" in message


def test_full_permissions_pass_the_connection_test(hook):
    ok, message = hook.test_connection()
    assert ok, message
    assert "2 companies visible" in message
    assert hook.permission_report().missing == ()


def test_missing_permission_is_a_typed_error_naming_the_operation(nmbrs_sandbox, nmbrs_connection):
    conn_id = nmbrs_connection(
        "nmbrs_limited", nmbrs_sandbox.url, "limited@example.com", "sandbox-limited-token"
    )
    with pytest.raises(NmbrsPermissionError, match="EmployeeService > DaysVar_Set_Batch"):
        NmbrsHook(conn_id).set_days_worked({ANNA: 1}, NOVEMBER)


def test_transient_failures_of_reads_are_retried(hook, nmbrs_sandbox):
    hook.client.retry = type(hook.client.retry)(attempts=3, base_delay=0.01)
    nmbrs_sandbox.inject(operation="List_GetAll", kind="http_503", times=2)
    assert len(hook.list_companies()) == 2
    calls = [c for c in nmbrs_sandbox.calls() if c["operation"] == "List_GetAll"]
    assert len(calls) == 3


def test_a_lost_insert_answer_is_not_retried_blindly(hook, nmbrs_sandbox):
    nmbrs_sandbox.inject(operation="HourComponentVar_Insert_Batch", kind="http_503_after_apply")
    with pytest.raises(NmbrsTransientError) as err:
        hook.insert_hour_components([new(ANNA, 2100, 2)], NOVEMBER)
    assert err.value.maybe_applied
    inserts = [
        c for c in nmbrs_sandbox.calls() if c["operation"] == "HourComponentVar_Insert_Batch"
    ]
    assert len(inserts) == 1, "a batch insert must never be resent without reading back first"
    assert [c.hours for c in hook.get_hour_components(ANNA, NOVEMBER)] == [Decimal(2)]
