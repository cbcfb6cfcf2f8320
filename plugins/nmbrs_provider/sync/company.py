"""One company's period sync: read, classify, route, plan, write, verify, record."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from nmbrs_provider.core.config import SyncConfig
from nmbrs_provider.core.contracts import classify_contracts
from nmbrs_provider.core.matching import match_employees
from nmbrs_provider.core.period_policy import RETRO, SKIP, decide_period
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import CompanyPlan, Insert, check_balance, plan_company
from nmbrs_provider.core.routing import route_hours
from nmbrs_provider.core.user_codes import describe_merged, merged_accounts
from nmbrs_provider.sync.loader import LoadSettings, apply_plan
from nmbrs_provider.sync.nmbrs_state import read_company, read_holdings

if TYPE_CHECKING:
    from nmbrs_provider.hooks.nmbrs import NmbrsHook
    from nmbrs_provider.sync.warehouse import SyncWarehouse

log = logging.getLogger(__name__)

#: What a company's writes need; checked (without writing) before the first write.
WRITE_PERMISSIONS = (
    "EmployeeService.HourComponent_Delete",
    "EmployeeService.HourComponentVar_Insert_Batch",
    "EmployeeService.DaysVar_Set_Batch",
)
#: A closed period's correction (``retro``) only inserts components and sets days.
CORRECTION_PERMISSIONS = WRITE_PERMISSIONS[1:]


@dataclass(frozen=True)
class RunIdentity:
    """Who is running: the ledger's run id and the Airflow run it belongs to."""

    run_id: str
    dag_id: str
    airflow_run_id: str


@dataclass(frozen=True)
class CompanySyncResult:
    """Small summary of a company's run (it goes to XCom)."""

    company_id: int
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


@dataclass(frozen=True)
class RowsToRead:
    """The warehouse rows that can route to one company: those matching any of its selectors."""

    organisations: list[int]
    users: list[int]
    projects: list[int]
    tasks: list[int]


def rows_to_read(config: SyncConfig, company_id: int) -> RowsToRead | None:
    """What to extract for the company; None (everything) only for the default company.

    A row that matches none of a company's selectors can only route to it as the default, and
    a row that does match is routed with every company's rules, so the narrowing is exact.
    """
    company = config.company(company_id)
    if company.default:
        return None
    return RowsToRead(
        sorted(company.organisations),
        sorted(company.users),
        sorted(company.projects),
        sorted(company.tasks),
    )


def extract_company_hours(
    warehouse: SyncWarehouse, config: SyncConfig, company_id: int, period: PayrollPeriod
) -> pd.DataFrame:
    """The period's warehouse hours that can route to the company."""
    rows = rows_to_read(config, company_id)
    by_other = rows is not None and (rows.users or rows.projects or rows.tasks)
    if rows is None or (by_other and not warehouse.selects_rows_by_user_project_task):
        # An extract SQL of one's own without user_ids/project_ids/task_ids: read everything.
        return warehouse.extract_hours(None, period)
    return warehouse.extract_hours(
        rows.organisations, period, user_ids=rows.users, project_ids=rows.projects,
        task_ids=rows.tasks,
    )  # fmt: skip


def sync_company(
    *,
    nmbrs: NmbrsHook,
    warehouse: SyncWarehouse,
    config: SyncConfig,
    company_id: int,
    period: PayrollPeriod | None,
    dry_run: bool,
    run: RunIdentity,
    load: LoadSettings | None = None,
) -> CompanySyncResult:
    """Bring Nmbrs to the desired state for one company and period, and record it all."""
    config.company(company_id)  # unknown ids fail here, naming the configured ones
    started = False

    def start(period_text: str) -> None:
        nonlocal started
        warehouse.start_run(
            run_id=run.run_id,
            dag_id=run.dag_id,
            airflow_run_id=run.airflow_run_id,
            company_id=company_id,
            period=period_text,
            dry_run=dry_run,
        )
        started = True

    try:
        current = nmbrs.get_current_period(company_id)
        period = period or current
        start(str(period))
        decision = decide_period(company_id, period, current, config.past_period_policy)
        log.info("Company %s, period %s: %s", company_id, period, decision.reason)
        if decision.action == SKIP:
            return _finish(warehouse, run, company_id, period, "skipped", None, decision.reason)
        # Plan and write under one lock: a second run of this company and period waits, then
        # plans against what the first one wrote (never against a stale read of Nmbrs).
        with warehouse.company_lock(company_id, period):
            # A closed period is corrected, never deleted from (Nmbrs refuses that: 2011).
            strategy = "correct" if decision.action == RETRO else "delete"
            plan, merged = _plan(nmbrs, warehouse, config, company_id, period, run, strategy)
            warehouse.record_plan(run.run_id, plan_lines(plan))
            log.info("Plan: %s\n%s", plan.summary(), render_plan(plan))
            if dry_run:
                return _finish(
                    warehouse, run, company_id, period, "dry_run", plan, "dry run", merged
                )
            if plan.changed:
                nmbrs.require_permissions(
                    CORRECTION_PERMISSIONS if strategy == "correct" else WRITE_PERMISSIONS
                )
                settings = load or LoadSettings.from_config(config.load)
                apply_plan(nmbrs, plan, period, unprotected=decision.unprotected, settings=settings)
        warehouse.record_sent(run.run_id, sent_lines(plan, period))
        hours_sent = plan.hours_planned
        check_balance(plan.hours_in, hours_sent, plan.hours_excluded, rounding=plan.rounding)
        message = f"{decision.reason}; {plan.summary()}"
        return _finish(warehouse, run, company_id, period, "succeeded", plan, message, merged)
    except BaseException as exc:
        _record_failure(
            warehouse, run, exc, None if started else (str(period) if period else "current", start)
        )
        raise


def _plan(
    nmbrs: NmbrsHook,
    warehouse: SyncWarehouse,
    config: SyncConfig,
    company_id: int,
    period: PayrollPeriod,
    run: RunIdentity,
    strategy: str,
) -> tuple[CompanyPlan, list[dict[str, Any]]]:
    company = config.company(company_id)
    hours = extract_company_hours(warehouse, config, company_id, period)
    staff, hour_model = read_company(
        nmbrs, company_id, period, check_days_fixed=config.load.check_days_fixed
    )
    employees = classify_contracts(staff, company.contract_overrides)
    if hour_model is None:
        log.warning("No HourModel_GetHourCodes permission: hour codes are checked by Nmbrs")
        hour_model = set(company.owned_hour_codes)
    matched, excluded = route_and_match(hours, config, company_id, period, employees, hour_model)
    warehouse.record_excluded(run.run_id, excluded)
    merged = describe_merged(merged_accounts(matched))
    for note in merged_notes(merged):
        log.info("Merged accounts: %s", note)
    flexible = employees.loc[employees["contract"].eq("flexible"), "employee_id"]
    holdings = read_holdings(nmbrs, flexible, period)
    plan = plan_company(
        company_id,
        period,
        matched,
        employees,
        company.owned_hour_codes,
        hour_model,
        holdings.components,
        holdings.days,
        comment=company.render_comment(period),
        excluded=excluded,
        strategy=strategy,
    )
    return plan, merged


def route_and_match(
    hours: pd.DataFrame,
    config: SyncConfig,
    company_id: int,
    period: PayrollPeriod,
    employees: pd.DataFrame,
    hour_model: set[int],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The company's extracted hours routed and matched to its classified employees:
    (matched rows, excluded rows with their reasons)."""
    routing = route_hours(hours, config, period=period, company_ids=[company_id])
    match = match_employees(
        routing.for_company(company_id), employees, company_id=company_id, hour_model=hour_model
    )
    excluded = pd.concat([routing.excluded_for(company_id), match.excluded], ignore_index=True)
    return match.matched, excluded


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
                "employee_id": int(row["employee_id"]),
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

    A correction (strategy ``correct``) is recorded as the code's total Nmbrs held before it
    (``unchanged``) plus the correction component (``correction``, its signed hours): together
    they are what Nmbrs holds now, as ``insert`` and ``unchanged`` lines are otherwise.
    """
    rows = []
    for emp in plan.employees:
        base = {
            "company_id": plan.company_id,
            "employee_id": emp.employee_id,
            "employee_number": emp.number,
            "period": str(period),
        }
        inserted = {i.hour_code for i in emp.inserts if not i.restored}
        corrected = {i.hour_code for i in emp.inserts if i.held_before is not None}
        rows += _correction_lines(base, emp.inserts)
        for d in emp.deletes:
            rows.append({**base, "hour_code": d.hour_code, "hours": d.hours, "days": None,
                         "action": "delete", "component_id": d.component_id})  # fmt: skip
        for code, hours in sorted(emp.desired.items()):
            if hours > 0 and code not in corrected:
                action = "insert" if code in inserted else "unchanged"
                rows.append({**base, "hour_code": code, "hours": hours, "days": None,
                             "action": action, "component_id": None})  # fmt: skip
        rows.append({**base, "hour_code": None, "hours": None, "days": emp.desired_days,
                     "action": "set_days" if emp.set_days is not None else "unchanged",
                     "component_id": None})  # fmt: skip
    return rows


def _correction_lines(base: dict[str, Any], inserts: Iterable[Insert]) -> list[dict[str, Any]]:
    rows = []
    for i in inserts:
        if i.held_before is None:
            continue
        line = {**base, "hour_code": i.hour_code, "days": None, "component_id": None}
        if i.held_before:
            rows.append({**line, "hours": i.held_before, "action": "unchanged"})
            rows.append({**line, "hours": i.hours, "action": "correction"})
        else:
            rows.append({**line, "hours": i.hours, "action": "insert"})
    return rows


def render_plan(plan: CompanyPlan, limit: int = 200) -> str:
    """The plan and its diff against Nmbrs as a readable table for the task log."""
    frame = plan.to_frame().drop(columns=["employee_id"])
    if frame.empty:
        return "(no flexible employee has hours or components of the sync's codes)"
    text = frame.head(limit).to_string(index=False, na_rep="-")
    return text + (f"\n... {len(frame) - limit} more rows" if len(frame) > limit else "")


def _finish(
    warehouse: SyncWarehouse,
    run: RunIdentity,
    company_id: int,
    period: PayrollPeriod,
    status: str,
    plan: CompanyPlan | None,
    message: str,
    merged: list[dict[str, Any]] | None = None,
) -> CompanySyncResult:
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


def _record_failure(
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
