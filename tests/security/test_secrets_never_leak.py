"""A full period run leaves the Nmbrs token and the warehouse password in no log, XCom,
ledger row or file."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from dev.local_warehouse import seed_demo
from nmbrs_sandbox.scenario import DEMO_PATH
from tests.airflow_fixtures import ROOT, run_airflow
from tests.nmbrs_provider.conftest import nmbrs_conn_json

TOKEN = "LEAK-CANARY-7f3a9c2e41"
PASSWORD = "PG-CANARY-b81d55e0c9"  # the test server trusts loopback, so any password works


def test_a_full_period_run_never_writes_the_token_anywhere(
    airflow_env, nmbrs_sandbox_factory, warehouse_db
):
    scenario = yaml.safe_load(DEMO_PATH.read_text())
    scenario["accounts"][0]["token"] = TOKEN
    sandbox = nmbrs_sandbox_factory(scenario)
    seed_demo(warehouse_db)
    env = dict(airflow_env)
    env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(sandbox.url, "demo@example.com", TOKEN)
    warehouse_conn = json.loads(warehouse_db.airflow_conn_json())
    warehouse_conn["password"] = PASSWORD
    env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = json.dumps(warehouse_conn)
    # INFO, Airflow's default. (At DEBUG, Airflow's own supervisor echoes every secret it is
    # asked to mask, the connection password included: never run production at DEBUG.)
    env["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "INFO"

    result = run_airflow(
        env, "dags", "test", "nmbrs_payroll_sync", "--conf", json.dumps({"period": "2026-11-M"})
    )

    assert sandbox.hour_components(500001, 2026, 11), "the run must really have sent hours"
    for secret in (TOKEN, PASSWORD):
        assert secret not in result.stdout + result.stderr
        home = Path(env["AIRFLOW_HOME"])
        leaked = [p for p in home.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
        assert leaked == [], f"{secret} found in {leaked}"
    rows = warehouse_db.query_dicts(
        "select string_agg(t::text, ' ') as text from ("
        " select r::text as t from nmbrs_sync.runs r union all"
        " select s::text from nmbrs_sync.sent_lines s union all"
        " select x::text from nmbrs_sync.excluded_hours x union all"
        " select p::text from nmbrs_sync.plan_lines p) as everything"
    )
    assert rows[0]["text"] and TOKEN not in rows[0]["text"] and PASSWORD not in rows[0]["text"]
    assert not any(TOKEN in json.dumps(call) for call in sandbox.calls())
    repo_files = [p for p in (ROOT / "include").rglob("*") if p.is_file()]
    assert not any(TOKEN.encode() in p.read_bytes() for p in repo_files)
