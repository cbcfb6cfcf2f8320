"""Start of a sync run: choose the companies and account for hours that no company takes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from nmbrs_provider.core.config import SyncConfig
from nmbrs_provider.core.ids import id_key
from nmbrs_provider.core.periods import PayrollPeriod, PeriodType
from nmbrs_provider.core.routing import route_hours

if TYPE_CHECKING:
    from nmbrs_provider.sync.warehouse import SyncWarehouse

log = logging.getLogger(__name__)


def select_companies(config: SyncConfig, period_type: str, requested: Any) -> list[int | str]:
    """The DAG's companies (of ``period_type``), restricted to ``requested`` when given."""
    of_type = [c.company_id for c in config.companies_of_type(PeriodType.parse(period_type))]
    if requested in (None, "", [], "None"):
        return of_type
    many = isinstance(requested, Iterable) and not isinstance(requested, str)
    ids = [_company_id(i) for i in (requested if many else [requested])]
    unknown = sorted(set(ids) - set(of_type), key=id_key)
    if unknown:
        raise ValueError(
            f"Companies {unknown} are not {PeriodType.parse(period_type).name.lower()} companies "
            f"of the config {config.source}; this DAG syncs {of_type}."
        )
    return ids


def _company_id(value: Any) -> int | str:
    """An int for a SOAP id (``"54613"`` too), else the text of a REST UUID."""
    text = str(value).strip()
    return int(text) if text.isdigit() else text.lower()


def prepare_run(
    *,
    config: SyncConfig,
    warehouse: SyncWarehouse,
    period_type: str,
    period: PayrollPeriod | None,
    companies: Any,
    airflow_run_id: str,
    dag_id: str,
    attempt: int,
    current_period: Callable[[int], PayrollPeriod],
) -> list[int]:
    """Apply the ledger schema, record unroutable hours of the period(s), return company ids.

    Without ``period`` each company syncs its current period (``current_period(id)``, asked
    of Nmbrs): the unroutable hours of each of those periods are recorded.
    """
    selected = select_companies(config, period_type, companies)
    warehouse.apply_ledger_schema()
    if period is not None:
        if period.type != PeriodType.parse(period_type):
            raise ValueError(
                f"Period {period} is not a {PeriodType.parse(period_type).name.lower()} period; "
                f"this DAG syncs {period_type} companies."
            )
        periods = {period: selected}
    else:
        periods = {}
        for company_id in selected:
            periods.setdefault(current_period(company_id), []).append(company_id)
        log.info(
            "No period given: current periods in Nmbrs %s", {str(p): c for p, c in periods.items()}
        )
    for each, ids in sorted(periods.items()):
        _record_unrouted(config, warehouse, each, ids, airflow_run_id, dag_id, attempt)
    log.info("Companies to sync: %s", selected)
    return selected


def _record_unrouted(
    config: SyncConfig,
    warehouse: SyncWarehouse,
    period: PayrollPeriod,
    companies: list[int],
    airflow_run_id: str,
    dag_id: str,
    attempt: int,
) -> None:
    hours = warehouse.extract_hours(None, period)
    routing = route_hours(hours, config, period=period, company_ids=companies)
    nowhere = routing.excluded[routing.excluded["company_id"].isna()]
    run_id = f"{airflow_run_id}/unrouted/{period}/try{attempt}"
    total = round(float(nowhere["hours"].sum()), 2)
    warehouse.start_run(
        run_id=run_id,
        dag_id=dag_id,
        airflow_run_id=airflow_run_id,
        company_id=None,
        period=str(period),
        dry_run=False,
    )
    warehouse.record_excluded(run_id, nowhere)
    by_reason = nowhere.groupby("reason")["hours"].sum().round(2).to_dict()
    warehouse.finish_run(
        run_id=run_id,
        status="succeeded",
        hours_read=total,
        hours_sent=0,
        hours_excluded=total,
        employees_written=0,
        employees_unchanged=0,
        message=f"hours no company of this run takes: {by_reason or 'none'}",
    )
    log.info("Hours no company takes in %s: %.2f h %s", period, total, by_reason)
