"""Operators of the payroll sync: prepare a run, and sync one company (mapped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from nmbrs_provider.sync import settings

if TYPE_CHECKING:
    from airflow.sdk import Context

    from nmbrs_provider.core.config import SyncConfig
    from nmbrs_provider.core.periods import PayrollPeriod


def _period(value: Any) -> PayrollPeriod | None:
    from nmbrs_provider.core.periods import PayrollPeriod

    if value in (None, "", "None"):
        return None
    return PayrollPeriod.parse(str(value))


def _load_config(path: str | None) -> SyncConfig:
    from nmbrs_provider.core.config import load_config

    return load_config(settings.config_path(path))


class NmbrsSyncPrepareOperator(BaseOperator):
    """Validate the config, apply the ledger schema, account for hours no company takes, and
    return the ids of the companies to sync (the mapped task expands over them).

    :param period_type: ``M``, ``4W`` or ``W``: the DAG's companies.
    :param period: period to sync (``2026-11-M``); empty for each company's current period.
    :param companies: company ids to restrict the run to; empty for all of the type.
    """

    template_fields: Sequence[str] = ("period", "companies", "config_path")
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        period_type: str,
        period: Any = None,
        companies: Any = None,
        config_path: str | None = None,
        sql_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.period_type = period_type
        self.period = period
        self.companies = companies
        self.config_path = config_path
        self.sql_dir = sql_dir

    def execute(self, context: Context) -> list[int]:
        from nmbrs_provider.hooks.nmbrs import NmbrsHook
        from nmbrs_provider.sync.prepare import prepare_run
        from nmbrs_provider.sync.warehouse import SyncWarehouse

        path = settings.config_path(self.config_path)
        config = _load_config(self.config_path)
        warehouse = SyncWarehouse(config.warehouse_conn_id, settings.sql_dir(path, self.sql_dir))
        try:
            return prepare_run(
                config=config,
                warehouse=warehouse,
                period_type=self.period_type,
                period=_period(self.period),
                companies=self.companies,
                airflow_run_id=context["run_id"],
                dag_id=self.dag_id,
                attempt=context["ti"].try_number,
                current_period=lambda company_id: NmbrsHook(
                    config.company(company_id).nmbrs_conn_id
                ).get_current_period(company_id),
            )
        except ValueError as exc:  # config, period and company-selection errors
            raise AirflowFailException(str(exc)) from None


class NmbrsPayrollSyncOperator(BaseOperator):
    """Sync one company's payroll period: warehouse hours of flexible employees to Nmbrs.

    Writes only the difference with what Nmbrs holds, verifies it, and records the run, every
    line sent and every hour excluded in the ``nmbrs_sync`` ledger.

    :param company_id: Nmbrs company ID (must be in the config).
    :param period: period to sync; empty for the company's current period.
    :param dry_run: plan and record, write nothing to Nmbrs.
    """

    template_fields: Sequence[str] = ("company_id", "period", "dry_run", "config_path")
    ui_color = "#fdf1e8"

    def __init__(
        self,
        *,
        company_id: Any,
        period: Any = None,
        dry_run: Any = False,
        config_path: str | None = None,
        sql_dir: str | None = None,
        insert_chunk_size: int = 500,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.company_id = company_id
        self.period = period
        self.dry_run = dry_run
        self.config_path = config_path
        self.sql_dir = sql_dir
        self.insert_chunk_size = insert_chunk_size

    def execute(self, context: Context) -> dict[str, Any]:
        from nmbrs_provider.core.config import ConfigError
        from nmbrs_provider.core.period_policy import (
            FuturePeriodError,
            PastPeriodError,
            PeriodTypeMismatch,
        )
        from nmbrs_provider.core.periods import PeriodError
        from nmbrs_provider.exceptions import NmbrsError
        from nmbrs_provider.hooks.nmbrs import NmbrsHook
        from nmbrs_provider.sync.company import RunIdentity, sync_company
        from nmbrs_provider.sync.loader import LoadSettings
        from nmbrs_provider.sync.warehouse import SyncWarehouse

        path = settings.config_path(self.config_path)
        config = _load_config(self.config_path)
        company_id = int(self.company_id)
        company = config.company(company_id)
        warehouse = SyncWarehouse(config.warehouse_conn_id, settings.sql_dir(path, self.sql_dir))
        warehouse.apply_ledger_schema()
        ti = context["ti"]
        run = RunIdentity(
            run_id=f"{context['run_id']}/{company_id}/try{ti.try_number}",
            dag_id=self.dag_id,
            airflow_run_id=context["run_id"],
        )
        try:
            result = sync_company(
                nmbrs=NmbrsHook(company.nmbrs_conn_id),
                warehouse=warehouse,
                config=config,
                company_id=company_id,
                period=_period(self.period),
                dry_run=_truthy(self.dry_run),
                run=run,
                load=LoadSettings(chunk_size=self.insert_chunk_size),
            )
        except (ConfigError, PeriodError, PastPeriodError, PeriodTypeMismatch,
                FuturePeriodError) as exc:  # fmt: skip
            raise AirflowFailException(str(exc)) from None
        except NmbrsError as exc:
            if exc.transient:
                raise
            raise AirflowFailException(f"Company {company_id}: {exc}") from None
        self.log.info("Company %s: %s", company_id, result.message)
        if result.status == "skipped":
            raise AirflowSkipException(result.message)
        return result.as_dict()


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)
