"""What a period load costs in Nmbrs calls, counted by the sandbox over real SOAP.

The budget of the performance issue: at most 2 calls per flexible employee plus a constant per
company, on a first run and on an unchanged re-run (which writes nothing), counted over a real
``airflow dags test`` run: every call the DAG's operators make, none left out. The cheaper
paths for API users without a company-wide read run the provider's own ``sync_company``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from nmbrs_provider.core.config import load_config
from nmbrs_provider.core.contracts import classify_contracts
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.exceptions import NmbrsPermissionError
from nmbrs_provider.hooks.nmbrs import NmbrsHook
from nmbrs_provider.sync.pipeline import LoadSettings, RunIdentity, employees_frame, sync_company
from nmbrs_provider.sync.warehouse import SyncWarehouse
from tests.airflow_fixtures import run_airflow
from tests.nmbrs_provider.conftest import nmbrs_conn_json
from tests.nmbrs_provider.sync.budget_world import (
    CONN_ID,
    DOMAIN,
    PERIOD,
    SQL_DIR,
    TOKEN,
    USERNAME,
    BudgetWorld,
    holds_expected,
)

NOVEMBER = PayrollPeriod.parse(PERIOD)
WRITES = {
    "HourComponentVar_Insert_Batch",
    "HourComponent_Delete",
    "DaysVar_Set_Batch",
    "HourComponentVar_ClearCurrent",
    "HourComponentVar_Clear",
}
#: Calls per company that do not grow with its employees: the current period twice (the task's
#: wait check, then the sync's own), the company list (the ledger records the company number),
#: 5 company-wide reads, the hour model, 3 write-permission probes, one insert and one days
#: batch, and the read-back of a 3-employee sample (6).
PER_COMPANY = 20
PER_COMPANY_EMPLOYEES, COMPANIES = 60, 2


def operations(calls: list[dict]) -> Counter:
    return Counter(c["operation"] for c in calls)


@pytest.fixture
def world() -> BudgetWorld:
    return BudgetWorld.generate(PER_COMPANY_EMPLOYEES, COMPANIES)


def _without(world: BudgetWorld, *names: str) -> dict:
    return world.scenario({"all_except": [f"EmployeeService.{name}" for name in names]})


def test_a_dag_run_and_its_unchanged_rerun_stay_within_the_call_budget(
    world, airflow_env, nmbrs_sandbox_factory, warehouse_db, tmp_path
):
    # An account throttled at 40 calls/s, and a connection pacing at 30/s.
    sandbox = nmbrs_sandbox_factory(world.scenario(), latency_ms=5, throttle_limit=40)
    world.load_warehouse(warehouse_db)
    env = dict(airflow_env)
    env["NMBRS_SYNC_CONFIG"] = str(world.write_config(tmp_path / "sync.yaml"))
    env["NMBRS_SQL_DIR"] = str(SQL_DIR)
    env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = warehouse_db.airflow_conn_json()
    env[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = nmbrs_conn_json(
        sandbox.url, USERNAME, TOKEN, DOMAIN, calls_per_second=30, max_concurrency=8
    )
    flexible = len(world.flexible)
    budget = 2 * flexible + PER_COMPANY * COMPANIES
    dag_test = ("dags", "test", "nmbrs_payroll_sync", "--conf", json.dumps({"period": PERIOD}))

    run_airflow(env, *dag_test)
    first = operations(sandbox.calls())
    seen = len(sandbox.calls())
    assert holds_expected(sandbox, world) == []
    assert sum(first.values()) <= budget, first
    # Per employee only the two reads without a company-wide form (and the read-back sample).
    assert first["HourComponentVar_Get"] <= flexible + 3 * COMPANIES
    assert first["DaysVarWorked_Get"] <= flexible + 3 * COMPANIES
    assert first["DaysFixed_Get"] == first["Schedule_Get"] == first["Salary_Get"] == 0
    # Nothing to delete or clear; inserts and days in one batch per company (plus its probe).
    assert first["HourComponent_Delete"] == COMPANIES  # the permission probes
    assert first["HourComponentVar_ClearCurrent"] == first["HourComponentVar_Clear"] == 0
    assert first["HourComponentVar_Insert_Batch"] == first["DaysVar_Set_Batch"] == 2 * COMPANIES

    run_airflow(env, *dag_test)
    rerun = operations(sandbox.calls()[seen:])
    assert not WRITES & set(rerun), f"an unchanged re-run wrote: {rerun}"
    assert rerun["HourComponentVar_Get"] == rerun["DaysVarWorked_Get"] == flexible
    assert sum(rerun.values()) <= budget, rerun
    assert holds_expected(sandbox, world) == []
    assert not any(c["throttled"] for c in sandbox.calls()), "the client tripped the throttle"


def _sync_directly(
    world: BudgetWorld, sandbox, warehouse_db, monkeypatch, tmp_path: Path, **load
) -> None:
    """Every company through the provider's own ``sync_company``, as the DAG's task runs it."""
    world.load_warehouse(warehouse_db)
    monkeypatch.setenv("AIRFLOW_CONN_KEEPING_WAREHOUSE", warehouse_db.airflow_conn_json())
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{CONN_ID.upper()}", nmbrs_conn_json(sandbox.url, USERNAME, TOKEN, DOMAIN)
    )
    config = load_config(world.write_config(tmp_path / "sync.yaml", **load))
    warehouse = SyncWarehouse(config.warehouse_conn_id, SQL_DIR)
    warehouse.apply_ledger_schema()
    for company_id in world.company_ids:
        sync_company(
            nmbrs=NmbrsHook(CONN_ID),
            warehouse=warehouse,
            config=config,
            company_id=company_id,
            period=NOVEMBER,
            dry_run=False,
            run=RunIdentity(f"budget/{company_id}", "budget", "budget"),
            load=LoadSettings.from_config(config.load),
        )


def test_without_company_wide_schedules_and_personal_info_it_reads_per_employee(
    world, nmbrs_sandbox_factory, warehouse_db, monkeypatch, tmp_path
):
    scenario = _without(
        world, "Schedule_GetAll_AllEmployeesByCompany", "PersonalInfo_GetAll_AllEmployeesByCompany"
    )
    sandbox = nmbrs_sandbox_factory(scenario, throttle_limit=0)

    _sync_directly(world, sandbox, warehouse_db, monkeypatch, tmp_path)

    # The fallback: one schedule read per employee.
    assert operations(sandbox.calls())["Schedule_Get"] == len(world.employees)
    assert holds_expected(sandbox, world) == []


def test_fixed_days_are_read_only_when_the_config_asks(
    world, nmbrs_sandbox_factory, warehouse_db, monkeypatch, tmp_path
):
    sandbox = nmbrs_sandbox_factory(world.scenario(), throttle_limit=0)

    _sync_directly(world, sandbox, warehouse_db, monkeypatch, tmp_path, check_days_fixed=True)

    assert operations(sandbox.calls())["DaysFixed_Get"] == len(world.flexible)
    assert holds_expected(sandbox, world) == []


def test_without_the_company_wide_salary_read_zero_schedules_are_read_per_employee(
    world, nmbrs_sandbox_factory, warehouse_db, monkeypatch, tmp_path
):
    sandbox = nmbrs_sandbox_factory(
        _without(world, "Salary_GetAll_AllEmployeesByCompany"), throttle_limit=0
    )

    _sync_directly(world, sandbox, warehouse_db, monkeypatch, tmp_path)

    # The world's zero schedules are its flexible employees; fixed schedules need no salary.
    assert operations(sandbox.calls())["Salary_Get"] == len(world.flexible)
    assert holds_expected(sandbox, world) == []


def test_the_per_employee_salary_still_keeps_a_salaried_zero_schedule_out(
    world, nmbrs_sandbox_factory, nmbrs_connection
):
    # A zero-schedule employee on a monthly salary: only the salary tells he is not paid by
    # the hour, and sending his hours would pay him twice.
    scenario = _without(world, "Salary_GetAll_AllEmployeesByCompany")
    company = scenario["companies"][0]
    flexible = {e.id for e in world.flexible if e.company_id == company["id"]}
    salaried = next(e for e in company["employees"] if e["id"] in flexible)
    salaried["salaries"] = [
        {"value": 3100, "type": "Bruto_Salaris_Fulltime", "start_date": "2024-01-01"}
    ]
    sandbox = nmbrs_sandbox_factory(scenario, throttle_limit=0)
    conn_id = nmbrs_connection(CONN_ID, sandbox.url, USERNAME, TOKEN, DOMAIN)

    facts = NmbrsHook(conn_id).read_company(company["id"], NOVEMBER)
    employees = classify_contracts(employees_frame(facts.employees))

    row = employees.set_index("employee_id").loc[salaried["id"]]
    assert row["contract"] == "disputed"
    assert "Bruto_Salaris_Fulltime" in row["contract_reason"]
    classified = set(employees.loc[employees["contract"].eq("flexible"), "employee_id"])
    assert classified == flexible - {salaried["id"]}


def test_without_any_salary_read_the_company_fails_naming_both_operations(
    world, nmbrs_sandbox_factory, warehouse_db, monkeypatch, tmp_path
):
    scenario = _without(world, "Salary_GetAll_AllEmployeesByCompany", "Salary_Get")
    sandbox = nmbrs_sandbox_factory(scenario, throttle_limit=0)

    with pytest.raises(NmbrsPermissionError) as raised:
        _sync_directly(world, sandbox, warehouse_db, monkeypatch, tmp_path)

    message = str(raised.value)
    assert f"API user {USERNAME!r} may call neither" in message
    assert "Salary_GetAll_AllEmployeesByCompany" in message and "Salary_Get " in message
    assert TOKEN not in message
    assert not WRITES & set(operations(sandbox.calls()))
