"""Under transient faults (503s, lost answers, resets, timeouts, 1006) a period run still ends
in exactly the state of a fault-free run: nothing doubled, nothing lost."""

from __future__ import annotations

import json

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json

EMPLOYEES = (500001, 500002, 500003, 500004, 600001, 600002, 600003)
NOVEMBER = json.dumps({"period": "2026-11-M"})
# One worked entry of Anna (71001) in November gets an hour more: the next run deletes her
# component of the sync's code and inserts the new one.
CHANGE_AN_HOUR = """
update keeping.time_entries set hours = hours + 1
where id = (
    select min(id) from keeping.time_entries
    where user_id = 71001 and purpose = 'work' and hours is not null
      and date between '2026-11-01' and '2026-11-30'
)
"""


def held(sandbox) -> dict[int, tuple]:
    """What Nmbrs holds per employee in 2026-11: (code, hours) pairs and days (ids ignored)."""
    return {
        e: (
            sorted(
                (c["HourCode"], float(c["Hours"])) for c in sandbox.hour_components(e, 2026, 11)
            ),
            sandbox.days_var(e, 2026, 11),
        )
        for e in EMPLOYEES
    }


def run_period(airflow_env, sandbox, warehouse_db) -> None:
    env = dict(airflow_env)
    env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(sandbox.url, *DEMO_USER, timeout=1)
    env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = warehouse_db.airflow_conn_json()
    run_airflow(env, "dags", "test", "nmbrs_payroll_sync", "--conf", NOVEMBER)


def test_a_run_under_faults_converges_to_the_fault_free_state(
    airflow_env, nmbrs_sandbox_factory, warehouse_db
):
    seed_demo(warehouse_db)
    calm = nmbrs_sandbox_factory()
    run_period(airflow_env, calm, warehouse_db)

    stormy = nmbrs_sandbox_factory(
        fault_rate=0.25, fault_seed=20261124, timeout_seconds=2.0, throttle_limit=0
    )
    run_period(airflow_env, stormy, warehouse_db)

    faults = [c for c in stormy.calls() if c.get("injected")]
    kinds = {c["injected"] for c in faults}
    assert len(faults) >= 10, "the storm must really have hit the run"
    assert {"http_503_after_apply", "http_503", "fault_1006"} <= kinds
    assert held(stormy) == held(calm)
    assert held(calm)[500001][0] != [], "the fault-free run sent hours"


HORECA_FLEXIBLE = (500001, 500002, 500004)  # Anna, Bram, Daan: one insert of 54613's hours
EVENTS_FLEXIBLE = (600001, 600003)  # Eva, Gijs: one insert of 54614's hours
ANNA = 500001


def _lost_answers(sandbox, operation: str) -> list[dict]:
    """Calls of ``operation`` that were applied and whose answer was then lost."""
    return [
        c
        for c in sandbox.calls()
        if c["operation"] == operation and (c["injected"] or "").endswith("_after_apply")
    ]


def _assert_real_and_applied(call: dict, employees: tuple[int, ...]) -> None:
    """The lost answer belonged to a real write (not a permission probe for employee 0) that
    Nmbrs applied (no fault: the handler ran, then the answer was dropped)."""
    assert call["employee_ids"], call
    assert set(call["employee_ids"]) <= set(employees), call
    assert call["fault_code"] is None and call["fault"] is None, call


def test_lost_answers_to_writes_never_double_an_hour(
    airflow_env, nmbrs_sandbox_factory, warehouse_db
):
    """Inserts, days and deletes applied by Nmbrs whose answer never came back: the retry
    reads back first (inserts) or finds the work done (deletes), and nothing doubles."""
    seed_demo(warehouse_db)
    calm = nmbrs_sandbox_factory()
    run_period(airflow_env, calm, warehouse_db)
    first_calm = held(calm)

    lossy = nmbrs_sandbox_factory(timeout_seconds=2.0)
    insert, days = "HourComponentVar_Insert_Batch", "DaysVar_Set_Batch"
    lossy.inject(insert, "http_503_after_apply", employee_ids=HORECA_FLEXIBLE)
    lossy.inject(insert, "timeout_after_apply", employee_ids=EVENTS_FLEXIBLE)
    lossy.inject(days, "timeout_after_apply", employee_ids=EMPLOYEES)
    run_period(airflow_env, lossy, warehouse_db)

    lost_inserts = _lost_answers(lossy, insert)
    assert sorted(c["injected"] for c in lost_inserts) == [
        "http_503_after_apply",
        "timeout_after_apply",
    ]
    for call in lost_inserts:
        _assert_real_and_applied(call, EMPLOYEES)
    assert {e for c in lost_inserts for e in c["employee_ids"]} == {
        *HORECA_FLEXIBLE,
        *EVENTS_FLEXIBLE,
    }, "each lost insert carried a whole company's hours"
    (lost_days,) = _lost_answers(lossy, days)
    _assert_real_and_applied(lost_days, EMPLOYEES)
    assert held(lossy) == first_calm
    assert first_calm[ANNA][0] != [], "the fault-free run sent hours"

    # Keeping changes an hour of Anna's: the next run deletes her component and inserts anew.
    assert warehouse_db.execute(CHANGE_AN_HOUR) == 1
    run_period(airflow_env, calm, warehouse_db)
    delete = "HourComponent_Delete"
    (replaced,) = [c["Id"] for c in lossy.hour_components(ANNA, 2026, 11) if c["HourCode"] == 2100]
    before = len(lossy.calls())
    lossy.inject(delete, "http_503_after_apply", employee_ids=[ANNA])
    run_period(airflow_env, lossy, warehouse_db)

    (lost_delete,) = _lost_answers(lossy, delete)
    _assert_real_and_applied(lost_delete, (ANNA,))
    retries = [
        c for c in lossy.calls()[before:]
        if c["operation"] == delete and c["employee_ids"] == [ANNA] and not c["injected"]
    ]  # fmt: skip
    assert [c["fault_code"] for c in retries] == [9999], "the retry found the component gone"
    assert replaced not in {c["Id"] for c in lossy.hour_components(ANNA, 2026, 11)}
    assert held(lossy) == held(calm)
    assert held(calm) != first_calm, "the change reached Nmbrs"
