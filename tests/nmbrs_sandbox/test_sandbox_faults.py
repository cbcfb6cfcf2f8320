"""Injected and random transient faults, latency, and the run-time control endpoints."""

from __future__ import annotations

import time

import pytest
import requests
import zeep

from nmbrs_sandbox import Sandbox
from tests.nmbrs_sandbox.sandbox_api import Api, fault_code, hours

ANNA = 500001
BRAM = 500002
DAAN = 500004  # holds a hand-entered 3100 component in 2026-11
INSERT = "HourComponentVar_Insert_Batch"
HELD_S, CLIENT_TIMEOUT_S = 120.0, 5.0


def _applied(sandbox: Sandbox) -> int:
    return len(sandbox.hour_components(ANNA, 2026, 11))


@pytest.mark.parametrize(
    ("kind", "error", "applied"),
    [
        ("http_503", zeep.exceptions.TransportError, 0),
        ("http_503_after_apply", zeep.exceptions.TransportError, 1),
        ("reset", requests.exceptions.ConnectionError, 0),
        ("timeout", requests.exceptions.Timeout, 0),
        ("timeout_after_apply", requests.exceptions.Timeout, 1),
    ],
)
def test_injected_transport_faults(
    nmbrs_sandbox_factory, kind: str, error: type[Exception], applied: int
) -> None:
    # The sandbox holds a timeout call far longer than the client waits for it, and the client
    # waits far longer than any answered call takes (stop() ends what is still held).
    sandbox = nmbrs_sandbox_factory(timeout_seconds=HELD_S)
    faulted = Api(sandbox.url, timeout=CLIENT_TIMEOUT_S if kind.startswith("timeout") else None)
    sandbox.inject(INSERT, kind)

    with pytest.raises(error):
        faulted.insert_hours([hours(ANNA)])

    assert _applied(sandbox) == applied
    assert sandbox.calls()[-1]["injected"] == kind
    Api(sandbox.url).insert_hours([hours(ANNA)])
    assert _applied(sandbox) == applied + 1


def test_injected_login_security_failure(nmbrs_sandbox: Sandbox, api: Api) -> None:
    nmbrs_sandbox.inject(kind="fault_1006")

    with pytest.raises(zeep.exceptions.Fault, match="1006: Login security failure"):
        api.insert_hours([hours(ANNA)])
    assert _applied(nmbrs_sandbox) == 0
    call = nmbrs_sandbox.calls()[-1]
    assert (call["fault_code"], call["http_status"], call["injected"]) == (1006, 500, "fault_1006")


def test_injection_targets_one_operation_for_n_calls(nmbrs_sandbox: Sandbox, api: Api) -> None:
    nmbrs_sandbox.inject(INSERT, "fault_1006", times=2)

    assert api.employee("HourComponentVar_GetCurrent", EmployeeId=ANNA) is None
    assert fault_code(lambda: api.insert_hours([hours(ANNA)])) == 1006
    assert fault_code(lambda: api.insert_hours([hours(ANNA)])) == 1006
    api.insert_hours([hours(ANNA)])
    assert _applied(nmbrs_sandbox) == 1


def test_an_injection_for_employees_skips_probes_and_other_employees(
    nmbrs_sandbox: Sandbox, api: Api
) -> None:
    nmbrs_sandbox.inject(INSERT, "fault_1006", employee_ids=[BRAM], skip=1)

    assert fault_code(lambda: api.insert_hours([hours(0)])) == 2003  # a permission probe
    api.insert_hours([hours(ANNA)])  # another employee
    api.insert_hours([hours(ANNA), hours(BRAM)])  # names Bram: matches, let through (skip=1)
    assert fault_code(lambda: api.insert_hours([hours(BRAM)])) == 1006
    api.insert_hours([hours(BRAM)])  # the injection is used up

    calls = nmbrs_sandbox.calls()
    assert [(c["employee_ids"], c["injected"]) for c in calls] == [
        ([0], None),
        ([ANNA], None),
        ([ANNA, BRAM], None),
        ([BRAM], "fault_1006"),
        ([BRAM], None),
    ]
    assert len(nmbrs_sandbox.hour_components(BRAM, 2026, 11)) == 2


def test_an_injection_for_employees_matches_a_single_employee_argument(
    nmbrs_sandbox_factory,
) -> None:
    sandbox = nmbrs_sandbox_factory(timeout_seconds=1.0)
    api = Api(sandbox.url, timeout=0.3)
    (holiday,) = sandbox.hour_components(DAAN, 2026, 11)
    sandbox.inject("HourComponent_Delete", "http_503_after_apply", employee_ids=[DAAN])

    assert fault_code(lambda: _delete(api, 0, 0)) == 2003  # the probe is not hit
    with pytest.raises(zeep.exceptions.TransportError):
        _delete(api, DAAN, holiday["Id"])

    assert sandbox.hour_components(DAAN, 2026, 11) == []  # applied, the answer lost
    assert [c["injected"] for c in sandbox.calls()] == [None, "http_503_after_apply"]


def test_an_injection_for_employees_over_http(nmbrs_sandbox: Sandbox, api: Api) -> None:
    url = f"{nmbrs_sandbox.url}/_sandbox/inject"
    payload = {"operation": INSERT, "kind": "fault_1006", "employee_ids": [BRAM]}
    assert requests.post(url, json=payload, timeout=5).status_code == 200

    api.insert_hours([hours(ANNA)])
    assert fault_code(lambda: api.insert_hours([hours(BRAM)])) == 1006
    for bad in ([], "500002", [True], ["500002"]):
        answer = requests.post(url, json={**payload, "employee_ids": bad}, timeout=5)
        assert answer.status_code == 400, bad


def _delete(api: Api, employee_id: int, component_id: int) -> object:
    return api.employee(
        "HourComponent_Delete", EmployeeId=employee_id, HourComponentID=component_id
    )


def _random_kinds(sandbox: Sandbox, calls: int) -> list[str | None]:
    api = Api(sandbox.url)
    for _ in range(calls):
        try:
            api.company("List_GetAll")
        except (zeep.exceptions.Error, requests.exceptions.RequestException):
            continue
    return [call["injected"] for call in sandbox.calls()]


def test_random_faults_are_reproducible_with_a_seed(nmbrs_sandbox_factory) -> None:
    knobs = {"fault_rate": 0.5, "fault_seed": 42, "fault_kinds": ["http_503", "fault_1006"]}

    first = _random_kinds(nmbrs_sandbox_factory(**knobs), 20)
    second = _random_kinds(nmbrs_sandbox_factory(**knobs), 20)

    assert first == second
    assert set(first) == {None, "http_503", "fault_1006"}


def test_knobs_can_be_changed_over_http(nmbrs_sandbox: Sandbox, api: Api) -> None:
    url = f"{nmbrs_sandbox.url}/_sandbox/knobs"

    answer = requests.post(url, json={"latency_ms": 200}, timeout=5)
    started = time.monotonic()
    api.company("List_GetAll")

    assert answer.json()["latency_ms"] == 200
    assert time.monotonic() - started >= 0.2
    assert requests.get(url, timeout=5).json()["latency_ms"] == 200
    assert requests.post(url, json={"no_such_knob": 1}, timeout=5).status_code == 400
    assert requests.post(url, json={"fault_rate": 2}, timeout=5).status_code == 400


def test_faults_can_be_injected_over_http(nmbrs_sandbox: Sandbox, api: Api) -> None:
    answer = requests.post(
        f"{nmbrs_sandbox.url}/_sandbox/inject",
        json={"operation": INSERT, "kind": "fault_1006"},
        timeout=5,
    )

    assert answer.status_code == 200
    assert fault_code(lambda: api.insert_hours([hours(ANNA)])) == 1006
    bad = {"kind": "meteor_strike"}
    assert (
        requests.post(f"{nmbrs_sandbox.url}/_sandbox/inject", json=bad, timeout=5).status_code
        == 400
    )


def test_reset_over_http_restores_the_scenario(nmbrs_sandbox: Sandbox, api: Api) -> None:
    api.insert_hours([hours(ANNA)])
    api.employee("HourComponentVar_ClearCurrent", EmployeeId=500004)
    nmbrs_sandbox.set_current_period(54613, 2026, 12)

    assert requests.post(f"{nmbrs_sandbox.url}/_sandbox/reset", timeout=5).status_code == 200

    assert _applied(nmbrs_sandbox) == 0
    assert [c["HourCode"] for c in nmbrs_sandbox.hour_components(500004, 2026, 11)] == [3100]
    assert api.company("Company_GetCurrentPeriod", CompanyId=54613) == "2026-11-M"
    assert [c["operation"] for c in nmbrs_sandbox.calls()] == ["Company_GetCurrentPeriod"]


def test_stop_ends_a_held_timeout_call_quickly(nmbrs_sandbox_factory) -> None:
    sandbox = nmbrs_sandbox_factory()
    sandbox.inject(kind="timeout")
    api = Api(sandbox.url, timeout=0.2)
    with pytest.raises(requests.exceptions.Timeout):
        api.company("List_GetAll")

    started = time.monotonic()
    sandbox.stop()

    assert time.monotonic() - started < 15  # the call would be held for 30 s
