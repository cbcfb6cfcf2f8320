"""End to end: Keeping users sharing one personnel number, through ``airflow dags test``.

Two accounts in organisation 1 carry Anna's code 101 (a duplicated account): none of their
hours may reach Anna in Nmbrs, and the ledger records every one of them as excluded with
``duplicate_user_code`` and a detail naming both users. Bram's code 102 is also used by an
account in organisation 4, which the config routes to the same company: that is one person with
two accounts, so his hours add up and the run report says so.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from dev.demo_data import ANNA, BRAM, PERIOD_END, PERIOD_START
from tests.dags.sync_world import (
    DEMO_CONFIG,
    EVENTS,
    FLEXIBLE,
    HORECA,
    WORKED,
    SyncWorld,
    own_world,
    raw_period_total,
)

pytestmark = pytest.mark.slow

ANNA_COPY, BRAM_OTHER_ORG = 71007, 74001
ANNA_EMPLOYEE, BRAM_EMPLOYEE = FLEXIBLE["101"], FLEXIBLE["102"]
# (user, organisation, date, hours) added to the demo data
EXTRA_ENTRIES = (
    (ANNA_COPY, 1, "2026-11-11", "6.00"),
    (ANNA_COPY, 1, "2026-11-12", "2.50"),
    (BRAM_OTHER_ORG, 4, "2026-11-13", "5.00"),
)


def _add_accounts(world: SyncWorld) -> None:
    world.db.execute(
        "insert into keeping.users (id, organisation_id, code, first_name, surname) values"
        " (%(anna)s, 1, '101', 'Anna', 'de Vries'), (%(bram)s, 4, '102', 'Bram', 'Jansen')",
        {"anna": ANNA_COPY, "bram": BRAM_OTHER_ORG},
    )
    (start,) = world.db.query("select max(id) from keeping.time_entries")[0]
    for n, (user, organisation, day, hours) in enumerate(EXTRA_ENTRIES, start=start + 1):
        world.db.execute(
            "insert into keeping.time_entries (id, organisation_id, user_id, date, purpose,"
            " hours, locked, approval_status) values (%s, %s, %s, %s, 'work', %s, true,"
            " 'approved')",
            (n, organisation, user, day, hours),
        )
    companies = yaml.safe_load(DEMO_CONFIG.read_text("utf-8"))["companies"]
    for company in companies:
        if company["company_id"] == HORECA:
            company["organisations"] = [1, 4]
    world.configure(companies=companies)


@pytest.fixture(scope="module")
def shared(warehouse, airflow_env, tmp_path_factory):
    with own_world(warehouse, airflow_env, tmp_path_factory.mktemp("shared_codes")) as world:
        _add_accounts(world)
        yield world, world.run()


def _user_hours(world: SyncWorld, users: list[int]) -> Decimal:
    (row,) = world.db.query_dicts(
        "select coalesce(sum(hours), 0) as hours from keeping.time_entries"
        " where user_id = any(%(users)s) and date between %(start)s and %(end)s",
        {"users": users, "start": PERIOD_START, "end": PERIOD_END},
    )
    return Decimal(row["hours"])


def test_the_run_succeeds_and_balances(shared):
    world, run = shared
    assert run.process.returncode == 0, run.describe()
    runs = world.runs(run)
    assert all(r["status"] == "succeeded" for r in runs), runs
    balances = sorted(world.balances(run), key=lambda b: b["company_id"] or 0)
    assert [(b["company_id"], b["balanced"]) for b in balances] == [
        (None, True),
        (HORECA, True),
        (EVENTS, True),
    ], balances
    assert sum(r["hours_read"] for r in runs) == raw_period_total(world.db)  # in = sent + excl.
    horeca = world.company_runs(run)[HORECA]
    assert horeca["hours_read"] == horeca["hours_sent"] + horeca["hours_excluded"]


def test_the_shared_code_employee_receives_none_of_their_hours(shared):
    world, run = shared
    assert run.november[ANNA_EMPLOYEE].of_code(WORKED) == []
    assert run.november[ANNA_EMPLOYEE] == world.initial[ANNA_EMPLOYEE]
    assert not any(ANNA_EMPLOYEE in (c["employee_ids"] or []) for c in run.writes)
    sent = world.lines("sent_lines", run)
    assert not [line for line in sent if line["employee_id"] == ANNA_EMPLOYEE]
    # the others still get theirs
    assert run.november[FLEXIBLE["104"]].of_code(WORKED) == [run.expected[FLEXIBLE["104"]][0]]


def test_every_hour_of_both_users_is_excluded_with_a_detail_naming_both(shared):
    world, run = shared
    excluded = world.lines("excluded_hours", run)
    theirs = [x for x in excluded if x["user_id"] in (ANNA, ANNA_COPY)]
    assert sum(x["hours"] for x in theirs) == _user_hours(world, [ANNA, ANNA_COPY])
    duplicate = [x for x in theirs if x["reason"] == "duplicate_user_code"]
    assert {x["user_id"] for x in duplicate} == {ANNA, ANNA_COPY}
    # what would have been sent is duplicate_user_code; breaks and the like keep their reason
    assert sum(x["hours"] for x in duplicate) == sum(
        _worked_hours(world, user) for user in (ANNA, ANNA_COPY)
    )
    assert {x["reason"] for x in theirs} - {"duplicate_user_code"} <= {
        "break",
        "purpose_not_mapped",
        "ongoing",
    }
    assert {x["company_id"] for x in duplicate} == {HORECA}
    assert {x["detail"] for x in duplicate} == {
        f"Keeping users {ANNA} (Anna de Vries) and {ANNA_COPY} (Anna de Vries) of organisation"
        f" 1 share user code '101' (one personnel number in company {HORECA}): none of their"
        " hours are sent until each has their own code"
    }
    assert [x for x in excluded if x["reason"] == "duplicate_user_code"] == duplicate
    assert "duplicate_user_code" in run.output  # the report's exclusions by reason


def test_accounts_in_two_organisations_add_up_and_the_report_says_so(shared):
    world, run = shared
    bram_hours, _ = run.expected[BRAM_EMPLOYEE]  # by code: includes organisation 4's account
    assert bram_hours == _worked_hours(world, BRAM) + Decimal("5.00")
    assert run.november[BRAM_EMPLOYEE].of_code(WORKED) == [bram_hours]
    excluded = world.lines("excluded_hours", run)
    assert not [x for x in excluded if x["user_id"] == BRAM_OTHER_ORG]

    assert "merged accounts: 1 employees" in run.output, run.describe()
    assert f"user {BRAM} (Bram Jansen, organisation 1)" in run.output
    assert f"user {BRAM_OTHER_ORG} (Bram Jansen, organisation 4) 5.00 h" in run.output
    message = world.company_runs(run)[HORECA]["message"]
    assert "merged accounts (1 employees)" in message and str(BRAM_OTHER_ORG) in message


def _worked_hours(world: SyncWorld, user: int) -> Decimal:
    (row,) = world.db.query_dicts(
        "select coalesce(sum(hours), 0) as hours from keeping.time_entries where user_id = %s"
        " and purpose = 'work' and not ongoing and hours > 0 and date between %s and %s",
        (user, PERIOD_START, PERIOD_END),
    )
    return Decimal(row["hours"])
