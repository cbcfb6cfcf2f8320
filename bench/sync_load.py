"""The project's own Nmbrs path for one company-period load, without Airflow or the warehouse.

The same functions, settings and Nmbrs calls as ``nmbrs_provider.sync.company.sync_company``:
current period, ``read_company`` (employees and hour model) + ``classify_contracts``,
``read_holdings``
of the flexible employees, ``plan_company`` and, when something changes, the permission probe
and ``apply_plan`` (which reads back a sample and verifies). The warehouse extraction, routing
and matching are replaced by the generator's entries, already matched to flexible employees.

Companies run ``parallel_companies`` at a time, each with its own hook; their calls share the
account's budget as the DAG's mapped tasks (``max_active_tis_per_dag``) do across processes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd

from bench.scenario import HOUR_CODE, BenchScenario
from nmbrs_provider.core.config import LoadConfig
from nmbrs_provider.core.contracts import classify_contracts
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import plan_company
from nmbrs_provider.hooks.nmbrs import NmbrsHook
from nmbrs_provider.sync.company import WRITE_PERMISSIONS
from nmbrs_provider.sync.loader import LoadSettings, apply_plan
from nmbrs_provider.sync.nmbrs_state import read_company, read_holdings

OWNED_CODES = (HOUR_CODE,)
HOURS_COLUMNS = ["employee_id", "hour_code", "work_date", "hours", "purpose"]


@dataclass(frozen=True)
class CompanyLoad:
    """What one company's load did."""

    company_id: int
    flexible: int
    planned: int
    changed: int


def hours_frame(bench: BenchScenario, company_id: int) -> pd.DataFrame:
    """The company's matched hours as ``plan_company`` wants them."""
    rows = [
        (e.employee_id, HOUR_CODE, e.work_date, float(e.hours), "work")
        for e in bench.company_entries(company_id)
    ]
    return pd.DataFrame(rows, columns=HOURS_COLUMNS)


def load_company(
    hook: NmbrsHook,
    bench: BenchScenario,
    company_id: int,
    period: PayrollPeriod,
    load: LoadConfig | None = None,
) -> CompanyLoad:
    """Bring Nmbrs to the desired state for one company and period."""
    load = load or LoadConfig()
    hook.get_current_period(company_id)
    staff, hour_model = read_company(
        hook, company_id, period, check_days_fixed=load.check_days_fixed
    )
    employees = classify_contracts(staff)
    assert hour_model is not None, "the bench account may read the hour model"
    flexible = employees.loc[employees["contract"].eq("flexible"), "employee_id"]
    holdings = read_holdings(hook, flexible, period)
    plan = plan_company(
        company_id,
        period,
        hours_frame(bench, company_id),
        employees,
        OWNED_CODES,
        hour_model,
        holdings.components,
        holdings.days,
    )
    if plan.changed:
        hook.require_permissions(WRITE_PERMISSIONS)
        settings = LoadSettings.from_config(load)
        apply_plan(hook, plan, period, unprotected=False, settings=settings)
    return CompanyLoad(company_id, len(flexible), len(plan.employees), len(plan.changed))


def run_project(
    conn_id: str, bench: BenchScenario, period: PayrollPeriod, load: LoadConfig | None = None
) -> int:
    """Load every company, ``parallel_companies`` at a time; return the employees written."""
    load = load or LoadConfig()

    def one(company_id: int) -> int:
        hook = NmbrsHook(conn_id)
        return load_company(hook, bench, company_id, period, load).changed

    with ThreadPoolExecutor(max_workers=load.parallel_companies) as pool:
        return sum(pool.map(one, bench.company_ids))
