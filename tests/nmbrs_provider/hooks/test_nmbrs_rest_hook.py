"""NmbrsRestHook as the sync's backend, against the sandbox's REST API over HTTP."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest

from nmbrs_provider.backend import NmbrsBackend
from nmbrs_provider.core.holdings import ChangeSet, CodeChange, EmployeeChange, Holding
from nmbrs_provider.core.periods import PayrollPeriod, PeriodType
from nmbrs_provider.exceptions import NmbrsPermissionError, NmbrsTransientError
from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook
from nmbrs_sandbox.rest.ids import company_uuid, employee_uuid
from tests.nmbrs_provider.rest.conftest import authorize_in_process, rest_conn_json

ACME = 54613
PERIOD = PayrollPeriod(2026, 11, PeriodType.MONTH)
ANNA, BRAM, DAAN = 500001, 500002, 500004


def rest_calls(sandbox, operation: str | None = None) -> list[dict]:
    return [
        c
        for c in sandbox.calls()
        if c["service"] == "REST" and (operation is None or c["operation"] == operation)
    ]


def plan(holdings: dict, targets: dict[int, dict[int, Decimal]]) -> ChangeSet:
    """What the planner asks for: per employee and owned code the target hours."""
    employees = []
    for soap_id, codes in targets.items():
        held: Holding = holdings[employee_uuid(soap_id)]
        changes = tuple(
            CodeChange(code, held.of_code(code), hours, "sync")
            for code, hours in codes.items()
            if not (len(held.of_code(code)) == 1 and held.total(code) == hours)
            and not (hours == 0 and not held.of_code(code))
        )
        if changes:
            employees.append(EmployeeChange(employee_uuid(soap_id), changes))
    return ChangeSet(company_uuid(ACME), PERIOD, tuple(employees))


def sync_once(hook: NmbrsRestHook, targets: dict[int, dict[int, Decimal]]):
    ids = [employee_uuid(e) for e in targets]
    changes = plan(hook.read_holdings(ids, PERIOD), targets)
    hook.check_write_access(changes)
    return hook.apply(changes)


def held_hours(sandbox, soap_id: int, code: int) -> list[float]:
    return sorted(
        float(c["Hours"])
        for c in sandbox.hour_components(soap_id, 2026, 11)
        if c["HourCode"] == code
    )


def test_rest_hook_is_a_backend(authorized):
    assert isinstance(NmbrsRestHook(authorized), NmbrsBackend)


def test_reads_every_page_and_miss_nobody(authorized, nmbrs_sandbox):
    hook = NmbrsRestHook(authorized, page_size=1)
    companies = hook.list_companies()
    assert {(c.id, c.number) for c in companies} >= {(company_uuid(ACME), 1)}
    assert hook.get_current_period(company_uuid(ACME)) == PERIOD
    facts = hook.read_company(company_uuid(ACME), PERIOD)
    by_number = {e.number: e for e in facts.employees}
    assert sorted(by_number) == ["101", "102", "103", "104"]
    assert by_number["101"].name == "Anna de Vries"
    assert by_number["101"].salary_type == "Bruto_Uurloon"
    assert by_number["101"].schedule_hours == 0
    assert by_number["103"].salary_type == "Bruto_Salaris_Fulltime"
    assert by_number["103"].schedule_hours > 0
    assert facts.hour_codes == frozenset({2100, 2200, 3100, 4100})
    # four employees at one per page: four pages of each company-wide list
    assert len(rest_calls(nmbrs_sandbox, "getEmployeesByCompany")) == 4
    assert len(rest_calls(nmbrs_sandbox, "getSalariesByCompany")) == 4
    holdings = hook.read_holdings([employee_uuid(DAAN)], PERIOD)
    (daan,) = holdings.values()
    assert [(c.hour_code, c.hours) for c in daan.components] == [(3100, Decimal("8"))]
    assert hook.call_stats.calls[("REST", "getEmployeesByCompany")] == 4


def test_replacement_is_one_put_and_a_rerun_writes_nothing(authorized, nmbrs_sandbox):
    hook = NmbrsRestHook(authorized)
    first = sync_once(hook, {ANNA: {2100: Decimal("10")}, BRAM: {2100: Decimal("4.5")}})
    assert (first.added, first.updated, first.removed) == (2, 0, 0)
    assert held_hours(nmbrs_sandbox, ANNA, 2100) == [10.0]
    before = len(rest_calls(nmbrs_sandbox))
    second = sync_once(hook, {ANNA: {2100: Decimal("12.25")}, BRAM: {2100: Decimal("4.5")}})
    assert (second.added, second.updated, second.removed) == (0, 1, 0)
    writes = [c for c in rest_calls(nmbrs_sandbox)[before:] if c["method"] != "GET"]
    assert [(w["operation"], w["employee_ids"]) for w in writes] == [
        ("updateEmployeeVariableHours", [ANNA])
    ]
    assert held_hours(nmbrs_sandbox, ANNA, 2100) == [12.25]
    before = len(rest_calls(nmbrs_sandbox))
    third = sync_once(hook, {ANNA: {2100: Decimal("12.25")}, BRAM: {2100: Decimal("4.5")}})
    assert third == type(third)()
    assert [c for c in rest_calls(nmbrs_sandbox)[before:] if c["method"] != "GET"] == []


def test_two_held_become_one_put_and_one_delete_and_zero_deletes_all(authorized, nmbrs_sandbox):
    hook = NmbrsRestHook(authorized)
    anna = employee_uuid(ANNA)
    for hours in ("3", "4"):  # two components of one code, as a hand entry and a sync's
        hook.calls.call(
            "createVariableHourComponent",
            "POST",
            f"/api/employees/{anna}/variablehours",
            json={"hourCode": 2100, "hours": float(hours)},
            retry_lost=False,
        )
    counts = sync_once(hook, {ANNA: {2100: Decimal("9")}})
    assert (counts.added, counts.updated, counts.removed) == (0, 1, 1)
    assert held_hours(nmbrs_sandbox, ANNA, 2100) == [9.0]
    counts = sync_once(hook, {ANNA: {2100: Decimal("0")}})
    assert (counts.added, counts.updated, counts.removed) == (0, 0, 1)
    assert held_hours(nmbrs_sandbox, ANNA, 2100) == []


def test_lost_post_answer_is_not_sent_twice(authorized, nmbrs_sandbox):
    nmbrs_sandbox.inject(
        "createVariableHourComponent", kind="http_503_after_apply", times=1, employee_ids=[ANNA]
    )
    hook = NmbrsRestHook(authorized, backoff_seconds=0.01)
    sync_once(hook, {ANNA: {2100: Decimal("7.5")}})
    creates = rest_calls(nmbrs_sandbox, "createVariableHourComponent")
    assert [(c["injected"], c["http_status"]) for c in creates] == [("http_503_after_apply", 503)]
    assert held_hours(nmbrs_sandbox, ANNA, 2100) == [7.5]
    # the read-back happened between the lost answer and the end
    after = rest_calls(nmbrs_sandbox)[rest_calls(nmbrs_sandbox).index(creates[0]) + 1 :]
    assert [c["operation"] for c in after] == ["getVariableHourComponentsByEmployee"]


def test_lost_post_answer_before_apply_is_sent_once_more(authorized, nmbrs_sandbox):
    nmbrs_sandbox.inject(
        "createVariableHourComponent", kind="http_503", times=1, employee_ids=[ANNA]
    )
    hook = NmbrsRestHook(authorized, backoff_seconds=0.01)
    sync_once(hook, {ANNA: {2100: Decimal("7.5")}})
    assert len(rest_calls(nmbrs_sandbox, "createVariableHourComponent")) == 2
    assert held_hours(nmbrs_sandbox, ANNA, 2100) == [7.5]


def test_429_retry_after_is_honoured(authorized, nmbrs_sandbox):
    hook = NmbrsRestHook(authorized)
    hook.list_companies()  # token fetched, counters warm
    nmbrs_sandbox.set_knobs(rest_throttle_limit=1, rest_throttle_window_s=1.0, rest_retry_after_s=1)
    started = time.monotonic()
    hook.list_companies()
    hook.list_companies()
    elapsed = time.monotonic() - started
    nmbrs_sandbox.set_knobs(rest_throttle_limit=0)
    throttled = [c for c in rest_calls(nmbrs_sandbox, "getCompanies") if c["http_status"] == 429]
    assert throttled, "the throttle never answered 429"
    assert hook.calls.throttled == len(throttled)
    assert elapsed >= 0.9 * len(throttled)  # waited Retry-After before each retry
    assert hook.call_stats.retries[("REST", "getCompanies")] == len(throttled)


def _throttled_calls(sandbox) -> int:
    return len([c for c in rest_calls(sandbox, "getCompanies") if c["http_status"] == 429])


def test_a_long_throttle_is_waited_out_not_counted_as_failed_tries(authorized, nmbrs_sandbox):
    """Another tool on the same API user keeps Nmbrs answering 429 for longer than a failing
    call's 5 tries: the read waits it out (each Retry-After honoured) and then succeeds."""
    hook = NmbrsRestHook(authorized)
    hook.list_companies()
    # every call, the 429s included, counts in a 2 s window that allows 1: throttled until lifted
    nmbrs_sandbox.set_knobs(rest_throttle_limit=1, rest_throttle_window_s=2.0, rest_retry_after_s=1)
    result: dict[str, object] = {}
    reader = threading.Thread(target=lambda: result.update(companies=hook.list_companies()))
    reader.start()
    deadline = time.monotonic() + 120
    while _throttled_calls(nmbrs_sandbox) < hook.calls.attempts + 2:
        assert reader.is_alive(), f"the read gave up after {_throttled_calls(nmbrs_sandbox)} 429s"
        assert time.monotonic() < deadline, "the throttle never answered 429"
        time.sleep(0.2)
    nmbrs_sandbox.set_knobs(rest_throttle_limit=0)
    reader.join(timeout=60)
    assert not reader.is_alive()
    assert result["companies"], "the throttled read did not return the companies"
    assert hook.calls.throttled == _throttled_calls(nmbrs_sandbox) > hook.calls.attempts


def test_a_throttle_past_the_wait_budget_fails_clearly_as_transient(authorized, nmbrs_sandbox):
    hook = NmbrsRestHook(authorized, throttle_wait_seconds=2)
    hook.list_companies()
    nmbrs_sandbox.set_knobs(rest_throttle_limit=1, rest_throttle_window_s=5.0, rest_retry_after_s=1)
    try:
        with pytest.raises(NmbrsTransientError, match=r"429.*still throttled after waiting 2 s"):
            hook.list_companies()
    finally:
        nmbrs_sandbox.set_knobs(rest_throttle_limit=0)
    assert _throttled_calls(nmbrs_sandbox) == 3  # the first answer and the two waited for


def test_missing_write_scope_fails_before_any_write(rest_conn, nmbrs_sandbox, monkeypatch):
    read_only = "company.info.read employee.info.read employee.employment.read offline_access"
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{rest_conn.upper()}",
        rest_conn_json(nmbrs_sandbox.url, scopes=read_only + " employee.payment.read"),
    )
    authorize_in_process(rest_conn, nmbrs_sandbox)
    hook = NmbrsRestHook(rest_conn)
    ids = [employee_uuid(ANNA)]
    changes = plan(hook.read_holdings(ids, PERIOD), {ANNA: {2100: Decimal("5")}})
    with pytest.raises(NmbrsPermissionError, match=r"employee\.payment.*Nothing was written"):
        hook.check_write_access(changes)
    assert [c for c in rest_calls(nmbrs_sandbox) if c["method"] != "GET"] == []
    report = hook.permission_report()
    assert not report.ok and report.missing == ("employee.payment",)
