"""Switching companies from SOAP to REST mid-period: the REST run finds what SOAP wrote.

The project's pipeline (``bench/sync_load.py``) loads a period over SOAP; then the same
companies are switched to an ``nmbrs_rest`` connection (their ids the REST UUIDs) and synced
again on the same Nmbrs: nothing is written twice, nothing at all when nothing changed.
"""

from __future__ import annotations

import json
from decimal import Decimal

from bench.rest_load import REST_CONN_ID, authorize_once, rest_conn
from bench.runner import CONN_ID
from bench.scenario import DOMAIN, MONTH, PERIOD, TOKEN, USERNAME, YEAR, generate
from bench.sync_load import WAREHOUSE_CONN_ID, load_warehouse, run_project
from nmbrs_provider.core.config import LoadConfig
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_sandbox import Sandbox


def test_a_company_switched_to_rest_writes_nothing_soap_already_wrote(warehouse_db, monkeypatch):
    from cryptography.fernet import Fernet

    bench = generate(40, 2, seed=3)
    load_warehouse(warehouse_db, bench)
    period = PayrollPeriod.parse(PERIOD)
    with Sandbox(bench.scenario, rest_throttle_limit=0).start() as sandbox:
        soap = {"conn_type": "nmbrs", "login": USERNAME, "password": TOKEN,
                "host": sandbox.url, "extra": {"domain": DOMAIN}}  # fmt: skip
        env = {
            f"AIRFLOW_CONN_{CONN_ID.upper()}": json.dumps(soap),
            f"AIRFLOW_CONN_{REST_CONN_ID.upper()}": json.dumps(
                rest_conn(sandbox.url, WAREHOUSE_CONN_ID, 1000, 8)
            ),
            f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": warehouse_db.airflow_conn_json(),
            "NMBRS_TOKEN_KEY": Fernet.generate_key().decode(),
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        authorize_once(sandbox, USERNAME, env)
        assert run_project(CONN_ID, bench, period, LoadConfig()) > 0
        after_soap = {e: _held(sandbox, e) for e in bench.desired}
        assert after_soap == {e: _wanted(h, d) for e, (h, d) in bench.desired.items()}
        before = len(sandbox.calls())
        written = run_project(REST_CONN_ID, bench, period, LoadConfig(), api="rest")
        calls = sandbox.calls()[before:]
    rest = [c for c in calls if c["service"] == "REST"]
    assert rest and all(c["http_status"] < 300 for c in rest)
    assert [c for c in rest if c["method"] != "GET"] == [], "REST rewrote what SOAP wrote"
    assert written == 0
    assert {e: _held(sandbox, e) for e in bench.desired} == after_soap


def _held(sandbox: Sandbox, employee_id: int) -> tuple[list[tuple[int, Decimal]], int]:
    components = sandbox.hour_components(employee_id, YEAR, MONTH)
    held = sorted((int(c["HourCode"]), Decimal(str(c["Hours"]))) for c in components)
    return held, sandbox.days_var(employee_id, YEAR, MONTH) or 0


def _wanted(hours: Decimal, days: int) -> tuple[list[tuple[int, Decimal]], int]:
    return ([(2100, hours)] if hours > 0 else []), days
