"""Compare what Nmbrs holds after writing with the plan."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .holdings import EmployeeId, Holding
from .planning import CompanyPlan, round_hours


def sent_hours(plan: CompanyPlan, read_back: Mapping[EmployeeId, Holding]) -> float:
    """Hours of owned codes that Nmbrs holds for the plan's employees: the ``hours_sent`` of
    :func:`~.balance.check_balance` after writing (other employees and codes are not counted)."""
    total = Decimal(0)
    for emp in plan.employees:
        held = read_back.get(emp.employee_id, Holding())
        total += sum(
            (c.hours for c in held.components if c.hour_code in emp.owned_codes), Decimal(0)
        )
    return float(total)


def verify(plan: CompanyPlan, read_back: Mapping[EmployeeId, Holding]) -> list[str]:
    """Mismatches between the plan and what Nmbrs holds after writing (empty = ok).

    Per planned employee: each owned code's total must equal the desired hours, each other
    code's total must equal what it was before, and days worked must equal the desired days.
    """
    problems: list[str] = []
    for emp in plan.employees:
        held = read_back.get(emp.employee_id, Holding())
        who = f"employee {emp.number} ({emp.name}, id {emp.employee_id})"
        totals: dict[int, Decimal] = {}
        for c in held.components:
            totals[c.hour_code] = totals.get(c.hour_code, Decimal(0)) + c.hours
        before = {c.hour_code for c in emp.current}
        for code in sorted(set(totals) | before | set(emp.desired)):
            now = round_hours(totals.get(code, Decimal(0)))
            if code in emp.owned_codes:
                want = emp.desired.get(code, Decimal(0))
                if now != want:
                    problems.append(
                        f"{who}: hour code {code} holds {now} h in Nmbrs, planned {want} h"
                    )
            else:
                was = round_hours(emp.current_hours(code))
                if now != was:
                    problems.append(
                        f"{who}: hour code {code} (not owned) changed from {was} h to {now} h"
                    )
        if (held.days or 0) != emp.desired_days:
            problems.append(
                f"{who}: days worked is {held.days} in Nmbrs, planned {emp.desired_days}"
            )
    return problems
