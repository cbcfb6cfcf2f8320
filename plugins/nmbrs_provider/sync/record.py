"""Recording a company's run in the ``nmbrs_sync`` ledger: its plan, what was sent, its end."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from nmbrs_provider.core.holdings import CompanyId
from nmbrs_provider.core.ids import plain_id
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import CompanyPlan

if TYPE_CHECKING:
    from nmbrs_provider.sync.warehouse import SyncWarehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunIdentity:
    """Who is running: the ledger's run id and the Airflow run it belongs to."""

    run_id: str
    dag_id: str
    airflow_run_id: str


@dataclass(frozen=True)
class CompanySyncResult:
    """Small summary of a company's run (it goes to XCom)."""

    company_id: CompanyId
    period: str
    status: str
    hours_read: float
    hours_sent: float
    hours_excluded: float
    employees_written: int
    employees_unchanged: int
    excluded_by_reason: dict[str, float]
    message: str
    #: Employees whose hours add up from Keeping accounts in several organisations (one person,
    #: one code): :func:`~nmbrs_provider.core.user_codes.describe_merged`.
    merged_accounts: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def merged_notes(merged: list[dict[str, Any]]) -> list[str]:
    """One line per employee of :func:`~nmbrs_provider.core.user_codes.describe_merged`."""
    return [
        f"employee {m['employee_number']} ({m['employee_name']}, id {m['employee_id']}) gets "
        f"{m['hours']:.2f} h added up from Keeping users "
        + ", ".join(
            f"{a['user_id']} ({a['user_name']}, organisation {a['organisation_id']}: "
            f"{a['hours']:.2f} h)"
            for a in m["accounts"]
        )
        for m in merged
    ]


def plan_lines(plan: CompanyPlan) -> list[dict[str, Any]]:
    """Ledger rows of the plan: per employee and hour code, and per employee for days."""
    rows = []
    for row in plan.to_frame().astype(object).to_dict("records"):
        is_days = pd.isna(row["hour_code"])
        rows.append(
            {
                "company_id": plan.company_id,
                "employee_id": plain_id(row["employee_id"]),
                "employee_number": row["employee_number"],
                "hour_code": None if is_days else int(row["hour_code"]),
                "current_hours": None if is_days else _num(row["current_hours"]),
                "desired_hours": None if is_days else _num(row["desired_hours"]),
                "action": (
                    f"{row['action']} ({_days(row['current_hours'])} -> "
                    f"{_days(row['desired_hours'])})"
                    if is_days
                    else row["action"]
                ),
            }
        )
    return rows


def sent_lines(plan: CompanyPlan, period: PayrollPeriod) -> list[dict[str, Any]]:
    """Ledger rows of what Nmbrs holds from the sync for the plan's employees.

    A replaced code is recorded as its held components deleted and the new total inserted; a
    correction as the code's total Nmbrs held before it (``unchanged``) plus the correction
    (``correction``, its signed hours): together they are what Nmbrs holds now, as ``insert``
    and ``unchanged`` lines are otherwise. However a backend reaches a code change (an update
    in place or a delete and an insert), the ledger records the same lines.
    """
    rows = []
    for emp in plan.employees:
        base = {
            "company_id": plan.company_id,
            "employee_id": emp.employee_id,
            "employee_number": emp.number,
            "period": str(period),
        }
        changed = {c.hour_code: c for c in emp.changes}
        for change in emp.changes:
            line = {**base, "hour_code": change.hour_code, "days": None, "component_id": None}
            if not change.correction:
                rows += [{**line, "hours": c.hours, "action": "delete", "component_id": c.id}
                         for c in change.held]  # fmt: skip
            elif change.held_hours:
                rows.append({**line, "hours": change.held_hours, "action": "unchanged"})
                rows.append({**line, "hours": change.difference, "action": "correction"})
            else:
                rows.append({**line, "hours": change.difference, "action": "insert"})
        for code, hours in sorted(emp.desired.items()):
            change = changed.get(code)
            if hours > 0 and not (change and change.correction):
                rows.append({**base, "hour_code": code, "hours": hours, "days": None,
                             "action": "insert" if change else "unchanged",
                             "component_id": None})  # fmt: skip
        rows.append({**base, "hour_code": None, "hours": None, "days": emp.desired_days,
                     "action": "set_days" if emp.set_days is not None else "unchanged",
                     "component_id": None})  # fmt: skip
    return rows


def render_plan(plan: CompanyPlan, limit: int = 200) -> str:
    """The plan and its diff against Nmbrs as a readable table for the task log."""
    frame = plan.to_frame().drop(columns=["employee_id"])
    if frame.empty:
        return "(no flexible employee has hours or components of the sync's codes)"
    text = frame.head(limit).to_string(index=False, na_rep="-")
    return text + (f"\n... {len(frame) - limit} more rows" if len(frame) > limit else "")


def finish_run(
    warehouse: SyncWarehouse,
    run: RunIdentity,
    company_id: CompanyId,
    period: PayrollPeriod,
    status: str,
    plan: CompanyPlan | None,
    message: str,
    merged: list[dict[str, Any]] | None = None,
) -> CompanySyncResult:
    """Close the ledger run with ``status`` and return its summary."""
    by_reason: dict[str, float] = {}
    if plan is not None and not plan.excluded.empty:
        by_reason = {
            str(k): round(float(v), 2)
            for k, v in plan.excluded.groupby("reason")["hours"].sum().items()
        }
    if merged:
        notes = merged_notes(merged)
        message += f"; merged accounts ({len(merged)} employees): " + "; ".join(notes)
    result = CompanySyncResult(
        company_id=company_id,
        period=str(period),
        status=status,
        hours_read=round(plan.hours_in, 2) if plan else 0.0,
        hours_sent=round(plan.hours_planned, 2) if plan else 0.0,
        hours_excluded=round(plan.hours_excluded, 2) if plan else 0.0,
        employees_written=len(plan.changed) if plan else 0,
        employees_unchanged=len(plan.employees) - len(plan.changed) if plan else 0,
        excluded_by_reason=by_reason,
        message=message,
        merged_accounts=merged or [],
    )
    warehouse.finish_run(
        run_id=run.run_id,
        status=status,
        hours_read=result.hours_read,
        hours_sent=result.hours_sent,
        hours_excluded=result.hours_excluded,
        employees_written=result.employees_written,
        employees_unchanged=result.employees_unchanged,
        message=message[:4000],
    )
    return result


def record_failure(
    warehouse: SyncWarehouse,
    run: RunIdentity,
    exc: BaseException,
    unstarted: tuple[str, Callable[[str], None]] | None,
) -> None:
    """Close the ledger run as failed (opening it first when the failure came before)."""
    try:
        if unstarted is not None:
            period_text, start = unstarted
            start(period_text)
        warehouse.finish_run(
            run_id=run.run_id,
            status="failed",
            hours_read=None,
            hours_sent=None,
            hours_excluded=None,
            employees_written=None,
            employees_unchanged=None,
            message=f"{type(exc).__name__}: {exc}"[:4000],
        )
    except Exception:  # the warehouse may be what failed; keep the original error
        log.exception("Could not record the failure of run %s in the ledger", run.run_id)


def _num(value: Any) -> Decimal | None:
    if value is None or pd.isna(value):
        return None
    return Decimal(str(round(float(value), 2)))


def _days(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else str(int(value))
