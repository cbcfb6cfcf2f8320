"""An Airflow 3 backfill over three payroll periods, run by a real scheduler, per policy.

The backfill covers the three latest months whose runs are due (per the DAG's timetable: a month's
run is due ``delay_hours`` after it ends, in Europe/Amsterdam), and Nmbrs (the sandbox) is in the
last of them for both companies, so two of the periods are before the
companies' current period. The backfill creates one run per period, in order, and the scheduler
(LocalExecutor, SQLite metadata, its own API server) runs them one at a time. Afterwards the runs'
states and what Nmbrs holds per period show the ``past_period_policy``: ``fail`` fails the past
periods' runs and writes only the current period, ``skip`` skips the past periods' companies (the
runs succeed) and writes only the current period, ``retro`` writes every period, the past ones in
UnprotectedMode.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from airflow.timetables.base import TimeRestriction

from dev.local_warehouse import seed_demo
from nmbrs_provider.core.config import load_config
from nmbrs_provider.timetables import PayrollPeriodTimetable
from nmbrs_provider.timetables.schedule_config import load_schedule
from tests.airflow_fixtures import ROOT
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json
from tests.scheduling.airflow_services import AirflowServices, migrated_database

pytestmark = pytest.mark.slow

DAG_ID = "nmbrs_payroll_sync"
COMPANIES = (54613, 54614)
ANNA, BRAM = 500001, 500002  # flexible employees of 54613 (Keeping users 71001, 71002, org 1)
WORKED = 2100
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Worked hours per backfilled month (oldest first): Anna works every month, Bram only in the last.
ANNA_HOURS = (6.5, 7.0, 8.25)
BRAM_HOURS = (None, None, 4.0)
NOTHING = {ANNA: [], BRAM: []}
FINISHED = ("success", "failed")
RUN_TIMEOUT = 180

Month = tuple[int, int]


def _next(month: Month) -> Month:
    year, number = month
    return (year + 1, 1) if number == 12 else (year, number + 1)


def _previous(month: Month) -> Month:
    year, number = month
    return (year - 1, 12) if number == 1 else (year, number - 1)


def _months_to_backfill(config_path: Path) -> list[Month]:
    """The three latest periods that are due now, per the DAG's own timetable, oldest first.

    A period's run is due ``delay_hours`` after the period ends, and with catchup off the
    scheduler itself runs the latest due period, which must be one of these (or it would add a
    run). Asking the timetable, not the calendar, keeps this true on the first days of a month,
    when the latest month has ended but is not due yet.
    """
    plan = load_schedule(load_config(config_path))
    timetable = PayrollPeriodTimetable(
        "M", timezone=plan.timezone, delay=dt.timedelta(hours=plan.delay_hours), start=plan.start
    )
    restriction = TimeRestriction(earliest=None, latest=None, catchup=False)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info is not None and info.data_interval is not None
    start = info.data_interval.start.in_timezone(plan.timezone)
    last = (start.year, start.month)
    return [_previous(_previous(last)), _previous(last), last]


def _start(month: Month) -> dt.datetime:
    """00:00 Europe/Amsterdam on the month's first day, in UTC: a period's interval bound."""
    return dt.datetime(*month, 1, tzinfo=AMSTERDAM).astimezone(dt.timezone.utc)


def _period(month: Month) -> str:
    return f"{month[0]}-{month[1]}-M"


@pytest.fixture(scope="module")
def airflow_db(tmp_path_factory) -> Path:
    """One migrated metadata database, copied for each policy's installation."""
    return migrated_database(tmp_path_factory.mktemp("airflow_db_template"))


def _config(tmp_path: Path, policy: str) -> Path:
    config = yaml.safe_load((ROOT / "include" / "nmbrs_sync.yaml").read_text())
    config["past_period_policy"] = policy
    path = tmp_path / f"nmbrs_sync_{policy}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _seed(db, months: list[Month]) -> dict[Month, dict[int, list[tuple[int, float]]]]:
    """The demo data, with only this test's entries in ``months``; what syncing them writes."""
    seed_demo(db)
    db.execute(
        "delete from keeping.time_entries where date >= %s and date < %s",
        (dt.date(*months[0], 1), dt.date(*_next(months[-1]), 1)),
    )
    written = {}
    entry_ids = itertools.count(990101)
    for index, month in enumerate(months):
        rows = [(71001, 12, ANNA_HOURS[index]), (71002, 20, BRAM_HOURS[index])]
        for user_id, day, hours in rows:
            if hours is None:
                continue
            db.execute(
                "insert into keeping.time_entries (id, organisation_id, user_id, date, purpose,"
                " hours, approval_status) values (%s, 1, %s, %s, 'work', %s, 'approved')",
                (next(entry_ids), user_id, dt.date(*month, day), hours),
            )
        written[month] = {
            employee: [] if hours is None else [(WORKED, hours)]
            for employee, hours in ((ANNA, ANNA_HOURS[index]), (BRAM, BRAM_HOURS[index]))
        }
    return written


def _held(sandbox, month: Month) -> dict[int, list[tuple[int, float]]]:
    """The hour components of Anna and Bram in ``month``: [(hour code, hours)]."""
    return {
        employee: sorted(
            (c["HourCode"], float(c["Hours"])) for c in sandbox.hour_components(employee, *month)
        )
        for employee in (ANNA, BRAM)
    }


def _utc(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _wait_for_backfill(services: AirflowServices) -> list[dict]:
    """The backfill's runs once all are finished and the scheduler marked it complete."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        services.check_alive()
        runs = [
            dict(row)
            for row in services.query(
                "select r.run_id, r.run_type, r.state, r.logical_date, r.data_interval_start,"
                " r.data_interval_end, r.start_date, r.end_date, b.sort_ordinal,"
                " f.completed_at from backfill_dag_run b join dag_run r on r.id = b.dag_run_id"
                " join backfill f on f.id = b.backfill_id where r.dag_id = ?"
                " order by b.sort_ordinal",
                (DAG_ID,),
            )
        ]
        if runs and all(r["state"] in FINISHED for r in runs) and runs[0]["completed_at"]:
            return runs
        if time.monotonic() > deadline:
            raise AssertionError(
                f"backfill not finished after {RUN_TIMEOUT}s: "
                f"{[(r['run_id'], r['state']) for r in runs]}\n{services.logs()}"
            )
        time.sleep(2)


@pytest.mark.parametrize("policy", ["fail", "skip", "retro"])
def test_a_backfill_runs_each_period_in_order_under_the_past_period_policy(
    policy, tmp_path, airflow_db, nmbrs_sandbox, warehouse_db
):
    config = _config(tmp_path, policy)
    months = _months_to_backfill(config)
    *past_months, current_month = months
    written = _seed(warehouse_db, months)
    for company_id in COMPANIES:
        nmbrs_sandbox.set_current_period(company_id, *current_month)
    watched = [*months, _next(current_month)]
    before = {month: _held(nmbrs_sandbox, month) for month in watched}
    assert all(before[month] == NOTHING for month in months), before

    services = AirflowServices(
        tmp_path / "airflow_home",
        {
            "NMBRS_SYNC_CONFIG": str(config),
            "NMBRS_SQL_DIR": str(ROOT / "include" / "sql"),
            "NMBRS_WAIT_POLL_SECONDS": "1",
            "AIRFLOW_CONN_NMBRS_DEFAULT": nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER),
            "AIRFLOW_CONN_KEEPING_WAREHOUSE": warehouse_db.airflow_conn_json(),
        },
        database=airflow_db,
    )
    services.cli("dags", "reserialize")
    # Created while the DAG is still paused, so that the scheduler's own run for the latest
    # due period (catchup is off) finds the backfill's run of that period and is not created.
    from_date = dt.date(*months[0], 1).isoformat()
    to_date = (dt.date(*_next(current_month), 1) - dt.timedelta(days=1)).isoformat()
    created = services.cli(
        "backfill", "create", "--dag-id", DAG_ID, "--from-date", from_date, "--to-date", to_date,
        "--max-active-runs", "1",
    )  # fmt: skip
    services.cli("dags", "unpause", DAG_ID)
    with services:
        runs = _wait_for_backfill(services)
    output = created.stdout + created.stderr

    # One backfill run per period, created and run in period order, and no other run.
    assert [r["run_type"] for r in runs] == ["backfill"] * 3, output
    starts = [_start(month) for month in months]
    assert [_utc(r["logical_date"]) for r in runs] == starts, runs
    assert [_utc(r["data_interval_start"]) for r in runs] == starts, runs
    assert [_utc(r["data_interval_end"]) for r in runs] == [*starts[1:], _start(watched[-1])]
    for earlier, later in itertools.pairwise(runs):
        assert _utc(later["start_date"]) >= _utc(earlier["end_date"]), runs
    all_runs = services.query("select run_id, run_type from dag_run where dag_id = ?", (DAG_ID,))
    assert len(all_runs) == 3, [tuple(r) for r in all_runs]

    states = [r["state"] for r in runs]
    tasks = [services.task_states(DAG_ID, r["run_id"]) for r in runs]
    after = {month: _held(nmbrs_sandbox, month) for month in watched}
    details = f"{policy}: {states} {tasks} {after}"

    # The current period is written under every policy; the month after it is left alone.
    assert states[2] == "success", details
    assert tasks[2]["sync_company"] == ["success", "success"], details
    assert tasks[2]["fail_run_if_a_task_failed"] == ["skipped"], details
    assert after[current_month] == written[current_month], details
    assert after[watched[-1]] == before[watched[-1]], details
    for run_tasks in tasks:
        assert run_tasks["prepare"] == ["success"], details
        assert run_tasks["report"] == ["success"], details

    past_tasks = tasks[:2]
    if policy == "fail":
        assert states[:2] == ["failed", "failed"], details
        for run_tasks in past_tasks:
            assert run_tasks["sync_company"] == ["failed", "failed"], details
            assert run_tasks["fail_run_if_a_task_failed"] == ["failed"], details
        assert [after[m] for m in past_months] == [NOTHING, NOTHING], details
    elif policy == "skip":
        assert states[:2] == ["success", "success"], details
        for run_tasks in past_tasks:
            assert run_tasks["sync_company"] == ["skipped", "skipped"], details
            assert run_tasks["fail_run_if_a_task_failed"] == ["skipped"], details
        assert [after[m] for m in past_months] == [NOTHING, NOTHING], details
    else:
        assert states[:2] == ["success", "success"], details
        for run_tasks in past_tasks:
            assert run_tasks["sync_company"] == ["success", "success"], details
            assert run_tasks["fail_run_if_a_task_failed"] == ["skipped"], details
        # Nmbrs (the sandbox too) refuses writes to a past period outside UnprotectedMode.
        assert [after[m] for m in past_months] == [written[m] for m in past_months], details

    # The ledger: each company's run of each period, with the policy's outcome.
    ledger = {
        (row[0], row[1]): row[2]
        for row in warehouse_db.query(
            "select period, company_id::bigint, status from nmbrs_sync.runs"
            " where company_id is not null"
        )
    }
    current_runs = {(_period(current_month), c): "succeeded" for c in COMPANIES}
    past = [(_period(m), c) for m in past_months for c in COMPANIES]
    if policy == "fail":
        # A refused past period is recorded as failed, with the reason, in the ledger.
        assert {key: ledger.get(key) for key in past} == dict.fromkeys(past, "failed")
        assert {k: v for k, v in ledger.items() if k not in past} == current_runs, ledger
    else:
        status = "skipped" if policy == "skip" else "succeeded"
        assert ledger == {**current_runs, **dict.fromkeys(past, status)}, ledger
