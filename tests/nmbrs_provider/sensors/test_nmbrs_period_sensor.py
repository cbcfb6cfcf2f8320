"""NmbrsPeriodSensor in a user's own DAG, run by `airflow dags test` against the sandbox.

The sandbox's demo companies are in 2026-11-M. A sensor waiting for 2026-12-M waits (deferred in
the triggerer, or poking from the worker) until the sandbox moves the company on, which the test
does once the sensor has asked Nmbrs at least twice (seen in the sandbox's call log), not after a
fixed time.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.airflow_fixtures import run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json

COMPANY = 54613
DAG_FILE = """
import datetime as dt

from airflow.sdk import DAG

from nmbrs_provider.sensors.nmbrs import NmbrsPeriodSensor

with DAG("wait_for_nmbrs", schedule=None, start_date=dt.datetime(2026, 1, 1), catchup=False):
    NmbrsPeriodSensor(
        task_id="wait_for_period",
        company_id={company},
        period="{{{{ params.period }}}}",
        params={{"period": "2026-12-M"}},
        deferrable={deferrable},
        poke_interval=1,
        timeout={timeout},
    )
"""


def _env(airflow_env, sandbox, tmp_path: Path, *, deferrable: bool, timeout: float) -> dict:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "wait_for_nmbrs.py").write_text(
        DAG_FILE.format(company=COMPANY, deferrable=deferrable, timeout=timeout)
    )
    env = dict(airflow_env)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
    env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(sandbox.url, *DEMO_USER)
    return env


def _period_reads(sandbox) -> int:
    return sum(1 for c in sandbox.calls() if c.get("operation") == "Company_GetCurrentPeriod")


def _move_on_after_two_reads(sandbox, stop: threading.Event) -> None:
    deadline = time.monotonic() + 300
    while not stop.is_set() and time.monotonic() < deadline:
        if _period_reads(sandbox) >= 2:
            sandbox.set_current_period(COMPANY, 2026, 12)
            return
        stop.wait(0.2)


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferred", "poking"])
def test_the_sensor_waits_until_nmbrs_reaches_the_period(
    deferrable, airflow_env, nmbrs_sandbox, tmp_path
):
    env = _env(airflow_env, nmbrs_sandbox, tmp_path, deferrable=deferrable, timeout=600)
    stop = threading.Event()
    mover = threading.Thread(target=_move_on_after_two_reads, args=(nmbrs_sandbox, stop))
    mover.start()
    try:
        result = run_airflow(env, "dags", "test", "wait_for_nmbrs")  # exits 0: the run succeeded
    finally:
        stop.set()
        mover.join()
    output = result.stdout + result.stderr
    assert "Nmbrs is in 2026-11-M, waiting for 2026-12-M" in output
    assert _period_reads(nmbrs_sandbox) >= 3, "asked again after the move"
    if deferrable:
        assert "Nmbrs reached 2026-12-M (current 2026-12-M)" in output


def test_the_sensor_succeeds_at_once_when_nmbrs_is_past_the_period(
    airflow_env, nmbrs_sandbox, tmp_path
):
    nmbrs_sandbox.set_current_period(COMPANY, 2027, 1)
    env = _env(airflow_env, nmbrs_sandbox, tmp_path, deferrable=True, timeout=600)
    result = run_airflow(env, "dags", "test", "wait_for_nmbrs")
    output = result.stdout + result.stderr
    assert "Nmbrs is in 2027-1-M, at or past 2026-12-M" in output
    assert "waiting for" not in output
    assert _period_reads(nmbrs_sandbox) == 1


def test_the_sensor_times_out_naming_the_period_nmbrs_is_in(airflow_env, nmbrs_sandbox, tmp_path):
    env = _env(airflow_env, nmbrs_sandbox, tmp_path, deferrable=True, timeout=3)
    result = run_airflow(env, "dags", "test", "wait_for_nmbrs", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "Nmbrs is still in 2026-11-M, not in 2026-12-M" in output
