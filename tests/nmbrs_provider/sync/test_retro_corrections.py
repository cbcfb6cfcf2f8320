"""Correcting a period Nmbrs has closed, over real SOAP against the sandbox: the plan inserts
correction components in UnprotectedMode on top of what Nmbrs holds, and an answer lost on the
way back neither doubles a correction nor loses it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from nmbrs_provider.core.holdings import HourComponent
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import CompanyPlan, plan_company
from nmbrs_provider.exceptions import NmbrsProtectedPeriodError
from nmbrs_provider.hooks.nmbrs import NmbrsHook
from nmbrs_provider.sync.pipeline import LoadSettings, verify_written
from tests.nmbrs_provider.conftest import DEMO_USER

NOVEMBER = PayrollPeriod.parse("2026-11-M")
HORECA, ANNA, DAAN = 54613, 500001, 500004
WORKED, HOLIDAY = 2100, 3100
INSERT = "HourComponentVar_Insert_Batch"
ALL = LoadSettings(verify="all")


def apply_plan(hook: NmbrsHook, plan: CompanyPlan, *, unprotected: bool) -> None:
    """The backend's writes of the plan, then the pipeline's verify step."""
    hook.apply(plan.change_set(unprotected=unprotected))
    verify_written(hook, plan, ALL)


@pytest.fixture
def closed(nmbrs_sandbox, nmbrs_connection):
    """Anna holds the sync's 10 h of November, Daan his hand-entered holiday hours; then Nmbrs
    moves on to December."""
    conn_id = nmbrs_connection("nmbrs_retro", nmbrs_sandbox.url, *DEMO_USER)
    hook = NmbrsHook(conn_id, backoff_seconds=0.01)
    hook.insert_hour_components(
        [(ANNA, HourComponent(0, WORKED, Decimal("10.00"), "Keeping 2026-11-M"))], NOVEMBER
    )
    nmbrs_sandbox.set_current_period(HORECA, 2026, 12)
    return nmbrs_sandbox, hook


def _plan(hook: NmbrsHook, anna_hours: float) -> CompanyPlan:
    """November's plan for Anna (``anna_hours`` worked on 3 November) and Daan (no hours)."""
    staff = [ANNA, DAAN]
    return plan_company(
        HORECA,
        NOVEMBER,
        pd.DataFrame(
            {
                "employee_id": [ANNA],
                "hour_code": [WORKED],
                "work_date": pd.to_datetime([dt.date(2026, 11, 3)]),
                "hours": [anna_hours],
                "purpose": ["work"],
            }
        ),
        pd.DataFrame(
            {
                "employee_id": staff,
                "number": ["101", "104"],
                "name": ["Anna", "Daan"],
                "contract": ["flexible", "flexible"],
            }
        ),
        {WORKED},
        {WORKED, HOLIDAY},
        hook.read_holdings(staff, NOVEMBER),
        strategy="correct",
    )


def _held(sandbox, employee_id: int) -> list[tuple[int, float]]:
    return [
        (c["HourCode"], float(c["Hours"])) for c in sandbox.hour_components(employee_id, 2026, 11)
    ]


def _inserts(sandbox, start: int) -> list[dict]:
    return [c for c in sandbox.calls()[start:] if c["operation"] == INSERT]


def test_a_closed_period_is_corrected_on_top_of_what_nmbrs_holds(closed):
    sandbox, hook = closed
    daan_before = _held(sandbox, DAAN)
    plan = _plan(hook, 12.5)
    assert plan.change_set().corrections_only

    apply_plan(hook, plan, unprotected=True)

    assert _held(sandbox, ANNA) == [(WORKED, 10.0), (WORKED, 2.5)]
    assert _held(sandbox, DAAN) == daan_before == [(HOLIDAY, 8.0)]
    assert sandbox.hour_components(ANNA, 2026, 12) == []
    assert _plan(hook, 12.5).changed == (), "a rerun finds nothing to correct"


def test_a_correction_lowers_the_total_with_negative_hours(closed):
    sandbox, hook = closed
    apply_plan(hook, _plan(hook, 7.25), unprotected=True)
    assert _held(sandbox, ANNA) == [(WORKED, 10.0), (WORKED, -2.75)]


def test_a_correction_needs_unprotected_mode(closed):
    sandbox, hook = closed
    plan = _plan(hook, 12.5)
    start = len(sandbox.calls())
    with pytest.raises(NmbrsProtectedPeriodError, match="Sync the current period"):
        apply_plan(hook, plan, unprotected=False)
    assert [c["fault_code"] for c in _inserts(sandbox, start)] == [2011]
    assert _held(sandbox, ANNA) == [(WORKED, 10.0)]


def test_a_lost_answer_to_a_correction_is_not_resent(closed):
    sandbox, hook = closed
    plan = _plan(hook, 12.5)
    start = len(sandbox.calls())
    sandbox.inject(operation=INSERT, kind="http_503_after_apply", times=1)

    apply_plan(hook, plan, unprotected=True)

    assert [c["injected"] for c in _inserts(sandbox, start)] == ["http_503_after_apply"]
    assert _held(sandbox, ANNA) == [(WORKED, 10.0), (WORKED, 2.5)]


def test_a_correction_refused_before_nmbrs_applied_it_is_sent_again(closed):
    sandbox, hook = closed
    plan = _plan(hook, 12.5)
    start = len(sandbox.calls())
    sandbox.inject(operation=INSERT, kind="http_503", times=1)

    apply_plan(hook, plan, unprotected=True)

    assert [c["injected"] for c in _inserts(sandbox, start)] == ["http_503", None]
    assert _held(sandbox, ANNA) == [(WORKED, 10.0), (WORKED, 2.5)]
