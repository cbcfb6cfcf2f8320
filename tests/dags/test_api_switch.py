"""A company moved from its SOAP connection to an ``nmbrs_rest`` one in the middle of a period.

November is synced on SOAP; then the config puts both companies on ``nmbrs_rest`` under their
UUIDs and November runs again. The sync diffs against what Nmbrs holds (read through REST), not
against what it sent before, so the unchanged period writes nothing, and a later warehouse
change replaces the component the SOAP run created instead of adding one next to it.
"""

from __future__ import annotations

import pytest

from nmbrs_sandbox.rest.ids import company_uuid
from tests.dags.sync_world import (
    EVENTS,
    FIXED,
    FLEXIBLE,
    HORECA,
    WORKED,
    SyncRun,
    SyncWorld,
    change_keeping_hours,
    own_world,
)

pytestmark = pytest.mark.slow

ANNA, BRAM, EVA = (FLEXIBLE[code] for code in ("101", "102", "201"))


def _soap_calls(run: SyncRun) -> list[dict]:
    return [c for c in run.calls if c["service"] not in ("REST", "identity")]


def _assert_hours_as_expected(run: SyncRun) -> None:
    """One worked-hours component per flexible employee, with the warehouse's hours and days."""
    for employee_id, (hours, days) in run.expected.items():
        held = run.november[employee_id]
        assert held.of_code(WORKED) == [hours], f"employee {employee_id}: {held}"
        assert held.days == days, f"employee {employee_id}: {held}"


@pytest.fixture(scope="module")
def world(warehouse, airflow_env, tmp_path_factory):
    with own_world(warehouse, airflow_env, tmp_path_factory.mktemp("switch")) as world:
        yield world


@pytest.fixture(scope="module")
def on_soap(world: SyncWorld) -> SyncRun:
    run = world.run()
    assert run.process.returncode == 0, run.describe()
    assert {c["service"] for c in run.writes} == {"EmployeeService"}
    _assert_hours_as_expected(run)
    return run


@pytest.fixture(scope="module")
def on_rest(world: SyncWorld, on_soap: SyncRun) -> SyncRun:
    world.use_api("rest")  # authorizes nmbrs_rest, every company on it under its UUID
    return world.run()


@pytest.fixture(scope="module")
def corrected(world: SyncWorld, on_rest: SyncRun) -> SyncRun:
    change_keeping_hours(world.db)  # Anna +1.25 h, Bram one day less, Eva one day more
    return world.run()


def test_after_the_switch_an_unchanged_period_writes_nothing(world, on_soap, on_rest):
    assert on_rest.process.returncode == 0, on_rest.describe()
    assert on_rest.writes == []
    assert on_rest.state == on_soap.state
    assert _soap_calls(on_rest) == [], "the companies are on REST now"
    read = {e for c in on_rest.calls if c["service"] == "REST" for e in c["employee_ids"]}
    assert read >= set(FLEXIBLE.values()), "what Nmbrs holds was read through REST"

    runs = world.company_runs(on_rest, raw=True)
    assert set(runs) == {company_uuid(HORECA), company_uuid(EVENTS)}
    assert {r["status"] for r in runs.values()} == {"succeeded"}
    assert {r["employees_written"] for r in runs.values()} == {0}
    assert {line["action"] for line in world.lines("sent_lines", on_rest)} == {"unchanged"}
    assert all(b["balanced"] for b in world.balances(on_rest))


def test_a_warehouse_change_after_the_switch_is_corrected_once(world, on_rest, corrected):
    assert corrected.process.returncode == 0, corrected.describe()
    _assert_hours_as_expected(corrected)  # one component each: replaced, not added
    assert _soap_calls(corrected) == []
    assert {c["service"] for c in corrected.writes} == {"REST"}
    written = corrected.written()
    assert written == {"update": {ANNA, BRAM, EVA}, "days": {BRAM, EVA}}, written
    for employee_id in (ANNA, BRAM, EVA):  # the SOAP run's component, changed in place
        before = [c[0] for c in on_rest.november[employee_id].components if c[1] == WORKED]
        after = [c[0] for c in corrected.november[employee_id].components if c[1] == WORKED]
        assert after == before
    for untouched in (FLEXIBLE["104"], FLEXIBLE["203"], *FIXED):
        assert corrected.november[untouched] == on_rest.november[untouched]
    runs = world.company_runs(corrected)
    assert {c: r["status"] for c, r in runs.items()} == {HORECA: "succeeded", EVENTS: "succeeded"}
    assert all(b["balanced"] for b in world.balances(corrected))
