"""End to end: correcting a November that the sync wrote and Nmbrs has since closed.

The sync writes November while it is Nmbrs' current period; then Nmbrs moves on to December
(its payroll run of November is processed) and the hours of November change in Keeping (a TWK
correction). The same world then runs November again under each ``past_period_policy``:
``fail`` and ``skip`` write nothing, ``retro`` brings Nmbrs' November to exactly the new hours
with correction components in ``UnprotectedMode`` (the sync's earlier components stay; hand
entries and fixed employees are untouched) and leaves December alone; a second ``retro`` run
writes nothing. Each test runs with every company on SOAP and on REST (the ``api`` fixture;
REST's ``periodDetails.unprotectedMode`` is SOAP's ``UnprotectedMode``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from nmbrs_sandbox.scenario import DEMO_PATH
from tests.dags.sync_world import (
    DAAN,
    DECEMBER,
    EVENTS,
    FINN,
    FIXED,
    FLEXIBLE,
    HORECA,
    PERIOD,
    WORKED,
    SyncRun,
    SyncWorld,
    change_keeping_hours,
    holdings,
    own_world,
)

pytestmark = pytest.mark.slow

ANNA, BRAM, EVA, GIJS = (FLEXIBLE[code] for code in ("101", "102", "201", "203"))
CHANGED = {ANNA, BRAM, EVA, GIJS}  # Daan (104) keeps his November hours
CURRENT = "2026-12-M"
PROBE_EMPLOYEE = [0]  # permission probes write to employee 0, which Nmbrs rejects by design


@pytest.fixture(scope="module")
def world(warehouse, airflow_env, tmp_path_factory, api):
    with own_world(warehouse, airflow_env, tmp_path_factory.mktemp("retro"), api=api) as world:
        yield world


@pytest.fixture(scope="module")
def synced(world: SyncWorld) -> SyncRun:
    """November synced while it is the current period; then Nmbrs closes it and Keeping
    changes: Anna +1.25 h, Bram one day less, Eva one day more, Gijs no hours at all."""
    run = world.run()
    assert run.process.returncode == 0, run.describe()
    for company_id in (HORECA, EVENTS):
        world.sandbox.set_current_period(company_id, 2026, 12)
    change_keeping_hours(world.db, drop_gijs=True)
    return run


@pytest.fixture(scope="module")
def under_fail(world: SyncWorld, synced: SyncRun) -> SyncRun:
    world.configure(past_period_policy="fail")
    return world.run()


@pytest.fixture(scope="module")
def under_skip(world: SyncWorld, under_fail: SyncRun) -> SyncRun:
    world.configure(past_period_policy="skip")
    return world.run()


@pytest.fixture(scope="module")
def under_retro(world: SyncWorld, under_skip: SyncRun) -> SyncRun:
    world.configure(past_period_policy="retro")
    return world.run()


@pytest.fixture(scope="module")
def retro_again(world: SyncWorld, under_retro: SyncRun) -> SyncRun:
    return world.run()


def _assert_nothing_written(run: SyncRun, synced: SyncRun) -> None:
    assert run.writes == [], run.writes
    assert holdings(run.state) == holdings(synced.state)
    assert all(not h.components and h.days is None for h in holdings(run.state, DECEMBER).values())


def test_the_changes_are_real(synced, under_fail):
    before, after = synced.expected, under_fail.expected
    assert after[ANNA] == (before[ANNA][0] + Decimal("1.25"), before[ANNA][1])
    assert after[BRAM][0] < before[BRAM][0] and after[BRAM][1] == before[BRAM][1] - 1
    assert after[EVA] == (before[EVA][0] + Decimal("5.50"), before[EVA][1] + 1)
    assert GIJS in before and GIJS not in after
    assert after[DAAN] == before[DAAN]


def test_fail_names_the_current_period_and_writes_nothing(world, synced, under_fail):
    assert under_fail.process.returncode == 1, under_fail.describe()
    for company_id in (HORECA, EVENTS):
        assert (
            f"Company {world.ref(company_id)}: period {PERIOD} is before Nmbrs' current period"
            f" {CURRENT}"
            " and past_period_policy is 'fail'"
        ) in under_fail.output
    _assert_nothing_written(under_fail, synced)
    runs = world.company_runs(under_fail)
    assert {c: r["status"] for c, r in runs.items()} == {HORECA: "failed", EVENTS: "failed"}


def test_skip_leaves_the_closed_period_alone(world, synced, under_skip):
    assert under_skip.process.returncode == 0, under_skip.describe()
    _assert_nothing_written(under_skip, synced)
    runs = world.company_runs(under_skip)
    assert {c: r["status"] for c, r in runs.items()} == {HORECA: "skipped", EVENTS: "skipped"}
    assert all(CURRENT in r["message"] for r in runs.values())


def test_retro_brings_the_closed_period_to_exactly_the_new_hours(world, synced, under_retro):
    assert under_retro.process.returncode == 0, under_retro.describe()
    new = under_retro.expected
    for employee_id in FLEXIBLE.values():
        hours, days = new.get(employee_id, (Decimal("0.00"), 0))
        held = under_retro.november[employee_id]
        assert sum(held.of_code(WORKED), Decimal(0)) == hours, f"{employee_id}: {held}"
        assert held.days == days, f"{employee_id}: {held}"


def test_retro_corrects_with_components_on_top_of_what_nmbrs_holds(world, synced, under_retro):
    before = synced.november
    for employee_id in FLEXIBLE.values():
        kept = before[employee_id].components
        now = under_retro.november[employee_id].components
        assert now[: len(kept)] == kept, "components the closed run paid stay as they were"
        added = now[len(kept) :]
        if employee_id not in CHANGED:
            assert added == (), f"{employee_id}: {added}"
            continue
        ((_, code, hours, comment),) = added
        old = sum(before[employee_id].of_code(WORKED), Decimal(0))
        want = under_retro.expected.get(employee_id, (Decimal(0), 0))[0]
        assert (code, hours) == (WORKED, want - old)
        assert PERIOD in comment and "correction" in comment
    assert sum(under_retro.november[GIJS].of_code(WORKED), Decimal(0)) == 0
    assert any(h < 0 for h in under_retro.november[BRAM].of_code(WORKED))


def test_retro_leaves_hand_entries_fixed_employees_and_december_alone(world, synced, under_retro):
    daan = [c for c in under_retro.november[DAAN].components if c[1] != WORKED]
    assert daan == [c for c in world.initial[DAAN].components if c[1] != WORKED]
    assert [(c[1], c[2]) for c in daan] == [(3100, Decimal("8.0"))]
    for employee_id in FIXED:
        assert under_retro.november[employee_id] == world.initial[employee_id]
    assert [(c[1], c[2]) for c in under_retro.november[FINN].components] == [(2100, Decimal("4.0"))]
    december = holdings(under_retro.state, DECEMBER)
    assert december == holdings(synced.state, DECEMBER)
    assert all(not h.components and h.days is None for h in december.values())


def test_retro_writes_only_corrections_in_unprotected_mode(under_retro):
    # Nmbrs refuses any write before its current period without UnprotectedMode (SOAP 2011,
    # REST 40040), and a delete takes no UnprotectedMode at all: no fault may hit a real write.
    refused = [c for c in under_retro.calls if c["fault"] and c["employee_ids"] != PROBE_EMPLOYEE]
    assert refused == [], refused
    written = under_retro.written()
    assert set(written) == {"add", "days"}, written  # no delete, update or clear
    assert written["add"] == CHANGED
    assert written["days"] == {BRAM, EVA, GIJS}  # Anna's days did not change


def test_retro_is_recorded_and_balanced_in_the_ledger(world, under_retro):
    runs = world.company_runs(under_retro)
    for r in runs.values():
        assert r["status"] == "succeeded"
        assert "retroactive correction" in r["message"]
    assert all(b["balanced"] for b in world.balances(under_retro))
    sent = world.lines("sent_lines", under_retro)
    corrections = {
        line["employee_id"]: line["hours"] for line in sent if line["action"] == "correction"
    }
    assert set(corrections) == CHANGED
    assert corrections[ANNA] == Decimal("1.25") and corrections[EVA] == Decimal("5.50")
    assert corrections[BRAM] < 0 and corrections[GIJS] < 0
    assert not [line for line in sent if line["action"] == "delete"]


def test_a_second_retro_run_writes_nothing(world, under_retro, retro_again):
    assert retro_again.process.returncode == 0, retro_again.describe()
    assert retro_again.writes == []
    assert retro_again.state == under_retro.state
    assert all(b["balanced"] for b in world.balances(retro_again))


def test_a_correction_needs_no_delete_permission(warehouse, airflow_env, tmp_path):
    """An API user that may not delete components can still correct a closed period (retro only
    inserts and sets days), while a sync of the current period with it fails before writing,
    naming HourComponent_Delete. (SOAP only: on REST one scope, employee.payment, covers
    creating and deleting alike.)"""
    scenario = yaml.safe_load(DEMO_PATH.read_text())
    for account in scenario["accounts"]:
        account["permissions"] = {"all_except": ["EmployeeService.HourComponent_Delete"]}
    with own_world(warehouse, airflow_env, tmp_path, scenario) as world:
        before = holdings(world.sandbox.state())
        current = world.run()
        assert current.process.returncode != 0, current.describe()
        refused = world.company_runs(current)
        assert {r["status"] for r in refused.values()} == {"failed"}, refused
        assert all("HourComponent_Delete" in r["message"] for r in refused.values()), refused
        assert holdings(current.state) == before, "nothing was written"

        for company_id in (HORECA, EVENTS):
            world.sandbox.set_current_period(company_id, 2026, 12)
        world.configure(past_period_policy="retro")
        corrected = world.run()
        assert corrected.process.returncode == 0, corrected.describe()
        statuses = {c: r["status"] for c, r in world.company_runs(corrected).items()}
        assert statuses == {HORECA: "succeeded", EVENTS: "succeeded"}, corrected.describe()
        anna = holdings(corrected.state)[FLEXIBLE["101"]]
        assert anna.of_code(WORKED), "the closed period got the hours"
