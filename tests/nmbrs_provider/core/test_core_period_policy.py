"""The past-period policy decides what a run may write."""

from __future__ import annotations

import pytest

from nmbrs_provider.core.period_policy import (
    RETRO,
    SKIP,
    WRITE,
    FuturePeriodError,
    PastPeriodError,
    PeriodTypeMismatch,
    decide_period,
)
from nmbrs_provider.core.periods import PayrollPeriod

NOV, DEC, JAN = (PayrollPeriod.parse(p) for p in ("2026-11-M", "2026-12-M", "2027-1-M"))


@pytest.mark.parametrize("policy", ["fail", "retro", "skip"])
def test_the_current_period_is_written_whatever_the_policy(policy):
    decision = decide_period(54613, DEC, DEC, policy)
    assert decision.action == WRITE and not decision.unprotected


def test_fail_names_the_current_period_and_the_ways_out():
    with pytest.raises(PastPeriodError) as err:
        decide_period(54613, NOV, DEC, "fail")
    text = str(err.value)
    assert "2026-12-M" in text and "past_period_policy: retro" in text and "skip" in text


def test_retro_writes_in_unprotected_mode():
    decision = decide_period(54613, NOV, JAN, "retro")
    assert decision.action == RETRO and decision.unprotected
    assert "retroactive" in decision.reason


def test_skip_leaves_the_company_alone():
    assert decide_period(54613, NOV, DEC, "skip").action == SKIP


@pytest.mark.parametrize("policy", ["fail", "retro", "skip"])
def test_a_period_nmbrs_has_not_reached_is_never_written(policy):
    with pytest.raises(FuturePeriodError, match="still in period 2026-11-M"):
        decide_period(54613, DEC, NOV, policy)


def test_a_period_of_another_type_is_refused():
    with pytest.raises(PeriodTypeMismatch, match="period_type 4W"):
        decide_period(54613, NOV, PayrollPeriod.parse("2026-12-4W"), "retro")
