"""A run started by an upstream asset event, run by a real scheduler end to end.

The sync DAG is scheduled on the asset ``keeping://1/hours`` (``schedule.assets``, with the
payroll timetable switched off so that unpausing it creates no timetable run of its own). A
producer DAG, written exactly as the README shows, emits that asset with ``{"period":
"2026-11-M"}`` in the event's extra. Triggering the producer makes the scheduler (LocalExecutor,
SQLite metadata, its own API server) create an asset-triggered run of ``nmbrs_payroll_sync``,
which takes its period from the triggering event, writes November's hours to Nmbrs (the
sandbox, in 2026-11-M) from the real PostgreSQL warehouse, records them in the ledger and
publishes ``nmbrs://<company_id>/hours/2026-11-M``.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import ROOT
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json
from tests.scheduling.airflow_services import AirflowServices

pytestmark = pytest.mark.slow

DAG_ID = "nmbrs_payroll_sync"
PRODUCER_ID = "keeping_hours_producer"
UPSTREAM = "keeping://1/hours"
PERIOD = "2026-11-M"
COMPANIES = (54613, 54614)
ANNA, CHANTAL = 500001, 500003  # flexible (Keeping user 71001) and fixed employee of 54613
WORKED = 2100
FINISHED = ("success", "failed")
RUN_TIMEOUT = 150

# The README's producer ("When a period closes upstream"), as a DAG that only runs on demand.
PRODUCER = textwrap.dedent(
    f'''
    """Loads Keeping's hours into the warehouse and says which payroll period it closed."""

    import datetime as dt

    from airflow.sdk import DAG, Asset, Metadata, task

    KEEPING_HOURS = Asset(name="{UPSTREAM}", uri="{UPSTREAM}")

    with DAG(
        dag_id="{PRODUCER_ID}", schedule=None, start_date=dt.datetime(2025, 1, 1), catchup=False
    ):

        @task(outlets=[KEEPING_HOURS])
        def close_period():
            yield Metadata(KEEPING_HOURS, extra={{"period": "{PERIOD}"}})

        close_period()
    '''
)

# Anna's November hours straight from the time entries: work, finished, positive.
ANNA_HOURS_SQL = """
select coalesce(sum(hours), 0) from keeping.time_entries
where user_id = 71001 and purpose = 'work' and not ongoing and hours > 0
  and date >= '2026-11-01' and date < '2026-12-01'
"""


def _dags_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    shutil.copy(ROOT / "dags" / "nmbrs_payroll_sync.py", folder / "nmbrs_payroll_sync.py")
    (folder / "keeping_hours_producer.py").write_text(PRODUCER)
    return folder


def _config(tmp_path: Path) -> Path:
    config = yaml.safe_load((ROOT / "include" / "nmbrs_sync.yaml").read_text())
    # enabled: false leaves the assets as the only schedule: no timetable run on unpausing.
    config["schedule"] = {"enabled": False, "assets": [UPSTREAM], "catchup": False}
    path = tmp_path / "nmbrs_sync.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _runs(services: AirflowServices, dag_id: str) -> list[dict]:
    return [
        dict(row)
        for row in services.query(
            "select run_id, run_type, state from dag_run where dag_id = ? order by id", (dag_id,)
        )
    ]


def _wait_for_asset_triggered_run(services: AirflowServices) -> dict:
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        services.check_alive()
        runs = _runs(services, DAG_ID)
        triggered = [r for r in runs if r["run_type"] == "asset_triggered"]
        if triggered and triggered[0]["state"] in FINISHED:
            return triggered[0]
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no finished asset-triggered run of {DAG_ID} after {RUN_TIMEOUT}s: {runs}, "
                f"producer: {_runs(services, PRODUCER_ID)}\n{services.logs()}"
            )
        time.sleep(2)


def _task_log(home: Path, run_id: str, task_id: str) -> str:
    """The text of every log file of ``task_id`` in the run ``run_id``."""
    runs = home / "logs" / f"dag_id={DAG_ID}"
    files = sorted(
        path
        for path in runs.rglob("*.log")
        if f"run_id={run_id}" in path.parts and f"task_id={task_id}" in path.parts
    )
    assert files, f"no log of {task_id} in {run_id} under {runs}"
    return "\n".join(path.read_text(errors="replace") for path in files)


def test_an_asset_triggered_run_syncs_the_events_period_end_to_end(
    tmp_path, nmbrs_sandbox, warehouse_db
):
    seed_demo(warehouse_db)
    (anna_hours,), *_ = warehouse_db.query(ANNA_HOURS_SQL)
    assert anna_hours > 0
    assert nmbrs_sandbox.hour_components(ANNA, 2026, 11) == []

    services = AirflowServices(
        tmp_path / "airflow_home",
        {
            "AIRFLOW__CORE__DAGS_FOLDER": str(_dags_folder(tmp_path)),
            "NMBRS_SYNC_CONFIG": str(_config(tmp_path)),
            "NMBRS_SQL_DIR": str(ROOT / "include" / "sql"),
            "NMBRS_WAIT_POLL_SECONDS": "1",
            "AIRFLOW_CONN_NMBRS_DEFAULT": nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER),
            "AIRFLOW_CONN_KEEPING_WAREHOUSE": warehouse_db.airflow_conn_json(),
        },
    )
    services.cli("dags", "reserialize")
    serialized = {row["dag_id"] for row in services.query("select dag_id from serialized_dag")}
    assert serialized == {DAG_ID, PRODUCER_ID}, services.cli("dags", "list-import-errors").stdout
    services.cli("dags", "unpause", DAG_ID)
    services.cli("dags", "unpause", PRODUCER_ID)
    with services:
        services.cli("dags", "trigger", PRODUCER_ID)
        run = _wait_for_asset_triggered_run(services)
        # Give the scheduler a moment: a stray timetable run would show up by now.
        time.sleep(3)
        all_runs = _runs(services, DAG_ID)
        producer_runs = _runs(services, PRODUCER_ID)
    run_id = run["run_id"]
    tasks = services.task_states(DAG_ID, run_id)
    details = f"{run} {tasks}\nruns: {all_runs}\nproducer: {producer_runs}"

    # The producer ran once, and its event started exactly one run of the sync: no other.
    assert [r["state"] for r in producer_runs] == ["success"], details
    kinds = [(r["run_type"], r["state"]) for r in all_runs]
    assert kinds == [("asset_triggered", "success")], details
    assert tasks["prepare"] == ["success"], details
    assert tasks["sync_company"] == ["success", "success"], details
    assert tasks["report"] == ["success"], details
    assert tasks["fail_run_if_a_task_failed"] == ["skipped"], details
    consumed = services.query(
        "select a.uri, e.extra from dagrun_asset_event d join asset_event e on e.id = d.event_id"
        " join asset a on a.id = e.asset_id join dag_run r on r.id = d.dag_run_id"
        " where r.run_id = ? and r.dag_id = ?",
        (run_id, DAG_ID),
    )
    events = [(row["uri"], json.loads(row["extra"])) for row in consumed]
    assert events == [(UPSTREAM, {"period": PERIOD})], details

    # The period came from the triggering event (no Param, and the run has no data interval).
    prepare_log = _task_log(services.home, run_id, "prepare")
    assert f"Period {PERIOD}, from the triggering event of {UPSTREAM}" in prepare_log, prepare_log

    # Nmbrs holds Anna's November hours (worked, 2100), and nothing for fixed-salary Chantal.
    components = nmbrs_sandbox.hour_components(ANNA, 2026, 11)
    anna = [(c["HourCode"], Decimal(str(c["Hours"]))) for c in components]
    assert anna == [(WORKED, Decimal(anna_hours).quantize(Decimal("0.01")))], anna
    assert nmbrs_sandbox.hour_components(CHANTAL, 2026, 11) == []
    assert nmbrs_sandbox.hour_components(ANNA, 2026, 10) == []

    # The ledger: one succeeded run per company for November, under this Airflow run.
    ledger = warehouse_db.query(
        "select company_id::bigint as company_id, period, status, airflow_run_id"
        " from nmbrs_sync.runs"
        " where company_id is not null order by company_id"
    )
    assert [tuple(row) for row in ledger] == [
        (company, PERIOD, "succeeded", run_id) for company in COMPANIES
    ], ledger

    # Each company's load published its landed hours for downstream DAGs.
    published = services.query(
        "select a.uri, e.source_dag_id, e.source_run_id, e.source_task_id from asset_event e"
        " join asset a on a.id = e.asset_id where a.uri like 'nmbrs://%'"
    )
    assert {tuple(row) for row in published} == {
        (f"nmbrs://{company}/hours/{PERIOD}", DAG_ID, run_id, "sync_company")
        for company in COMPANIES
    }, [tuple(row) for row in published]
