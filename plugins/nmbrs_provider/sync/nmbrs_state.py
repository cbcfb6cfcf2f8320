"""Read what Nmbrs knows about a company's employees into the core's frames."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from nmbrs_provider.core.contracts import EMPLOYEE_COLUMNS
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import components_frame
from nmbrs_provider.exceptions import NmbrsPermissionError
from nmbrs_provider.models import Salary, Schedule

if TYPE_CHECKING:
    from nmbrs_provider.hooks.nmbrs import NmbrsHook

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NmbrsHoldings:
    """What Nmbrs holds for some employees in a period."""

    components: pd.DataFrame  # employee_id, component_id, hour_code, hours
    days: dict[int, int | None]


def read_employees(hook: NmbrsHook, company_id: int, period: PayrollPeriod) -> pd.DataFrame:
    """Employees of the company with the contract signals valid in ``period``.

    Uses company-wide reads; falls back to per-employee schedule reads when the API user may
    not call ``Schedule_GetAll_AllEmployeesByCompany``.
    """
    employees = hook.list_employees(company_id)
    infos = {p.employee_id: p for p in hook.get_personal_info(company_id)}
    employments = hook.get_employments(company_id)
    salaries = hook.get_salaries(company_id)
    try:
        schedules = hook.get_schedules(company_id)
    except NmbrsPermissionError:
        log.info("No company-wide schedule read allowed; reading schedules per employee")
        schedules = {}
        for employee in employees:
            schedule = hook.get_schedule(employee.id, period)
            schedules[employee.id] = [schedule] if schedule else []
    rows = []
    for employee in employees:
        info = infos.get(employee.id)
        name = employee.display_name or (
            f"{info.first_name} {info.last_name}".strip() if info else ""
        )
        start, end = employments.get(employee.id, (None, None))
        schedule_hours = _schedule_hours(schedules.get(employee.id, []), period)
        salary = _salary_in(salaries.get(employee.id, []), period)
        rows.append(
            {
                "employee_id": employee.id,
                "number": info.number if info else employee.number,
                "name": name,
                "schedule_hours": schedule_hours,
                "salary_type": salary.type if salary else None,
                "days_fixed": math.nan,
                "start_date": pd.Timestamp(start) if start else pd.NaT,
                "end_date": pd.Timestamp(end) if end else pd.NaT,
            }
        )
    frame = pd.DataFrame(rows, columns=list(EMPLOYEE_COLUMNS))
    candidates = frame["schedule_hours"].eq(0)
    frame.loc[candidates, "days_fixed"] = [
        float(hook.get_days_fixed(int(e), period)) for e in frame.loc[candidates, "employee_id"]
    ]
    return frame


def read_holdings(
    hook: NmbrsHook, employee_ids: Iterable[int], period: PayrollPeriod
) -> NmbrsHoldings:
    """Variable hour components and days worked of ``employee_ids`` in ``period``."""
    ids: Sequence[int] = sorted({int(e) for e in employee_ids})
    components = {e: hook.get_hour_components(e, period) for e in ids}
    days = {e: hook.get_days_worked(e, period) for e in ids}
    return NmbrsHoldings(components_frame(components), days)


def _schedule_hours(history: Sequence[Schedule], period: PayrollPeriod) -> float:
    """Hours of the schedules in effect during the period (the largest, to be safe)."""
    if not history:
        return math.nan
    dated = sorted(history, key=lambda s: s.start_date or dt.date.min)
    in_effect = [s for s in dated if (s.start_date or dt.date.min) <= period.start][-1:]
    in_effect += [s for s in dated if s.start_date and period.start < s.start_date <= period.end]
    if not in_effect:
        return math.nan
    return float(max(s.total_hours for s in in_effect))


def _salary_in(history: Sequence[Salary], period: PayrollPeriod) -> Salary | None:
    valid = [s for s in history if (s.start_date or dt.date.min) <= period.end]
    return max(valid, key=lambda s: s.start_date or dt.date.min) if valid else None
