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
from nmbrs_provider.core.periods import PayrollPeriod

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
    scenario = copy.deepcopy(bench.scenario)
    scenario["accounts"][0]["permissions"] = {
        "all_except": [
            "EmployeeService.Schedule_GetAll_AllEmployeesByCompany",
            "EmployeeService.PersonalInfo_GetAll_AllEmployeesByCompany",
        ]
    }
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
