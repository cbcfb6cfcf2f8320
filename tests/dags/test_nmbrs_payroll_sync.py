"""End to end: ``airflow dags test nmbrs_payroll_sync`` on the demo Keeping data in a real
PostgreSQL warehouse, writing to the Nmbrs sandbox over HTTP.

Every test checks what a payroll administrator would see: the hours and days in Nmbrs, the
run's exit status and messages, and the ``nmbrs_sync`` ledger. What Nmbrs should hold is
computed from ``keeping.time_entries`` directly (``tests/dags/sync_world.py``).

Each test runs twice (the ``api`` fixture): with every company on the SOAP connection, and
with every company on an ``nmbrs_rest`` connection under its UUID.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import yaml

from nmbrs_provider.get_provider_info import NMBRS_REST_SCOPES
from nmbrs_sandbox import Scenario
from nmbrs_sandbox.rest.ids import company_uuid, employee_uuid
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
    Holding,
    SyncRun,
    SyncWorld,
    change_keeping_hours,
    company_of,
    holdings,
    own_world,
    raw_period_total,
)
from tests.nmbrs_provider.conftest import DEMO_USER, LIMITED_USER

pytestmark = pytest.mark.slow

EXCLUSION_REASONS = {
    "fixed_hour_contract",  # Chantal and Finn register their contract hours
    "break",
    "user_without_code",  # Henk has no personnel number in Keeping
    "no_matching_employee",  # Iris' number 999 is nobody in Nmbrs
    "outside_employment",  # Gijs' trial day before he was employed
    "unrouted",  # organisation 3 belongs to no configured company
    "ongoing",  # Daan's timer still running on 30 November
}


def _assert_hours_as_expected(run: SyncRun) -> None:
    """Each flexible employee holds exactly one worked-hours component with the warehouse's
    hours, and the warehouse's days worked."""
    assert set(run.expected) == set(FLEXIBLE.values())
    for employee_id, (hours, days) in run.expected.items():
        held = run.november[employee_id]
        assert held.of_code(WORKED) == [hours], f"employee {employee_id}: {held}"
        assert held.days == days, f"employee {employee_id}: {held}"


def _assert_hand_entered_components_intact(run: SyncRun, initial: dict[int, Holding]) -> None:
    """Daan's 3100 holiday hours and Finn's hand-entered 2100 are the very same components."""
    daan = [c for c in run.november[DAAN].components if c[1] != WORKED]
    assert daan == [c for c in initial[DAAN].components if c[1] != WORKED]
    assert [(c[1], c[2]) for c in daan] == [(3100, Decimal("8.0"))]
    assert run.november[FINN] == initial[FINN]
    assert [(c[1], c[2]) for c in run.november[FINN].components] == [(2100, Decimal("4.0"))]


def _assert_balanced(world: SyncWorld, run: SyncRun) -> None:
    """The run has its three ledger runs (the hours no company takes, then each company), and
    each balances: hours read = sent (planned in a dry run) + excluded. Counted, so that a run
    without ledger rows cannot pass as balanced."""
    balances = sorted(world.balances(run), key=lambda b: b["company_id"] or 0)
    assert [(b["company_id"], b["balanced"]) for b in balances] == [
        (None, True),
        (HORECA, True),
        (EVENTS, True),
    ], balances


def _written_employees(run: SyncRun) -> set[int]:
    return {e for call in run.writes for e in (call["employee_ids"] or [])}


# --------------------------------------------------------------------------------------------
# One November, as it happens: a dry run, the first run, a second run, corrections afterwards.
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def november(warehouse, airflow_env, tmp_path_factory, api):
    tmp = tmp_path_factory.mktemp("november")
    with own_world(warehouse, airflow_env, tmp, api=api) as world:
        yield world


@pytest.fixture(scope="module")
def dry_run(november: SyncWorld) -> SyncRun:
    return november.run(dry_run=True)


@pytest.fixture(scope="module")
def first_run(november: SyncWorld, dry_run: SyncRun) -> SyncRun:
    return november.run()


@pytest.fixture(scope="module")
def second_run(november: SyncWorld, first_run: SyncRun) -> SyncRun:
    return november.run()


@pytest.fixture(scope="module")
def corrected_run(november: SyncWorld, second_run: SyncRun) -> SyncRun:
    """After the second run, Keeping changes: Anna's first shift gets 1.25 h longer, one of
    Bram's single-shift days is deleted, and Eva gets a 5.5 h shift on a day she was free."""
    change_keeping_hours(november.db)
    return november.run()


def test_a_dry_run_writes_nothing_and_records_its_plan(november, dry_run):
    assert dry_run.process.returncode == 0, dry_run.describe()
    assert dry_run.writes == []
    assert holdings(dry_run.state) == november.initial

    runs = november.company_runs(dry_run)
    assert {c: (r["status"], r["dry_run"]) for c, r in runs.items()} == {
        HORECA: ("dry_run", True),
        EVENTS: ("dry_run", True),
    }
    planned = {
        line["employee_id"]: line["desired_hours"]
        for line in november.lines("plan_lines", dry_run)
        if line["hour_code"] == WORKED
    }
    assert planned == {e: hours for e, (hours, _) in dry_run.expected.items()}
    _assert_balanced(november, dry_run)


def test_the_first_run_writes_exactly_what_the_dry_run_planned(november, dry_run, first_run):
    planned = {
        (line["employee_id"], line["desired_hours"])
        for line in november.lines("plan_lines", dry_run)
        if line["hour_code"] == WORKED
    }
    held = {(e, h) for e, holding in first_run.november.items() for h in holding.of_code(WORKED)}
    assert planned == held - {(FINN, Decimal("4.0"))}  # Finn's own hand-entered 2100 aside


def test_the_first_run_sends_flexible_hours_and_days_to_their_company(november, first_run):
    assert first_run.process.returncode == 0, first_run.describe()
    _assert_hours_as_expected(first_run)
    for employee_id in FLEXIBLE.values():
        (comment,) = [c[3] for c in first_run.november[employee_id].components if c[1] == WORKED]
        assert PERIOD in comment  # recognisable as the sync's component

    employer = company_of(first_run.state)
    sent = november.lines("sent_lines", first_run)
    assert {line["employee_id"] for line in sent} == set(FLEXIBLE.values())
    for line in sent:
        assert line["company_id"] == employer[line["employee_id"]]
    runs = november.company_runs(first_run)
    for company_id in (HORECA, EVENTS):
        own = [h for e, (h, _) in first_run.expected.items() if employer[e] == company_id]
        assert runs[company_id]["hours_sent"] == sum(own)
        report = f"Company {november.ref(company_id)} {PERIOD}: succeeded"
        assert report in first_run.output


def test_the_first_run_leaves_fixed_employees_and_hand_entered_hours_alone(november, first_run):
    for employee_id in FIXED:
        assert first_run.november[employee_id] == november.initial[employee_id]
    assert not _written_employees(first_run) & set(FIXED)
    _assert_hand_entered_components_intact(first_run, november.initial)
    # Daan holds his holiday hours next to the new worked hours, nothing else
    assert sorted(c[1] for c in first_run.november[DAAN].components) == [2100, 3100]


def test_the_first_run_accounts_for_every_hour_in_the_ledger(november, first_run):
    runs = november.runs(first_run)
    assert [(r["company_id"], r["status"]) for r in runs] == [
        (None, "succeeded"),  # hours no configured company takes
        (HORECA, "succeeded"),
        (EVENTS, "succeeded"),
    ]
    _assert_balanced(november, first_run)
    # nothing lost: the runs together read every hour of November in the warehouse
    assert sum(r["hours_read"] for r in runs) == raw_period_total(november.db)

    excluded = november.lines("excluded_hours", first_run)
    assert {x["reason"] for x in excluded} >= EXCLUSION_REASONS
    unrouted = [x for x in excluded if x["reason"] == "unrouted"]
    assert unrouted and all(x["company_id"] is None for x in unrouted)
    assert {x["organisation_id"] for x in unrouted} == {3}
    outside = [x for x in excluded if x["reason"] == "outside_employment"]
    assert [(x["user_code"], str(x["work_date"]), x["hours"]) for x in outside] == [
        ("203", "2026-11-05", Decimal("4.00"))
    ]
    fixed = {x["user_code"] for x in excluded if x["reason"] == "fixed_hour_contract"}
    assert fixed == {"103", "202"}


def test_the_ledger_records_the_ids_of_the_api_it_synced_with(november, api, first_run):
    runs = november.company_runs(first_run, raw=True)
    sent = november.lines("sent_lines", first_run, raw=True)
    if api == "rest":
        assert set(runs) == {company_uuid(HORECA), company_uuid(EVENTS)}
        assert {s["employee_id"] for s in sent} == {employee_uuid(e) for e in FLEXIBLE.values()}
    else:
        assert set(runs) == {str(HORECA), str(EVENTS)}
        assert {s["employee_id"] for s in sent} == {str(e) for e in FLEXIBLE.values()}
    services = {c["service"] for c in first_run.writes}
    assert services == ({"REST"} if api == "rest" else {"EmployeeService"}), services


def test_a_second_run_of_the_same_period_writes_nothing(november, first_run, second_run):
    assert second_run.process.returncode == 0, second_run.describe()
    assert second_run.writes == []
    assert second_run.state == first_run.state

    runs = november.company_runs(second_run)
    assert {c: (r["status"], r["employees_written"]) for c, r in runs.items()} == {
        HORECA: ("succeeded", 0),
        EVENTS: ("succeeded", 0),
    }
    assert {line["action"] for line in november.lines("sent_lines", second_run)} == {"unchanged"}
    _assert_balanced(november, second_run)


def test_hours_changed_in_keeping_are_corrected_without_doubling(
    november, second_run, corrected_run
):
    before, after = second_run.expected, corrected_run.expected
    anna, bram, eva = FLEXIBLE["101"], FLEXIBLE["102"], FLEXIBLE["201"]
    # the changes are real: Anna +1.25 h on the same days, Bram one day less, Eva one day more
    assert after[anna] == (before[anna][0] + Decimal("1.25"), before[anna][1])
    assert after[bram][0] < before[bram][0] and after[bram][1] == before[bram][1] - 1
    assert after[eva] == (before[eva][0] + Decimal("5.50"), before[eva][1] + 1)

    _assert_hours_as_expected(corrected_run)  # one 2100 component each: replaced, not added
    _assert_hand_entered_components_intact(corrected_run, november.initial)
    assert _written_employees(corrected_run) == {anna, bram, eva}
    for untouched in (FLEXIBLE["104"], FLEXIBLE["203"], *FIXED):
        assert corrected_run.november[untouched] == second_run.november[untouched]


def test_a_correction_run_succeeds_and_balances_in_the_ledger(november, corrected_run):
    assert corrected_run.process.returncode == 0, corrected_run.describe()
    runs = november.company_runs(corrected_run)
    assert {c: r["status"] for c, r in runs.items()} == {HORECA: "succeeded", EVENTS: "succeeded"}
    _assert_balanced(november, corrected_run)


# --------------------------------------------------------------------------------------------
# Past periods: Nmbrs has moved on to December, the run asks for November.
# --------------------------------------------------------------------------------------------


def _world(nmbrs_sandbox, warehouse_db, airflow_env, tmp_path, api) -> SyncWorld:
    return SyncWorld(nmbrs_sandbox, warehouse_db, airflow_env, tmp_path, api)


def _close_november(world: SyncWorld) -> None:
    for company_id in (HORECA, EVENTS):
        world.sandbox.set_current_period(company_id, 2026, 12)


@pytest.fixture(scope="module")
def past_fail(warehouse, airflow_env, tmp_path_factory, api):
    tmp = tmp_path_factory.mktemp("past_fail")
    with own_world(warehouse, airflow_env, tmp, api=api) as world:
        _close_november(world)
        world.configure(past_period_policy="fail")
        yield world, world.run()


def test_past_period_policy_fail_stops_with_a_message_naming_the_current_period(past_fail):
    world, run = past_fail
    assert run.process.returncode == 1, run.describe()
    for company_id in (HORECA, EVENTS):
        assert re.search(
            rf"Company {world.ref(company_id)}: period {PERIOD} is before Nmbrs' current period"
            r" 2026-12-M"
            r" and past_period_policy is 'fail'",
            run.output,
        ), run.describe()
    assert run.writes == []
    assert holdings(run.state) == world.initial
    assert all(not h.components and h.days is None for h in holdings(run.state, DECEMBER).values())


def test_past_period_policy_fail_is_recorded_in_the_ledger(past_fail):
    world, run = past_fail
    runs = world.company_runs(run)
    for company_id in (HORECA, EVENTS):
        assert company_id in runs, "no ledger run for the refused company"
        assert runs[company_id]["status"] == "failed"
        assert "2026-12-M" in runs[company_id]["message"]
        assert "past_period_policy" in runs[company_id]["message"]


def test_past_period_policy_skip_leaves_the_period_alone(
    nmbrs_sandbox, warehouse_db, airflow_env, tmp_path, api
):
    world = _world(nmbrs_sandbox, warehouse_db, airflow_env, tmp_path, api)
    _close_november(world)
    world.configure(past_period_policy="skip")

    run = world.run()

    assert run.process.returncode == 0, run.describe()
    assert run.writes == []
    assert holdings(run.state) == world.initial
    runs = world.company_runs(run)
    assert {c: r["status"] for c, r in runs.items()} == {HORECA: "skipped", EVENTS: "skipped"}
    for r in runs.values():
        assert "2026-12-M" in r["message"]


def test_past_period_policy_retro_corrects_the_closed_period(
    nmbrs_sandbox, warehouse_db, airflow_env, tmp_path, api
):
    world = _world(nmbrs_sandbox, warehouse_db, airflow_env, tmp_path, api)
    _close_november(world)
    world.configure(past_period_policy="retro")

    run = world.run()

    assert run.process.returncode == 0, run.describe()
    # Nmbrs refuses writes before its current period unless UnprotectedMode is set (REST:
    # periodDetails.unprotectedMode); the only faults are SOAP's permission probes (employee 0,
    # which Nmbrs rejects by design)
    assert [c for c in run.calls if c["fault"] and c["employee_ids"] != [0]] == []
    _assert_hours_as_expected(run)
    _assert_hand_entered_components_intact(run, world.initial)
    for employee_id in FIXED:
        assert run.november[employee_id] == world.initial[employee_id]
    assert all(not h.components and h.days is None for h in holdings(run.state, DECEMBER).values())
    runs = world.company_runs(run)
    for r in runs.values():
        assert r["status"] == "succeeded"
        assert "retroactive correction" in r["message"]
    _assert_balanced(world, run)


# --------------------------------------------------------------------------------------------
# Failures: one company's problem blocks no other; permission problems are named.
# --------------------------------------------------------------------------------------------

UNKNOWN_COMPANY = 99999


@pytest.fixture(scope="module")
def unknown_company(warehouse, airflow_env, tmp_path_factory, api):
    """The demo companies plus 99999 (not in Nmbrs; on REST its UUID) for Keeping
    organisation 3."""
    tmp = tmp_path_factory.mktemp("unknown")
    with own_world(warehouse, airflow_env, tmp, api=api) as world:
        world.configure(
            extra_companies=[
                {
                    "company_id": UNKNOWN_COMPANY,
                    "nmbrs_conn_id": "nmbrs_default",
                    "organisations": [3],
                }
            ]
        )
        yield world, world.run()


def test_a_failing_company_does_not_block_the_others(unknown_company):
    world, run = unknown_company
    assert run.process.returncode == 1, run.describe()
    assert f"Company {world.ref(UNKNOWN_COMPANY)} is unknown or not visible" in run.output
    _assert_hours_as_expected(run)
    _assert_hand_entered_components_intact(run, world.initial)
    runs = world.company_runs(run)
    assert runs[HORECA]["status"] == "succeeded"
    assert runs[EVENTS]["status"] == "succeeded"


def test_a_failing_company_is_recorded_as_failed_in_the_ledger(unknown_company):
    world, run = unknown_company
    runs = world.company_runs(run)
    assert UNKNOWN_COMPANY in runs, "no ledger run for the failed company"
    assert runs[UNKNOWN_COMPANY]["status"] == "failed"
    assert str(world.ref(UNKNOWN_COMPANY)) in runs[UNKNOWN_COMPANY]["message"]


def test_an_unknown_company_fails_at_once_without_retries(unknown_company):
    world, run = unknown_company
    assert re.search(rf"AirflowFailException: .*{world.ref(UNKNOWN_COMPANY)}", run.output)
    assert "up_for_retry" not in run.output


# What the limited API user lacks on each API, and what the failure must name. On REST a
# permission is a scope of the connection's grant: without employee.employment.read Nmbrs
# answers 403 to the schedules, salaries and employments reads.
NO_SALARY_READ = {
    "soap": (
        "API user 'limited@example.com' may call neither "
        "EmployeeService.Salary_GetAll_AllEmployeesByCompany nor EmployeeService.Salary_Get",
        "EmployeeService.Salary_GetAll_AllEmployeesByCompany",
    ),
    "rest": ("the grant lacks the scope employee.employment.read", "employee.employment.read"),
}
# Reading hours and days, but not writing them (SOAP: DaysVar_Set_Batch; REST: the grant has
# employee.payment.read instead of employee.payment).
NO_DAYS_WRITE = {
    "soap": ("lacks EmployeeService.DaysVar_Set_Batch", "EmployeeService.DaysVar_Set_Batch"),
    "rest": ("the grant lacks the scope employee.payment", "employee.payment"),
}
DEFAULT_SCOPES = frozenset(NMBRS_REST_SCOPES)


def test_a_missing_permission_is_named_and_nothing_is_written(
    nmbrs_sandbox_factory, warehouse_db, airflow_env, tmp_path, api
):
    scenario = yaml.safe_load(DEMO_PATH.read_text("utf-8"))
    (limited,) = [a for a in scenario["accounts"] if a["username"] == LIMITED_USER[0]]
    # Neither salary read (the company-wide one nor its per-employee fallback), nor days.
    limited["permissions"]["all_except"].append("EmployeeService.Salary_Get")
    sandbox = nmbrs_sandbox_factory(Scenario.from_dict(scenario))
    world = SyncWorld(sandbox, warehouse_db, airflow_env, tmp_path, api)
    world.connect_nmbrs(LIMITED_USER, rest_scopes=DEFAULT_SCOPES - {"employee.employment.read"})

    run = world.run()

    assert run.process.returncode == 1, run.describe()
    message, permission = NO_SALARY_READ[api]
    for company_id in (HORECA, EVENTS):
        assert re.search(rf"Company {world.ref(company_id)}: .*{message}", run.output), (
            run.describe()
        )
    assert "python -m nmbrs_provider check" in run.output  # how to list every missing one
    runs = world.company_runs(run)
    for company_id in (HORECA, EVENTS):
        assert runs[company_id]["status"] == "failed"
        assert permission in runs[company_id]["message"]
    assert run.writes == []
    assert holdings(run.state) == world.initial


def test_a_missing_days_permission_fails_and_the_rerun_does_not_double_hours(
    nmbrs_sandbox_factory, warehouse_db, airflow_env, tmp_path, api
):
    scenario = yaml.safe_load(DEMO_PATH.read_text("utf-8"))
    (limited,) = [a for a in scenario["accounts"] if a["username"] == LIMITED_USER[0]]
    limited["permissions"] = {"all_except": ["EmployeeService.DaysVar_Set_Batch"]}
    sandbox = nmbrs_sandbox_factory(Scenario.from_dict(scenario))
    world = SyncWorld(sandbox, warehouse_db, airflow_env, tmp_path, api)
    read_only = DEFAULT_SCOPES - {"employee.payment"} | {"employee.payment.read"}
    world.connect_nmbrs(LIMITED_USER, rest_scopes=read_only)

    refused = world.run()

    assert refused.process.returncode == 1, refused.describe()
    message, permission = NO_DAYS_WRITE[api]
    assert message in refused.output, refused.describe()
    assert "Nothing was written" in refused.output
    assert refused.writes == [], "permissions are checked before the first write"
    runs = world.company_runs(refused)
    assert {c: r["status"] for c, r in runs.items()} == {HORECA: "failed", EVENTS: "failed"}
    assert all(permission in r["message"] for r in runs.values())

    world.connect_nmbrs(DEMO_USER)  # the permission has been granted
    rerun = world.run()

    assert rerun.process.returncode == 0, rerun.describe()
    _assert_hours_as_expected(rerun)
    _assert_hand_entered_components_intact(rerun, world.initial)
    _assert_balanced(world, rerun)
