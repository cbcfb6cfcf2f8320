"""What a period load costs in Nmbrs calls, counted by the sandbox over real SOAP.

The budget of the performance issue: at most 2 calls per flexible employee plus a constant per
company, on a first run and on an unchanged re-run (which writes nothing); per-employee writes
only where something differs; the client's pace never trips the account's throttle.
"""

from __future__ import annotations

import copy
from collections import Counter

import pytest

from bench.__main__ import state_ok
from bench.scenario import DOMAIN, PERIOD, TOKEN, USERNAME, generate
from bench.sync_load import run_project
from nmbrs_provider.core.config import LoadConfig
from nmbrs_provider.core.contracts import classify_contracts
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.exceptions import NmbrsPermissionError
from nmbrs_provider.hooks.nmbrs import NmbrsHook
from nmbrs_provider.sync.nmbrs_state import read_employees

NOVEMBER = PayrollPeriod.parse(PERIOD)
WRITES = {
    "HourComponentVar_Insert_Batch",
    "HourComponent_Delete",
    "DaysVar_Set_Batch",
    "HourComponentVar_ClearCurrent",
}
#: Calls per company that do not grow with its employees: current period, 5 company-wide
#: reads, the hour model, 3 write-permission probes, one insert and one days batch, and the
#: read-back of a 3-employee sample (6).
PER_COMPANY = 18
EMPLOYEES, COMPANIES = 90, 3


def calls_between(sandbox, start: int) -> Counter:
    return Counter(c["operation"] for c in sandbox.calls()[start:])


def _without(bench, *operations: str) -> dict:
    scenario = copy.deepcopy(bench.scenario)
    scenario["accounts"][0]["permissions"] = {
        "all_except": [f"EmployeeService.{operation}" for operation in operations]
    }
    return scenario


@pytest.fixture
def bench():
    return generate(EMPLOYEES, COMPANIES, seed=7)


@pytest.fixture
def budget_conn(bench, nmbrs_sandbox_factory, nmbrs_connection):
    """A sandbox whose account allows 40 calls/s, and a connection pacing at 30/s."""
    sandbox = nmbrs_sandbox_factory(bench.scenario, latency_ms=5, throttle_limit=40)
    conn_id = nmbrs_connection(
        "nmbrs_budget", sandbox.url, USERNAME, TOKEN, DOMAIN,
        calls_per_second=30, max_concurrency=8,
    )  # fmt: skip
    return sandbox, conn_id


def test_first_run_and_unchanged_rerun_stay_within_the_call_budget(bench, budget_conn):
    sandbox, conn_id = budget_conn
    flexible = len(bench.desired)
    load = LoadConfig(parallel_companies=2)

    run_project(conn_id, bench, NOVEMBER, load)
    first = calls_between(sandbox, 0)
    seen = len(sandbox.calls())
    assert state_ok(sandbox, bench)
    # Deletes are the per-employee writes of employees whose stale components differ.
    deletes = first["HourComponent_Delete"]
    assert sum(first.values()) - deletes <= 2 * flexible + PER_COMPANY * COMPANIES
    # Per employee only the two reads without a company-wide form, and deletes of what differs.
    assert first["HourComponentVar_Get"] <= flexible + 3 * COMPANIES
    assert first["DaysVarWorked_Get"] <= flexible + 3 * COMPANIES
    assert first["DaysFixed_Get"] == first["Schedule_Get"] == 0
    assert first["HourComponentVar_ClearCurrent"] == 0  # never a clear where nothing to clear
    # Inserts and days go in one batch per company (plus its permission probe).
    assert first["HourComponentVar_Insert_Batch"] == first["DaysVar_Set_Batch"] == 2 * COMPANIES
    stale = sum(1 for c in bench.scenario["companies"] for e in c["employees"]
                if e.get("hour_components"))  # fmt: skip
    assert deletes <= stale + COMPANIES

    run_project(conn_id, bench, NOVEMBER, load)
    rerun = calls_between(sandbox, seen)
    assert not WRITES & set(rerun), f"an unchanged re-run wrote: {rerun}"
    assert rerun["HourComponentVar_Get"] == rerun["DaysVarWorked_Get"] == flexible
    assert sum(rerun.values()) <= 2 * flexible + PER_COMPANY * COMPANIES
    assert state_ok(sandbox, bench)
    assert not any(c["throttled"] for c in sandbox.calls()), "the client tripped the throttle"


def test_without_company_wide_schedules_and_personal_info_it_reads_per_employee(
    bench, nmbrs_sandbox_factory, nmbrs_connection
):
    scenario = _without(
        bench,
        "Schedule_GetAll_AllEmployeesByCompany",
        "PersonalInfo_GetAll_AllEmployeesByCompany",
    )
    sandbox = nmbrs_sandbox_factory(scenario, throttle_limit=0)
    conn_id = nmbrs_connection("nmbrs_no_getall", sandbox.url, USERNAME, TOKEN, DOMAIN)

    run_project(conn_id, bench, NOVEMBER, LoadConfig(parallel_companies=1))

    calls = calls_between(sandbox, 0)
    assert calls["Schedule_Get"] == EMPLOYEES  # the fallback: one schedule read per employee
    assert state_ok(sandbox, bench)


def test_fixed_days_are_read_only_when_the_config_asks(
    bench, nmbrs_sandbox_factory, nmbrs_connection
):
    sandbox = nmbrs_sandbox_factory(bench.scenario, throttle_limit=0)
    conn_id = nmbrs_connection("nmbrs_days_fixed", sandbox.url, USERNAME, TOKEN, DOMAIN)

    run_project(conn_id, bench, NOVEMBER, LoadConfig(parallel_companies=1, check_days_fixed=True))

    assert calls_between(sandbox, 0)["DaysFixed_Get"] == len(bench.desired)
    assert state_ok(sandbox, bench)


def test_without_the_company_wide_salary_read_zero_schedules_are_read_per_employee(
    bench, nmbrs_sandbox_factory, nmbrs_connection
):
    scenario = _without(bench, "Salary_GetAll_AllEmployeesByCompany")
    sandbox = nmbrs_sandbox_factory(scenario, throttle_limit=0)
    conn_id = nmbrs_connection("nmbrs_no_salaries", sandbox.url, USERNAME, TOKEN, DOMAIN)

    run_project(conn_id, bench, NOVEMBER, LoadConfig(parallel_companies=1))

    calls = calls_between(sandbox, 0)
    zero_schedules = len(bench.desired)  # the generator's zero schedules are its flexible ones
    assert calls["Salary_Get"] == zero_schedules  # fixed schedules need no salary read
    assert state_ok(sandbox, bench)


def test_the_per_employee_salary_still_keeps_a_salaried_zero_schedule_out(
    bench, nmbrs_sandbox_factory, nmbrs_connection
):
    # A zero-schedule employee on a monthly salary: only the salary tells he is not paid by
    # the hour, and sending his hours would pay him twice.
    scenario = _without(bench, "Salary_GetAll_AllEmployeesByCompany")
    company = scenario["companies"][0]
    salaried = next(e for e in company["employees"] if e["id"] in bench.desired)
    salaried["salaries"] = [
        {"value": 3100, "type": "Bruto_Salaris_Fulltime", "start_date": "2024-01-01"}
    ]
    sandbox = nmbrs_sandbox_factory(scenario, throttle_limit=0)
    conn_id = nmbrs_connection("nmbrs_salaried", sandbox.url, USERNAME, TOKEN, DOMAIN)

    employees = classify_contracts(read_employees(NmbrsHook(conn_id), company["id"], NOVEMBER))

    row = employees.set_index("employee_id").loc[salaried["id"]]
    assert row["contract"] == "disputed"
    assert "Bruto_Salaris_Fulltime" in row["contract_reason"]
    flexible = set(employees.loc[employees["contract"].eq("flexible"), "employee_id"])
    assert flexible == set(bench.flexible[company["id"]]) - {salaried["id"]}


def test_without_any_salary_read_the_company_fails_naming_both_operations(
    bench, nmbrs_sandbox_factory, nmbrs_connection
):
    scenario = _without(bench, "Salary_GetAll_AllEmployeesByCompany", "Salary_Get")
    sandbox = nmbrs_sandbox_factory(scenario, throttle_limit=0)
    conn_id = nmbrs_connection("nmbrs_no_salary", sandbox.url, USERNAME, TOKEN, DOMAIN)

    with pytest.raises(NmbrsPermissionError) as raised:
        run_project(conn_id, bench, NOVEMBER, LoadConfig(parallel_companies=1))

    message = str(raised.value)
    assert f"API user {USERNAME!r} may call neither" in message
    assert "Salary_GetAll_AllEmployeesByCompany" in message and "Salary_Get " in message
    assert TOKEN not in message
    assert not WRITES & set(calls_between(sandbox, 0))
