"""Operators of the payroll sync: prepare a run, and sync one company (mapped)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from nmbrs_provider.backends import as_company_id, check_company_id
from nmbrs_provider.exceptions import NmbrsConfigurationError
from nmbrs_provider.sync import settings

if TYPE_CHECKING:
    from airflow.sdk import Context

    from nmbrs_provider.backend import NmbrsBackend
    from nmbrs_provider.core.config import SyncConfig
    from nmbrs_provider.core.periods import PayrollPeriod
    from nmbrs_provider.lineage import SyncLineage
    from nmbrs_provider.sync.warehouse import SyncWarehouse


#: Asset alias under which each company's load emits ``nmbrs://<company_id>/hours/<period>``.
HOURS_ALIAS = "nmbrs_hours"


def hours_asset(company_id: int, period: str) -> Any:
    """The Asset a company's landed hours of a period are published as."""
    from airflow.sdk import Asset

    return Asset(
        name=f"nmbrs_hours_{company_id}_{period}", uri=f"nmbrs://{company_id}/hours/{period}"
    )


def _period(value: Any) -> PayrollPeriod | None:
    from nmbrs_provider.core.periods import PayrollPeriod

    if value in (None, "", "None"):
        return None
    return PayrollPeriod.parse(str(value))


def run_period(
    param: Any, context: Context, period_type: str, timezone: str
) -> tuple[PayrollPeriod | None, str]:
    """The run's payroll period and where it came from.

    In order: the ``period`` Param; the run's data interval when it is exactly a payroll
    period (scheduled runs, backfills, manual runs with a logical date); the ``period`` in the
    extra of the triggering asset event; else None: each company's current period in Nmbrs.
    """
    from nmbrs_provider.core.periods import PeriodError
    from nmbrs_provider.timetables import period_of_interval

    period = _period(param)
    if period is not None:
        return period, "the period Param"
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is not None and end is not None and start != end:
        try:
            interval_period = period_of_interval(
                start, period_type, timezone, data_interval_end=end
            )
        except PeriodError:
            pass  # not a payroll-period interval (a DAG without the payroll timetable)
        else:
            return interval_period, f"the run's data interval {start} - {end}"
    for asset, events in (context.get("triggering_asset_events") or {}).items():
        for event in reversed(list(events)):
            text = (event.extra or {}).get("period")
            if text:
                return _period(text), f"the triggering event of {getattr(asset, 'uri', asset)}"
    return None, "each company's current period in Nmbrs (no Param, interval or event period)"


def _setup(
    config_path: str | None, sql_dir: str | None, company_id: Any = None
) -> tuple[SyncConfig, SyncWarehouse]:
    """The config (with ``company_id`` in it), the checked SQL files and the warehouse
    connection.

    A problem with any of them is a setup mistake, not an outage: the task fails at once,
    without retries, with a message naming the file, key or connection to fix.
    """
    from nmbrs_provider.core.config import ConfigError, load_config
    from nmbrs_provider.sync.warehouse import SyncWarehouse, WarehouseSetupError

    try:
        path = settings.find_config(config_path)
        config = load_config(path)
        if company_id is not None:
            company = config.company(as_company_id(company_id))
            check_company_id(company.company_id, company.nmbrs_conn_id)
        folder = settings.sql_dir(path, sql_dir)
        warehouse = SyncWarehouse(
            config.warehouse_conn_id, folder.path, sql=settings.read_sync_sql(folder)
        )
        warehouse.check_connection()
    except (
        ConfigError,
        NmbrsConfigurationError,
        settings.SqlFileError,
        WarehouseSetupError,
    ) as exc:
        raise AirflowFailException(str(exc)) from None
    return config, warehouse


def _call_budgets(config: SyncConfig, context: Context) -> Any:
    """The task's Nmbrs calls share each API user's budget with every worker, through leases
    in the warehouse (:mod:`nmbrs_provider.coordination`)."""
    from nmbrs_provider.coordination.warehouse import task_call_budgets

    return task_call_budgets(config.warehouse_conn_id, context)


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
        timezone: str = "Europe/Amsterdam",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.period_type = period_type
        self.timezone = timezone
        self.period = period
        self.companies = companies
        self.config_path = config_path
        self.sql_dir = sql_dir

    def execute(self, context: Context) -> list[dict[str, Any]]:
        from nmbrs_provider.exceptions import NmbrsError
        from nmbrs_provider.sync.pipeline import open_backend
        from nmbrs_provider.sync.prepare import prepare_run

        config, warehouse = _setup(self.config_path, self.sql_dir)
        with _call_budgets(config, context):
            try:
                period, source = run_period(self.period, context, self.period_type, self.timezone)
                self.log.info("Period %s, from %s", period or "(current per company)", source)
                companies = prepare_run(
                    config=config,
                    warehouse=warehouse,
                    period_type=self.period_type,
                    period=period,
                    companies=self.companies,
                    airflow_run_id=context["run_id"],
                    dag_id=self.dag_id,
                    attempt=context["ti"].try_number,
                    current_period=lambda company_id: open_backend(
                        config.company(company_id).nmbrs_conn_id, config.load
                    ).get_current_period(company_id),
                )
            except ValueError as exc:  # config, period and company-selection errors
                raise AirflowFailException(str(exc)) from None
            except NmbrsError as exc:
                if exc.transient:
                    raise
                raise AirflowFailException(str(exc)) from None  # 1001, 1002, a missing connection
        return [{"company_id": c, "period": str(period) if period else None} for c in companies]


class NmbrsPayrollSyncOperator(BaseOperator):
    """Sync one company's payroll period: warehouse hours of flexible employees to Nmbrs.

    Writes only the difference with what Nmbrs holds, verifies it, and records the run, every
    line sent and every hour excluded in the ``nmbrs_sync`` ledger.

    :param company_id: Nmbrs company ID (must be in the config).
    :param period: period to sync; empty for the company's current period.
    :param dry_run: plan and record, write nothing to Nmbrs.
    :param insert_chunk_size: items per batch call; default the config's ``load.chunk_size``.

    The task paces its Nmbrs calls under the connection's ``calls_per_second``, a budget its
    API user shares with every task of every worker through leases in the warehouse; the DAG
    runs at most ``load.parallel_companies`` company tasks at once.

    Each run sends StatsD metrics (:mod:`nmbrs_provider.sync.metrics`) and, with the
    OpenLineage provider installed, its lineage (:mod:`nmbrs_provider.lineage`).
    """

    template_fields: Sequence[str] = ("company_id", "period", "dry_run", "config_path")
    ui_color = "#fdf1e8"
    #: When Nmbrs has not reached the run's period yet, wait (deferred, no worker slot held)
    #: this long for it, polling every ``wait_poll_interval`` seconds.
    default_wait_timeout = dt.timedelta(days=7)

    def __init__(
        self,
        *,
        company_id: Any,
        period: Any = None,
        dry_run: Any = False,
        config_path: str | None = None,
        sql_dir: str | None = None,
        insert_chunk_size: int | None = None,
        wait_timeout: dt.timedelta | None = None,
        wait_poll_interval: float = 300.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.wait_timeout = wait_timeout or self.default_wait_timeout
        self.wait_poll_interval = wait_poll_interval
        self.company_id = company_id
        self.period = period
        self.dry_run = dry_run
        self.config_path = config_path
        self.sql_dir = sql_dir
        self.insert_chunk_size = insert_chunk_size
        self._lineage: SyncLineage | None = None
        self._nmbrs_hook: NmbrsBackend | None = None

    def execute(self, context: Context) -> dict[str, Any]:
        period = _period(self.period)
        self.log.info("Company %s: period %s", self.company_id, period or "current in Nmbrs")
        config, warehouse = _setup(self.config_path, self.sql_dir, self.company_id)
        with _call_budgets(config, context):
            if period is not None:
                from nmbrs_provider.exceptions import NmbrsError

                try:
                    self._defer_while_nmbrs_is_behind(period, config)
                except NmbrsError as exc:
                    if exc.transient:
                        raise
                    # A permanent error: _sync meets it again, records it, fails without retry.
            return self._sync(context, config, warehouse)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume after waiting for Nmbrs to reach the period."""
        if event["status"] != "reached":
            raise AirflowFailException(
                f"Company {event['company_id']}: waited {self.wait_timeout} for Nmbrs to reach "
                f"period {event['period']}, but it is still in {event['current']}. Process the "
                f"payroll run of {event['current']} in Nmbrs, then clear this task."
            )
        self.log.info("Nmbrs reached %s (current %s)", event["period"], event["current"])
        config, warehouse = _setup(self.config_path, self.sql_dir, self.company_id)
        with _call_budgets(config, context):
            return self._sync(context, config, warehouse)

    def _nmbrs(self, config: SyncConfig) -> NmbrsBackend:
        """The company's backend, one per task process (it counts the task's calls)."""
        from nmbrs_provider.sync.pipeline import open_backend

        if self._nmbrs_hook is None:
            self._nmbrs_hook = open_backend(
                config.company(as_company_id(self.company_id)).nmbrs_conn_id,
                config.load,
                batch_size=self.insert_chunk_size,
            )
        return self._nmbrs_hook

    def _defer_while_nmbrs_is_behind(self, period: PayrollPeriod, config: SyncConfig) -> None:
        from nmbrs_provider.triggers.nmbrs import NmbrsCurrentPeriodTrigger

        company_id = as_company_id(self.company_id)
        conn_id = config.company(company_id).nmbrs_conn_id
        current = self._nmbrs(config).get_current_period(company_id)
        if current.type != period.type or current >= period:
            return
        self.log.info(
            "Company %s: Nmbrs is still in %s; waiting up to %s for %s without a worker slot",
            company_id, current, self.wait_timeout, period,
        )  # fmt: skip
        deadline = dt.datetime.now(dt.timezone.utc) + self.wait_timeout
        self.defer(
            trigger=NmbrsCurrentPeriodTrigger(
                nmbrs_conn_id=conn_id,
                company_id=company_id,
                period=str(period),
                deadline=deadline.isoformat(),
                poll_interval=self.wait_poll_interval,
            ),
            method_name="execute_complete",
            timeout=self.wait_timeout + dt.timedelta(minutes=10),
        )

    def _sync(
        self, context: Context, config: SyncConfig, warehouse: SyncWarehouse
    ) -> dict[str, Any]:
        from nmbrs_provider.core.config import ConfigError
        from nmbrs_provider.core.period_policy import (
            FuturePeriodError,
            PastPeriodError,
            PeriodTypeMismatch,
        )
        from nmbrs_provider.core.periods import PeriodError
        from nmbrs_provider.exceptions import NmbrsError
        from nmbrs_provider.lineage import SyncLineage
        from nmbrs_provider.sync import metrics
        from nmbrs_provider.sync.pipeline import LoadSettings, RunIdentity, sync_company

        company_id = as_company_id(self.company_id)
        warehouse.apply_ledger_schema()
        ti = context["ti"]
        run = RunIdentity(
            run_id=f"{context['run_id']}/{company_id}/try{ti.try_number}",
            dag_id=self.dag_id,
            airflow_run_id=context["run_id"],
        )
        nmbrs = self._nmbrs(config)
        started, result = time.monotonic(), None
        try:
            result = sync_company(
                nmbrs=nmbrs,
                warehouse=warehouse,
                config=config,
                company_id=company_id,
                period=_period(self.period),
                dry_run=_truthy(self.dry_run),
                run=run,
                load=LoadSettings.from_config(config.load),
            )
        except (ConfigError, PeriodError, PastPeriodError, PeriodTypeMismatch,
                FuturePeriodError) as exc:  # fmt: skip
            raise AirflowFailException(str(exc)) from None
        except NmbrsError as exc:
            if exc.transient:
                raise
            raise AirflowFailException(f"Company {company_id}: {exc}") from None
        finally:
            summary = result.as_dict() if result is not None else None
            metrics.emit(
                metrics.company_run_metrics(
                    company_id, summary, nmbrs.call_stats, time.monotonic() - started
                )
            )
        self._lineage = SyncLineage(
            warehouse_conn_id=config.warehouse_conn_id,
            sql={"extract_period_hours.sql": warehouse.sql("extract_period_hours.sql")},
            nmbrs_domain=nmbrs.namespace,
            result=result.as_dict(),
        )
        self.log.info("Company %s: %s", company_id, result.message)
        if result.status == "skipped":
            raise AirflowSkipException(result.message)
        if result.status == "succeeded":
            self._emit_landed(context, result.as_dict())
        return result.as_dict()

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage inputs (warehouse tables), output (the company's Nmbrs hours of the
        period) and facet of the run; None without the OpenLineage provider."""
        from nmbrs_provider.lineage import operator_lineage

        return operator_lineage(self._lineage)

    def _emit_landed(self, context: Context, result: dict[str, Any]) -> None:
        """Tell downstream DAGs the company's hours of the period have landed in Nmbrs."""
        from airflow.sdk import AssetAlias

        if not any(isinstance(o, AssetAlias) and o.name == HOURS_ALIAS for o in self.outlets):
            return
        context["outlet_events"][AssetAlias(HOURS_ALIAS)].add(
            hours_asset(result["company_id"], result["period"]),
            extra={
                "company_id": result["company_id"],
                "period": result["period"],
                "hours_sent": result["hours_sent"],
                "hours_excluded": result["hours_excluded"],
                "employees_written": result["employees_written"],
                "employees_unchanged": result["employees_unchanged"],
                "run_id": context["run_id"],
            },
        )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)
