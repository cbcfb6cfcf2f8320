"""The pipeline's planning, apply and verify steps over a second backend: an in-memory Nmbrs.

The stand-in implements only what the steps call (``read_holdings``, ``check_write_access``,
``apply``); the planner and the steps run unchanged on it, as they do on SOAP.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from decimal import Decimal

import pandas as pd
import pytest

from nmbrs_provider.core.config import parse_config
from nmbrs_provider.core.contracts import classify_contracts
from nmbrs_provider.core.holdings import Holding, HourComponent
from nmbrs_provider.core.period_policy import decide_period
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import check_balance
from nmbrs_provider.core.routing import HOURS_COLUMNS, route_hours
from nmbrs_provider.core.verification import sent_hours, verify
from nmbrs_provider.sync.pipeline import (
    LoadSettings,
    NmbrsState,
    apply,
    classify_and_plan,
    verify_written,
)

NOV = PayrollPeriod.parse("2026-11-M")
CONFIG = parse_config(
    {
        "approved_only": True,
        "hour_codes": {"worked": 2100, "purposes": {"statutory_leave": 3100}},
        "companies": [
            {
                "company_id": 54613,
                "organisations": [1],
                "contract_overrides": {"103": "flexible"},
            },
            {"company_id": 60000, "nmbrs_conn_id": "nmbrs_b", "organisations": [2]},
            {"company_id": 80000, "period_type": "4W", "organisations": [3]},
        ],
    },
    source="pipeline.yaml",
)
HOUR_MODELS = {54613: {2100, 3100, 5000}, 60000: {2100}}
# company, employee_id, number, name, schedule hours, salary type, days fixed
STAFF = [
    (54613, 501, "101", "Anna de Vries", 0.0, "Bruto_Uurloon", 0.0),
    (54613, 502, "102", "Bram Bakker", 40.0, "Bruto_Salaris_Fulltime", 5.0),
    (54613, 503, "103", "Cor Dekker", 0.0, "Bruto_Salaris_Partime", 0.0),  # override
    (60000, 601, "101", "Dewi Eng", 0.0, None, math.nan),  # same number, other company
]


def employees(company_id: int) -> pd.DataFrame:
    rows = [r for r in STAFF if r[0] == company_id]
    frame = pd.DataFrame(
        {
            "employee_id": [r[1] for r in rows],
            "number": [r[2] for r in rows],
            "name": [r[3] for r in rows],
            "schedule_hours": [r[4] for r in rows],
            "salary_type": [r[5] for r in rows],
            "days_fixed": [r[6] for r in rows],
            "start_date": pd.to_datetime(["2024-01-01"] * len(rows)),
            "end_date": pd.to_datetime([None] * len(rows)),
        }
    )
    overrides = CONFIG.company(company_id).contract_overrides
    return classify_contracts(frame, overrides)


def entry(org, user, code, day, hours, purpose="work", status="approved", state="ok"):
    return {
        "organisation_id": org,
        "user_id": user,
        "user_code": code,
        "user_name": f"user {user}",
        "user_state": "active",
        "work_date": dt.date(2026, 11, day) if day else dt.date(2026, 12, 1),
        "purpose": purpose,
        "project_id": None,
        "task_id": None,
        "approval_status": status,
        "entry_state": state,
        "hours": hours,
        "entries": 1,
    }


WAREHOUSE = [
    entry(1, 11, "101", 3, 8.0),
    entry(1, 11, "101", 4, 7.25),
    entry(1, 11, "101", 5, 8.0, purpose="statutory_leave"),
    entry(1, 11, "101", 6, 1.0, purpose="break"),
    entry(1, 11, "101", 7, 2.0, state="ongoing"),
    entry(1, 11, "101", None, 3.0),  # December: outside the period
    entry(1, 12, "102", 3, 8.0),  # fixed contract
    entry(1, 13, "103", 3, 5.5),  # flexible by override
    entry(1, 13, "103", 4, 2.0, status="pending"),
    entry(1, 14, "109", 3, 4.0),  # nobody has number 109
    entry(2, 21, "101", 3, 6.0),  # company 60000's employee 101
    entry(3, 31, "301", 3, 9.0),  # a 4-week company: another run
    entry(5, 51, "501", 3, 9.0),  # no company, no default
]


class FakeNmbrs:
    """Variable hour components and days of one period, changed the way Nmbrs changes them."""

    def __init__(self) -> None:
        self.components: list[dict] = []
        self.days: dict[int, int | None] = {}
        self.ids = itertools.count(9000)
        self.calls = 0

    def holdings(self, employee_ids) -> dict:
        wanted = {int(e) for e in employee_ids}
        held: dict[int, list] = {e: [] for e in wanted}
        for c in self.components:
            if c["employee_id"] in wanted:
                held[c["employee_id"]].append(
                    HourComponent(c["component_id"], c["hour_code"], Decimal(str(c["hours"])))
                )
        return {e: Holding(tuple(comps), self.days.get(e)) for e, comps in held.items()}

    def read_holdings(self, employee_ids, period) -> dict:
        return self.holdings(employee_ids)

    def check_write_access(self, changes) -> None:
        pass

    def apply(self, changes) -> None:
        """Each code change as a delete of what is held and one insert; days as set."""
        for change in changes.employees:
            for code in change.codes:
                gone = {h.id for h in code.held}
                self.calls += len(gone) + (1 if code.hours else 0)
                self.components = [c for c in self.components if c["component_id"] not in gone]
                if code.hours:
                    self.components.append(
                        {
                            "employee_id": change.employee_id,
                            "component_id": next(self.ids),
                            "hour_code": code.hour_code,
                            "hours": code.hours,
                        }
                    )
            if change.days is not None:
                self.calls += 1
                self.days[change.employee_id] = change.days


def run(warehouse: list[dict], nmbrs: dict[int, FakeNmbrs]) -> dict:
    hours = pd.DataFrame(warehouse, columns=list(HOURS_COLUMNS))
    routing = route_hours(hours, CONFIG, period=NOV)  # what prepare_run accounts for
    plans, excluded_hours, sent = {}, routing.hours_excluded, 0.0
    decision = decide_period(0, NOV, NOV, "fail")
    for company_id in routing.company_ids:
        fake = nmbrs[company_id]
        staff = employees(company_id)
        state = NmbrsState(
            staff, frozenset(HOUR_MODELS[company_id]), fake.holdings(staff["employee_id"])
        )
        plan = classify_and_plan(CONFIG, company_id, NOV, decision, hours, state).plan
        apply(fake, plan, decision)
        verify_written(fake, plan, LoadSettings(verify="all"))
        read_back = fake.holdings(staff["employee_id"])
        assert verify(plan, read_back) == []
        sent += sent_hours(plan, read_back)
        excluded_hours += plan.hours_excluded - float(
            routing.excluded_for(company_id)["hours"].fillna(0.0).sum()
        )
        plans[company_id] = plan
    rounding = sum(p.rounding for p in plans.values())
    check_balance(routing.hours_in, sent, excluded_hours, rounding=rounding)
    return {"routing": routing, "plans": plans, "sent": sent, "excluded": excluded_hours}


def test_first_run_sends_flexible_hours_and_accounts_for_every_other_hour():
    nmbrs = {54613: FakeNmbrs(), 60000: FakeNmbrs()}
    nmbrs[54613].components.append(
        {"employee_id": 501, "component_id": 1, "hour_code": 5000, "hours": 2.0}
    )
    nmbrs[54613].components.append(
        {"employee_id": 502, "component_id": 2, "hour_code": 2100, "hours": 12.0}
    )
    result = run(WAREHOUSE, nmbrs)
    assert result["routing"].company_ids == (54613, 60000)
    held = {
        (c["employee_id"], c["hour_code"]): float(c["hours"])
        for fake in nmbrs.values()
        for c in fake.components
    }
    assert held == {
        (501, 5000): 2.0,  # hand-entered, untouched
        (502, 2100): 12.0,  # fixed employee, untouched
        (501, 2100): 15.25,
        (501, 3100): 8.0,
        (503, 2100): 5.5,
        (601, 2100): 6.0,
    }
    assert nmbrs[54613].days == {501: 2, 503: 1}
    assert nmbrs[60000].days == {601: 1}
    assert result["sent"] == pytest.approx(34.75)
    total = sum(e["hours"] for e in WAREHOUSE)
    assert result["sent"] + result["excluded"] == pytest.approx(total)
    reasons = set(result["routing"].excluded["reason"])
    assert reasons == {
        "break",
        "ongoing",
        "outside_period",
        "not_approved",
        "other_run",
        "unrouted",
    }


def test_second_run_with_the_same_hours_writes_nothing_and_a_change_writes_little():
    nmbrs = {54613: FakeNmbrs(), 60000: FakeNmbrs()}
    run(WAREHOUSE, nmbrs)
    calls = nmbrs[54613].calls
    again = run(WAREHOUSE, nmbrs)
    assert all(e.unchanged for p in again["plans"].values() for e in p.employees)
    assert nmbrs[54613].calls == calls

    changed = [*WAREHOUSE, entry(1, 13, "103", 5, 1.5)]
    third = run(changed, nmbrs)
    cor = {e.employee_id: e for e in third["plans"][54613].employees}[503]
    ((change,),) = [cor.changes]
    assert len(change.held) == 1 and change.hours == pytest.approx(7.0)
    assert cor.set_days == 2
    assert {e.employee_id for e in third["plans"][54613].changed} == {503}


def test_hours_withdrawn_in_keeping_are_removed_from_nmbrs():
    nmbrs = {54613: FakeNmbrs(), 60000: FakeNmbrs()}
    run(WAREHOUSE, nmbrs)
    without_anna = [e for e in WAREHOUSE if e["user_id"] != 11]
    run(without_anna, nmbrs)
    anna = [c for c in nmbrs[54613].components if c["employee_id"] == 501]
    assert anna == []
    assert nmbrs[54613].days[501] == 0
