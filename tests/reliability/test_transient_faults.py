"""Under transient faults (5xx, lost answers, resets, timeouts, 429) a period run still ends in
exactly the state of a fault-free run: nothing doubled, nothing lost. On SOAP and on REST
(every company on an ``nmbrs_rest`` connection), one test body each."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import run_airflow
from tests.reliability.apis import API_IDS, APIS, REST, Api, rest_calls

EMPLOYEES = (500001, 500002, 500003, 500004, 600001, 600002, 600003)
NOVEMBER = json.dumps({"period": "2026-11-M"})
# One worked entry of Anna (71001) in November gets an hour more: the next run changes her
# component of the sync's code (SOAP deletes it and inserts anew, REST PUTs the new hours).
CHANGE_AN_HOUR = """
update keeping.time_entries set hours = hours + 1
where id = (
    select min(id) from keeping.time_entries
    where user_id = 71001 and purpose = 'work' and hours is not null
      and date between '2026-11-01' and '2026-11-30'
)
"""
# Every hour Bram (71002) worked in November is deleted: the next run deletes his component.
DROP_BRAMS_HOURS = """
delete from keeping.time_entries
where user_id = 71002 and purpose = 'work' and date between '2026-11-01' and '2026-11-30'
"""
#: The REST storm's throttle: past 8 calls a second, 429 with ``Retry-After: 1``.
REST_THROTTLE = {"rest_throttle_limit": 8, "rest_throttle_window_s": 1.0, "rest_retry_after_s": 1}


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


def run_period(env: dict[str, str]) -> None:
    run_airflow(env, "dags", "test", "nmbrs_payroll_sync", "--conf", NOVEMBER)


def _connect(api: Api, airflow_env, sandbox, warehouse_db, tmp_path: Path) -> dict[str, str]:
    """Every company on ``sandbox`` through ``api``; the client gives up on an answer after 1 s."""
    return api.connect(airflow_env, sandbox, warehouse_db, tmp_path, timeout=1)


def _at(call: dict[str, Any]) -> float:
    return datetime.fromisoformat(call["time"]).timestamp()


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
def test_a_run_under_faults_converges_to_the_fault_free_state(
    api, airflow_env, nmbrs_sandbox_factory, warehouse_db, tmp_path
):
    seed_demo(warehouse_db)
    calm = nmbrs_sandbox_factory()
    run_period(_connect(api, airflow_env, calm, warehouse_db, tmp_path))

    stormy = nmbrs_sandbox_factory(
        fault_rate=0.25, fault_seed=20261124, timeout_seconds=2.0, throttle_limit=0,
        **(REST_THROTTLE if api is REST else {}),
    )  # fmt: skip
    run_period(_connect(api, airflow_env, stormy, warehouse_db, tmp_path))

    calls = stormy.calls()
    faults = [c for c in calls if c.get("injected")]
    kinds = {c["injected"] for c in faults}
    assert len(faults) >= 10, "the storm must really have hit the run"
    assert {"http_503_after_apply", "http_503", "fault_1006"} <= kinds
    assert {c["operation"] for c in faults} & api.writes, "the storm hit writes too"
    assert held(stormy) == held(calm)
    assert held(calm)[500001][0] != [], "the fault-free run sent hours"
    if api is REST:
        assert [c for c in calls if c["service"] != "REST"] == [], "no token call: no refresh"
        throttled = [c for c in calls if c["throttled"]]
        assert len(throttled) >= 3 and {c["http_status"] for c in throttled} == {429}
        for call in throttled:  # the same call again, no sooner than Retry-After asked
            (again, *_) = [
                c for c in calls
                if _at(c) > _at(call) and (c["method"], c["path"]) == (call["method"], call["path"])
            ]  # fmt: skip
            assert _at(again) - _at(call) >= REST_THROTTLE["rest_retry_after_s"] - 0.002, again


HORECA_FLEXIBLE = (500001, 500002, 500004)  # Anna, Bram, Daan: 54613's flexible employees
EVENTS_FLEXIBLE = (600001, 600003)  # Eva, Gijs: 54614's
ANNA, BRAM, DAAN = 500001, 500002, 500004
#: What a retried delete of a component that is gone gets: SOAP fault 9999, REST 404 40401.
GONE = {"soap": 9999, "rest": 40401}


def _lost_answers(calls: list[dict], operation: str) -> list[dict]:
    """Calls of ``operation`` that were applied and whose answer was then lost."""
    return [
        c
        for c in calls
        if c["operation"] == operation and (c["injected"] or "").endswith("_after_apply")
    ]


def _assert_real_and_applied(api: Api, call: dict, employees: tuple[int, ...]) -> None:
    """The lost answer belonged to a real write of ``api`` (not a read, an identity call or a
    permission probe for employee 0) that Nmbrs applied: no fault before the handler ran
    (REST's lost answer is the 503 50301 that replaced the handler's)."""
    assert call["operation"] in api.writes, call
    assert call["service"] != "identity" and (api is not REST or call["service"] == "REST"), call
    assert call["employee_ids"], call
    assert set(call["employee_ids"]) <= set(employees), call
    assert call["fault_code"] in ((None, 50301) if api is REST else (None,)), call
    assert not call["throttled"], call


def _after(calls: list[dict], call: dict) -> list[dict]:
    """The calls after ``call`` naming one of its employees."""
    named = set(call["employee_ids"])
    return [c for c in calls[calls.index(call) + 1 :] if named & set(c["employee_ids"])]


def _never_resent(api: Api, calls: list[dict], lost: dict) -> None:
    """Nothing of the lost (but applied) insert went out again: a read-back naming its
    employees came after it and showed it applied (on REST the employee's very next call)."""
    after = calls[calls.index(lost) + 1 :]
    named = set(lost["employee_ids"])
    if api.per_employee:
        assert _after(calls, lost)[0]["operation"] == api.read, _after(calls, lost)[:2]
    again = [
        c for c in after if c["operation"] == lost["operation"] and named & set(c["employee_ids"])
    ]
    assert again == [], f"the lost insert was sent again: {again}"


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
def test_lost_answers_to_writes_never_double_an_hour(
    api, airflow_env, nmbrs_sandbox_factory, warehouse_db, tmp_path
):
    """Inserts, days, updates and deletes applied by Nmbrs whose answer never came back: the
    retry reads back first (inserts) or finds the work done (the others); nothing doubles."""
    seed_demo(warehouse_db)
    calm = nmbrs_sandbox_factory()
    calm_env = _connect(api, airflow_env, calm, warehouse_db, tmp_path)
    run_period(calm_env)
    first_calm = held(calm)

    lossy = nmbrs_sandbox_factory(timeout_seconds=2.0)
    lossy_env = _connect(api, airflow_env, lossy, warehouse_db, tmp_path)
    lossy.inject(api.insert, "http_503_after_apply", employee_ids=(ANNA, BRAM))
    lossy.inject(api.insert, "timeout_after_apply", employee_ids=EVENTS_FLEXIBLE)
    lossy.inject(api.days, "timeout_after_apply", employee_ids=EMPLOYEES)
    if api.per_employee:  # Daan's POST is reset before Nmbrs applies it
        lossy.inject(api.insert, "reset", employee_ids=[DAAN])
    run_period(lossy_env)

    calls = lossy.calls()
    assert {c["operation"] for c in calls if c["injected"]} == {api.insert, api.days}
    if api.per_employee:  # resent only after the read-back showed it missing
        (reset,) = [c for c in calls if c["injected"] == "reset"]
        assert reset["employee_ids"] == [DAAN] and reset["http_status"] is None
        then = [(c["operation"], c["http_status"]) for c in _after(calls, reset)[:2]]
        assert then == [(api.read, 200), (api.insert, 201)], then
    lost_inserts = _lost_answers(calls, api.insert)
    assert sorted(c["injected"] for c in lost_inserts) == [
        "http_503_after_apply",
        "timeout_after_apply",
    ]
    for call in lost_inserts:
        _assert_real_and_applied(api, call, EMPLOYEES)
        _never_resent(api, calls, call)
    named = [set(c["employee_ids"]) for c in lost_inserts]
    if api.per_employee:  # one employee's component per call
        assert sorted(map(len, named)) == [1, 1] and all(
            n <= {ANNA, BRAM} or n <= set(EVENTS_FLEXIBLE) for n in named
        ), lost_inserts
    else:
        assert set().union(*named) == {*HORECA_FLEXIBLE, *EVENTS_FLEXIBLE}, (
            "each lost insert carried a whole company's hours"
        )
    (lost_days,) = _lost_answers(calls, api.days)
    _assert_real_and_applied(api, lost_days, EMPLOYEES)
    assert held(lossy) == first_calm
    assert first_calm[ANNA][0] != [], "the fault-free run sent hours"

    # Keeping changes an hour of Anna's and drops Bram's: the next run changes her component
    # (SOAP: delete and insert, REST: PUT) and deletes his.
    assert warehouse_db.execute(CHANGE_AN_HOUR) == 1
    assert warehouse_db.execute(DROP_BRAMS_HOURS) >= 1
    run_period(calm_env)
    (replaced,) = [c["Id"] for c in lossy.hour_components(BRAM, 2026, 11) if c["HourCode"] == 2100]
    before = len(lossy.calls())
    changed = {ANNA: api.update or api.delete, BRAM: api.delete}
    for employee, operation in changed.items():
        lossy.inject(operation, "http_503_after_apply", employee_ids=[employee])
    run_period(lossy_env)

    calls = lossy.calls()[before:]
    for employee, operation in changed.items():
        (lost,) = [c for c in _lost_answers(calls, operation) if c["employee_ids"] == [employee]]
        _assert_real_and_applied(api, lost, (employee,))
        retries = [
            c for c in calls[calls.index(lost) + 1 :]
            if c["operation"] == operation and c["employee_ids"] == [employee]
        ]  # fmt: skip
        if operation == api.delete:  # the retry found the component gone
            assert [c["fault_code"] for c in retries] == [GONE[api.name]], retries
        else:  # a PUT sets the hours: sent again, it sets the same
            assert [(c["fault_code"], c["http_status"]) for c in retries] == [(None, 200)]
    assert replaced not in {c["Id"] for c in lossy.hour_components(BRAM, 2026, 11)}
    assert held(lossy) == held(calm)
    assert held(calm) != first_calm, "the change reached Nmbrs"
    assert held(calm)[BRAM][0] == [] and held(calm)[ANNA] != first_calm[ANNA]
    if api is REST:  # every injected fault hit the REST write meant, none a read or token call
        assert all(c["service"] == "REST" for c in lossy.calls() if c["injected"])
        assert rest_calls(lossy.calls()) == lossy.calls(), "no token call: no refresh"
