"""One company's period sync, as named steps: the code the DAG, the benchmark and the tests run.

:func:`sync_company` reads as the pipeline::

    decide the period -> extract -> read Nmbrs' state -> classify and plan -> apply -> verify
    -> record

Each step is a function with typed inputs and outputs. The steps talk to Nmbrs only through
:class:`~nmbrs_provider.backend.NmbrsBackend` (SOAP: ``hooks.nmbrs.NmbrsHook``); routing,
classification and planning are the functional core and never see which backend runs.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from nmbrs_provider.core.config import LoadConfig, SyncConfig
from nmbrs_provider.core.contracts import EMPLOYEE_COLUMNS, classify_contracts
from nmbrs_provider.core.holdings import (
    CompanyFacts,
    CompanyId,
    EmployeeFacts,
    EmployeeId,
    Holding,
    WriteCounts,
)
from nmbrs_provider.core.matching import match_employees
from nmbrs_provider.core.period_policy import RETRO, SKIP, PeriodDecision, decide_period
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import CompanyPlan, check_balance, plan_company
from nmbrs_provider.core.routing import route_hours
from nmbrs_provider.core.user_codes import describe_merged, merged_accounts
from nmbrs_provider.core.verification import verify
from nmbrs_provider.exceptions import NmbrsError
from nmbrs_provider.sync.extract import extract_company_hours
from nmbrs_provider.sync.record import (
    CompanySyncResult,
    RunIdentity,
    finish_run,
    merged_notes,
    plan_lines,
    record_failure,
    render_plan,
    sent_lines,
)

if TYPE_CHECKING:
    from nmbrs_provider.backend import NmbrsBackend
    from nmbrs_provider.sync.warehouse import SyncWarehouse

log = logging.getLogger(__name__)

__all__ = [
    "CompanySyncResult",
    "LoadSettings",
    "NmbrsState",
    "Planned",
    "RunIdentity",
    "VerificationError",
    "apply",
    "classify_and_plan",
    "company_number",
    "decide",
    "extract",
    "open_backend",
    "read_nmbrs_state",
    "record",
    "sync_company",
    "verify_written",
]


class VerificationError(NmbrsError):
    """Nmbrs does not hold what was planned after writing."""


@dataclass
class LoadSettings:
    """Which written employees are read back: ``all``, ``none`` or a ``sample`` of
    ``verify_sample`` (the next run reads every employee again before planning)."""

    verify: str = "sample"
    verify_sample: int = 3

    @classmethod
    def from_config(cls, load: LoadConfig) -> LoadSettings:
        """The settings of the config's ``load`` section."""
        return cls(verify=load.verify, verify_sample=load.verify_sample)


@dataclass(frozen=True)
class NmbrsState:
    """What Nmbrs knows of a company in a period: its classified employees (the core's
    :data:`~nmbrs_provider.core.contracts.EMPLOYEE_COLUMNS` with ``contract``), the hour model's
    codes, and what the flexible employees hold."""

    employees: pd.DataFrame
    hour_model: frozenset[int]
    holdings: dict[EmployeeId, Holding]


@dataclass(frozen=True)
class Planned:
    """A company's plan, with its excluded rows and the employees merged from several accounts."""

    plan: CompanyPlan
    excluded: pd.DataFrame
    merged: list[dict[str, Any]]


def open_backend(conn_id: str, load: LoadConfig, *, batch_size: int | None = None) -> NmbrsBackend:
    """The backend of a company's ``nmbrs_conn_id`` (SOAP or REST by the connection's type),
    SOAP batching writes by ``load.chunk_size``."""
    from nmbrs_provider.backends import backend_for

    return backend_for(conn_id, batch_size=batch_size or load.chunk_size)


# -- the steps ------------------------------------------------------------------------------------


def decide(
    nmbrs: NmbrsBackend, config: SyncConfig, company_id: CompanyId, period: PayrollPeriod | None
) -> tuple[PayrollPeriod, PeriodDecision]:
    """Decide the period: the one asked for (or Nmbrs' current one) and what the past-period
    policy does with it."""
    current = nmbrs.get_current_period(company_id)
    period = period or current
    decision = decide_period(company_id, period, current, config.past_period_policy)
    log.info("Company %s, period %s: %s", company_id, period, decision.reason)
    return period, decision


def extract(
    warehouse: SyncWarehouse, config: SyncConfig, company_id: CompanyId, period: PayrollPeriod
) -> pd.DataFrame:
    """Extract the period's warehouse hours that can route to the company."""
    return extract_company_hours(warehouse, config, company_id, period)


def read_nmbrs_state(
    nmbrs: NmbrsBackend, config: SyncConfig, company_id: CompanyId, period: PayrollPeriod
) -> NmbrsState:
    """Read Nmbrs' state: employees and hour model, classified (to know who is flexible), then
    what the flexible employees hold."""
    company = config.company(company_id)
    facts = nmbrs.read_company(company_id, period, check_days_fixed=config.load.check_days_fixed)
    employees = classify_contracts(employees_frame(facts.employees), company.contract_overrides)
    hour_model = hour_codes_of(facts, company.owned_hour_codes)
    flexible = employees.loc[employees["contract"].eq("flexible"), "employee_id"]
    return NmbrsState(employees, hour_model, nmbrs.read_holdings(list(flexible), period))


def classify_and_plan(
    config: SyncConfig,
    company_id: CompanyId,
    period: PayrollPeriod,
    decision: PeriodDecision,
    hours: pd.DataFrame,
    state: NmbrsState,
) -> Planned:
    """Route the hours to the company, match them to its classified employees and plan the
    changes (corrections only for a closed period: Nmbrs refuses deletes there, 2011)."""
    company = config.company(company_id)
    routing = route_hours(hours, config, period=period, company_ids=[company_id])
    match = match_employees(
        routing.for_company(company_id),
        state.employees,
        company_id=company_id,
        hour_model=set(state.hour_model),
    )
    excluded = pd.concat([routing.excluded_for(company_id), match.excluded], ignore_index=True)
    merged = describe_merged(merged_accounts(match.matched))
    for note in merged_notes(merged):
        log.info("Merged accounts: %s", note)
    plan = plan_company(
        company_id,
        period,
        match.matched,
        state.employees,
        company.owned_hour_codes,
        state.hour_model,
        state.holdings,
        comment=company.render_comment(period),
        excluded=excluded,
        strategy="correct" if decision.action == RETRO else "replace",
    )
    return Planned(plan, excluded, merged)


def apply(nmbrs: NmbrsBackend, plan: CompanyPlan, decision: PeriodDecision) -> WriteCounts:
    """Apply the plan's change set, after checking (without writing) that it may."""
    changes = plan.change_set(unprotected=decision.unprotected)
    if not changes:
        return WriteCounts()
    nmbrs.check_write_access(changes)
    return nmbrs.apply(changes)


def verify_written(nmbrs: NmbrsBackend, plan: CompanyPlan, settings: LoadSettings) -> None:
    """Verify: read back (some of) the employees written to and compare with the plan."""
    written = dataclasses.replace(plan, employees=to_verify(plan.changed, settings))
    if not written.employees:
        return
    read_back = nmbrs.read_holdings([e.employee_id for e in written.employees], plan.period)
    problems = verify(written, read_back)
    if problems:
        raise VerificationError(
            f"Company {plan.company_id}, period {plan.period}: Nmbrs does not hold what was "
            "sent:\n- " + "\n- ".join(problems[:20])
        )


def record(
    warehouse: SyncWarehouse,
    run: RunIdentity,
    planned: Planned,
    decision: PeriodDecision,
) -> CompanySyncResult:
    """Record what Nmbrs now holds from the sync, check the balance and close the run."""
    plan = planned.plan
    warehouse.record_sent(run.run_id, sent_lines(plan, plan.period))
    check_balance(plan.hours_in, plan.hours_planned, plan.hours_excluded, rounding=plan.rounding)
    message = f"{decision.reason}; {plan.summary()}"
    return finish_run(
        warehouse, run, plan.company_id, plan.period, "succeeded", plan, message, planned.merged
    )


# -- the pipeline ---------------------------------------------------------------------------------


def sync_company(
    *,
    nmbrs: NmbrsBackend,
    warehouse: SyncWarehouse,
    config: SyncConfig,
    company_id: CompanyId,
    period: PayrollPeriod | None,
    dry_run: bool,
    run: RunIdentity,
    load: LoadSettings | None = None,
) -> CompanySyncResult:
    """Bring Nmbrs to the desired state for one company and period, and record it all."""
    config.company(company_id)  # unknown ids fail here, naming the configured ones
    opened: list[str] = []

    def open_run(period_text: str, number: int | None = None) -> None:
        warehouse.start_run(
            run_id=run.run_id, dag_id=run.dag_id, airflow_run_id=run.airflow_run_id,
            company_id=company_id, period=period_text, dry_run=dry_run,
            nmbrs_api=nmbrs.api, company_number=number,
        )  # fmt: skip
        opened.append(period_text)

    try:
        period, decision = decide(nmbrs, config, company_id, period)
        open_run(str(period), company_number(nmbrs, company_id))
        if decision.action == SKIP:
            return finish_run(warehouse, run, company_id, period, "skipped", None, decision.reason)
        # Plan and write under one lock: a second run of this company and period waits, then
        # plans against what the first one wrote (never against a stale read of Nmbrs).
        with warehouse.company_lock(company_id, period):
            hours = extract(warehouse, config, company_id, period)
            state = read_nmbrs_state(nmbrs, config, company_id, period)
            planned = classify_and_plan(config, company_id, period, decision, hours, state)
            warehouse.record_excluded(run.run_id, planned.excluded)
            warehouse.record_plan(run.run_id, plan_lines(planned.plan))
            log.info("Plan: %s\n%s", planned.plan.summary(), render_plan(planned.plan))
            if dry_run:
                return finish_run(warehouse, run, company_id, period, "dry_run", planned.plan,
                                  "dry run", planned.merged)  # fmt: skip
            if planned.plan.changed:
                apply(nmbrs, planned.plan, decision)
                verify_written(nmbrs, planned.plan, load or LoadSettings.from_config(config.load))
        return record(warehouse, run, planned, decision)
    except BaseException as exc:
        unopened = None if opened else (str(period) if period else "current", open_run)
        record_failure(warehouse, run, exc, unopened)
        raise


# -- step helpers ---------------------------------------------------------------------------------


def company_number(nmbrs: NmbrsBackend, company_id: CompanyId) -> int | None:
    """The company's Nmbrs number (the same under SOAP and REST; the ledger links a company's
    runs under either id by it), or None when Nmbrs does not list the company."""
    try:
        companies = nmbrs.list_companies()
    except NmbrsError as exc:  # the number only links history: never a reason to stop
        log.warning("Company %s: no company number from Nmbrs (%s)", company_id, exc)
        return None
    wanted = str(company_id).lower()
    return next((c.number for c in companies if str(c.id).lower() == wanted), None)


def employees_frame(facts: Sequence[EmployeeFacts]) -> pd.DataFrame:
    """The backend's employees as the classifier's frame (:data:`EMPLOYEE_COLUMNS`)."""
    rows = [
        {
            "employee_id": f.employee_id,
            "number": f.number,
            "name": f.name,
            "schedule_hours": float("nan") if f.schedule_hours is None else f.schedule_hours,
            "salary_type": f.salary_type,
            "days_fixed": float("nan") if f.days_fixed is None else f.days_fixed,
            "start_date": pd.Timestamp(f.start_date) if f.start_date else pd.NaT,
            "end_date": pd.Timestamp(f.end_date) if f.end_date else pd.NaT,
        }
        for f in facts
    ]
    return pd.DataFrame(rows, columns=list(EMPLOYEE_COLUMNS))


def hour_codes_of(facts: CompanyFacts, owned: Sequence[int]) -> frozenset[int]:
    """The hour model's codes; the owned codes when the API user may not read the model."""
    if facts.hour_codes is None:
        log.warning("No permission to read the hour model: hour codes are checked by Nmbrs")
        return frozenset(owned)
    return facts.hour_codes


def to_verify(changed: Sequence[Any], settings: LoadSettings) -> tuple[Any, ...]:
    """The written employees to read back: all, none, or an even spread of ``verify_sample``.

    A sample catches what goes wrong for a whole batch (a write ignored, the wrong period) at a
    constant cost per company; the next run reads every employee again before planning, so a
    single employee's difference is still found and corrected then.
    """
    if settings.verify == "all":
        return tuple(changed)
    if settings.verify == "none" or settings.verify_sample <= 0 or not changed:
        return ()
    if len(changed) <= settings.verify_sample:
        return tuple(changed)
    step = len(changed) / settings.verify_sample
    return tuple(changed[int(i * step)] for i in range(settings.verify_sample))
