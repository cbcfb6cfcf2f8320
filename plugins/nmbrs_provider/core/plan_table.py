"""A company plan as a readable table: current and desired hours, and the action, per code."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .planning import CompanyPlan, EmployeePlan

COLUMNS = (
    "employee_id",
    "employee_number",
    "employee_name",
    "hour_code",
    "current_hours",
    "desired_hours",
    "action",
)


def plan_frame(plan: CompanyPlan) -> pd.DataFrame:
    """One row per employee and hour code, and one for days (``hour_code`` NA)."""
    rows: list[dict[str, Any]] = []
    for emp in plan.employees:
        who = {
            "employee_id": emp.employee_id,
            "employee_number": emp.number,
            "employee_name": emp.name,
        }
        for code in sorted({c.hour_code for c in emp.current} | set(emp.desired)):
            owned = code in emp.owned_codes
            rows.append(
                {
                    **who,
                    "hour_code": code,
                    "current_hours": float(emp.current_hours(code)),
                    "desired_hours": (
                        float(emp.desired.get(code, Decimal(0))) if owned else math.nan
                    ),
                    "action": code_action(emp, code),
                }
            )
        rows.append(
            {
                **who,
                "hour_code": pd.NA,
                "current_hours": math.nan if emp.current_days is None else emp.current_days,
                "desired_hours": float(emp.desired_days),
                "action": "set days" if emp.set_days is not None else "keep days",
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["hour_code"] = frame["hour_code"].astype("Int64")
    return frame


def code_action(emp: EmployeePlan, code: int) -> str:
    """``keep``, ``insert``, ``replace``, ``delete``, ``correct`` or ``untouched (...)``."""
    if code not in emp.owned_codes:
        return "untouched (code not owned)"
    change = next((c for c in emp.changes if c.hour_code == code), None)
    if change is None:
        return "keep"
    if change.correction:
        return "correct"
    if not change.held:
        return "insert"
    return "replace" if change.hours > 0 else "delete"
