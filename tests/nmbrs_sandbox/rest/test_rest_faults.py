"""Throttle, fault injection and the call log on the REST half of the sandbox."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from nmbrs_sandbox import Sandbox
from nmbrs_sandbox.rest import company_uuid, employee_uuid
from tests.nmbrs_sandbox.rest.rest_api import CLIENT, Rest, login, login_auto

ANNA, DAAN = employee_uuid(500001), employee_uuid(500004)
HOURS = {"hourCode": 2100, "hours": 8}


def _rest_calls(sandbox: Sandbox, operation: str) -> list[dict]:
    return [c for c in sandbox.calls() if c["operation"] == operation]


def test_calls_past_the_limit_get_429_with_retry_after(nmbrs_sandbox_factory) -> None:
    sandbox = nmbrs_sandbox_factory(
        rest_throttle_limit=3, rest_throttle_window_s=600, rest_retry_after_s=7
    )
    api = Rest(sandbox.url, login(sandbox.url)["access_token"])
    sandbox.auth.register_user("other@example.com", "pw", [54613])
    sandbox.auth.set_auto_login("other@example.com")
    other = Rest(sandbox.url, login_auto(sandbox.url)["access_token"])
    assert [api.get("/api/companies").status_code for _ in range(3)] == [200] * 3
    throttled = api.post(f"/api/employees/{ANNA}/variablehours", HOURS)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "7"
    assert throttled.json()["type"] == "throttlingError" and throttled.json()["code"] == 42908
    assert sandbox.hour_components(500001, 2026, 11) == []  # not served
    assert other.get("/api/companies").status_code == 200  # counted per user
    (post,) = _rest_calls(sandbox, "createVariableHourComponent")
    assert post["throttled"] and post["http_status"] == 429 and post["fault_code"] == 42908
    sandbox.reset()  # clears the throttle, keeps the tokens
    assert api.get("/api/companies").status_code == 200


def test_throttle_off_with_limit_zero(nmbrs_sandbox_factory) -> None:
    sandbox = nmbrs_sandbox_factory(rest_throttle_limit=0)
    api = Rest(sandbox.url, login(sandbox.url)["access_token"])
    assert {api.get("/api/companies").status_code for _ in range(5)} == {200}


def test_a_lost_answer_applies_the_post_and_the_log_shows_which_call(
    nmbrs_sandbox: Sandbox, rest: Rest
) -> None:
    nmbrs_sandbox.inject(
        "createVariableHourComponent", kind="http_503_after_apply", employee_ids=[500001]
    )
    assert rest.post(f"/api/employees/{DAAN}/variablehours", HOURS).status_code == 201
    lost = rest.post(f"/api/employees/{ANNA}/variablehours", HOURS)
    assert lost.status_code == 503 and lost.json()["code"] == 50301
    assert [r["Hours"] for r in nmbrs_sandbox.hour_components(500001, 2026, 11)] == [8.0]
    calls = _rest_calls(nmbrs_sandbox, "createVariableHourComponent")
    assert [(c["employee_ids"], c["injected"], c["http_status"]) for c in calls] == [
        ([500004], None, 201),
        ([500001], "http_503_after_apply", 503),
    ]
    assert calls[1]["service"] == "REST" and calls[1]["company_id"] == 54613
    assert calls[1]["method"] == "POST" and calls[1]["path"].endswith(f"{ANNA}/variablehours")


def test_a_503_before_apply_changes_nothing(nmbrs_sandbox: Sandbox, rest: Rest) -> None:
    nmbrs_sandbox.inject("REST.CreateVariableWorkedDays", kind="http_503")
    answer = rest.post(f"/api/employees/{ANNA}/variabledays", {"days": 4})
    assert answer.status_code == 503
    assert nmbrs_sandbox.days_var(500001, 2026, 11) is None
    assert rest.post(f"/api/employees/{ANNA}/variabledays", {"days": 4}).status_code == 201


def test_a_reset_connection_applies_nothing(nmbrs_sandbox: Sandbox, rest: Rest) -> None:
    nmbrs_sandbox.inject("deleteEmployeeHours", kind="reset")
    created = rest.post(f"/api/employees/{ANNA}/variablehours", HOURS).json()["hourComponentId"]
    with pytest.raises(requests.ConnectionError):
        rest.call("DELETE", f"/api/employees/{ANNA}/hours/{created}")
    assert len(nmbrs_sandbox.hour_components(500001, 2026, 11)) == 1
    (delete,) = _rest_calls(nmbrs_sandbox, "deleteEmployeeHours")
    assert delete["injected"] == "reset" and delete["http_status"] is None


def test_random_faults_reach_rest_calls(nmbrs_sandbox: Sandbox, rest: Rest) -> None:
    nmbrs_sandbox.set_knobs(fault_rate=1.0, fault_kinds=["fault_1006"], fault_seed=1)
    answer = rest.get(f"/api/companies/{company_uuid(54613)}/hourcodes")
    assert answer.status_code == 500 and answer.json()["code"] == 50001


def test_a_lost_refresh_answer_leaves_a_used_refresh_token(nmbrs_sandbox: Sandbox) -> None:
    """What a client must survive: the rotation happened, the answer did not arrive."""
    url = nmbrs_sandbox.url
    tokens = login(url)
    nmbrs_sandbox.inject("identity.token", kind="http_503_after_apply")
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    lost = requests.post(f"{url}/connect/token", data=form, auth=CLIENT, timeout=10)
    assert lost.status_code == 503
    retry = requests.post(f"{url}/connect/token", data=form, auth=CLIENT, timeout=10)
    assert retry.json()["error"] == "invalid_grant"  # reuse: the grant is revoked
    refreshes = [c for c in nmbrs_sandbox.calls() if c.get("grant_type") == "refresh_token"]
    assert [(c["injected"], c["reuse_detected"]) for c in refreshes] == [
        ("http_503_after_apply", False),
        (None, True),
    ]


def test_a_held_post_is_dropped_without_being_applied(nmbrs_sandbox: Sandbox, rest: Rest) -> None:
    nmbrs_sandbox.inject("createVariableHourComponent", kind="hold")
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(rest.post, f"/api/employees/{ANNA}/variablehours", HOURS)
        assert nmbrs_sandbox.wait_for_held(timeout=30)
        nmbrs_sandbox.release_held()
        with pytest.raises(requests.ConnectionError):
            pending.result(timeout=30)
    assert nmbrs_sandbox.hour_components(500001, 2026, 11) == []


def test_timeout_after_apply_applies_and_answers_too_late(nmbrs_sandbox_factory) -> None:
    sandbox = nmbrs_sandbox_factory(timeout_seconds=60)
    api = Rest(sandbox.url, login(sandbox.url)["access_token"])
    sandbox.inject("createVariableHourComponent", kind="timeout_after_apply")
    with pytest.raises(requests.Timeout):
        api.session.post(f"{api.url}/api/employees/{ANNA}/variablehours", json=HOURS, timeout=2)
    assert [r["Hours"] for r in sandbox.hour_components(500001, 2026, 11)] == [8.0]
