"""Payroll sync DAGs: one per payroll period type present in the sync config.

``nmbrs_payroll_sync`` (monthly companies), ``nmbrs_payroll_sync_4w`` and
``nmbrs_payroll_sync_w``. Trigger with ``{"period": "2026-11-M"}`` or leave the period empty to
sync each company's current period; ``companies`` restricts the run, ``dry_run`` writes nothing.
The config (``NMBRS_SYNC_CONFIG``, default nmbrs_sync.yaml beside this file, else
include/nmbrs_sync.yaml) and the SQL files (``NMBRS_SQL_DIR``, else a ``sql`` folder beside the
config, else the project's include/sql, else the SQL the provider package ships)
are checked when this file is parsed: a mistake shows as an import error naming file, key or
parameter, and every path tried.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from airflow.sdk import DAG, Asset, AssetAlias, AssetOrTimeSchedule, Param, task

from nmbrs_provider.core.config import load_config
from nmbrs_provider.operators.payroll_sync import (
    HOURS_ALIAS,
    NmbrsPayrollSyncOperator,
    NmbrsSyncPrepareOperator,
)
from nmbrs_provider.sync import settings
from nmbrs_provider.timetables import PayrollPeriodTimetable
from nmbrs_provider.timetables.schedule_config import load_schedule

DAG_IDS = {"M": "nmbrs_payroll_sync", "4W": "nmbrs_payroll_sync_4w", "W": "nmbrs_payroll_sync_w"}
EXAMPLES = {"M": "2026-11-M", "4W": "2026-12-4W", "W": "2026-48-W"}
PROJECT = Path(__file__).resolve().parents[1]
CONFIG_PATH = settings.find_config(project=PROJECT, dag_folder=Path(__file__).resolve().parent)
CONFIG = load_config(CONFIG_PATH)
SCHEDULE = load_schedule(CONFIG)  # the Airflow-only section, checked beside the timetable
# NMBRS_SQL_DIR, else a sql folder beside the config, else the project's include/sql; every
# file the sync runs is read and checked now, so a problem is an import error, not a task's.
SQL_DIR = settings.sql_dir(CONFIG_PATH, project=PROJECT)
settings.read_sync_sql(SQL_DIR)
# How long a company's task waits (deferred) for Nmbrs to reach the run's period, and how often
# it asks Nmbrs meanwhile.
WAIT_TIMEOUT = dt.timedelta(hours=float(os.environ.get("NMBRS_WAIT_TIMEOUT_HOURS", 168)))
WAIT_POLL_SECONDS = float(os.environ.get("NMBRS_WAIT_POLL_SECONDS", 300))


def schedule_of(period_type: str):
    """Once per payroll period (and on the configured upstream assets), or only on demand."""
    plan = SCHEDULE
    assets = [Asset(name=uri, uri=uri) for uri in plan.assets]
    if not plan.enabled:
        return assets or None
    timetable = PayrollPeriodTimetable(
        period_type,
        timezone=plan.timezone,
        delay=dt.timedelta(hours=plan.delay_hours),
        start=plan.start,
    )
    return AssetOrTimeSchedule(timetable=timetable, assets=assets) if assets else timetable


def first_day(period_type: str) -> dt.datetime:
    """The DAG's start_date: the configured start, or a past date when none is set."""
    timetable = PayrollPeriodTimetable(period_type, timezone=SCHEDULE.timezone)
    if SCHEDULE.start is None:
        return dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    from nmbrs_provider.core.periods import PayrollPeriod

    try:
        period = PayrollPeriod.parse(SCHEDULE.start)
    except ValueError:
        period = PayrollPeriod.containing(dt.date.fromisoformat(SCHEDULE.start), period_type)
    return timetable.interval_of(period).start


def build_dag(period_type: str) -> DAG:
    """The sync DAG of one period type."""
    with DAG(
        dag_id=DAG_IDS[period_type],
        description=f"Send flexible employees' hours to Nmbrs ({period_type} periods)",
        schedule=schedule_of(period_type),
        start_date=first_day(period_type),
        catchup=SCHEDULE.catchup,
        max_active_runs=1,
        render_template_as_native_obj=True,
        default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
        tags=["nmbrs", "payroll"],
        doc_md=__doc__,
        params={
            "period": Param(
                None,
                type=["null", "string"],
                description=f"Payroll period as Nmbrs writes it, e.g. {EXAMPLES[period_type]}; "
                "empty: each company's current period.",
            ),
            "companies": Param(
                None,
                type=["null", "array"],
                items={"type": ["integer", "string"]},
                description="Nmbrs company IDs to sync (SOAP: numbers, REST: UUIDs); empty: "
                "every company of this DAG.",
            ),
            "dry_run": Param(
                False, type="boolean", description="Plan and record, write nothing to Nmbrs."
            ),
        },
    ) as dag:
        companies = NmbrsSyncPrepareOperator(
            task_id="prepare",
            period_type=period_type,
            period="{{ params.period }}",
            companies="{{ params.companies }}",
            config_path=str(CONFIG_PATH),
            sql_dir=str(SQL_DIR),
            timezone=SCHEDULE.timezone,
        )
        synced = NmbrsPayrollSyncOperator.partial(
            task_id="sync_company",
            dry_run="{{ params.dry_run }}",
            config_path=str(CONFIG_PATH),
            sql_dir=str(SQL_DIR),
            map_index_template="company {{ task.company_id }}",
            # At most this many company tasks at once, across runs and backfills alike; their
            # calls share the account's calls_per_second.
            max_active_tis_per_dag=CONFIG.load.parallel_companies,
            wait_timeout=WAIT_TIMEOUT,
            wait_poll_interval=WAIT_POLL_SECONDS,
            outlets=[AssetAlias(HOURS_ALIAS)],
        ).expand_kwargs(companies.output)

        @task(trigger_rule="all_done")
        def report(results: list[dict]) -> str:
            """Print what each company sent and excluded."""
            from nmbrs_provider.sync.report import render_results

            landed = [results[i] for i in range(len(results))]  # companies that succeeded
            text = render_results(r for r in landed if r)
            print(text)
            return text

        @task(trigger_rule="one_failed", retries=0)
        def fail_run_if_a_task_failed() -> None:
            """Keep the run failed when a company failed (the report runs regardless)."""
            raise RuntimeError("A company's sync failed: see its task log and nmbrs_sync.runs.")

        [companies, synced] >> fail_run_if_a_task_failed()
        report(synced.output)
    return dag


for _type in sorted({c.period_type.value for c in CONFIG.companies}):
    globals()[DAG_IDS[_type]] = build_dag(_type)
