"""The ledger records which API each run used and the Nmbrs company number, so a company moved
from SOAP to REST keeps its history on the Nmbrs page.

Acme Horeca runs through ``sync_company`` first on its SOAP connection (id 54613), then, moved,
on an ``nmbrs_rest`` connection (its UUID): the real sandbox over HTTP serves both APIs, the
real PostgreSQL warehouse holds the ledger, and the page's own queries read it back.
"""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest
import yaml

from nmbrs_provider.backends import backend_for
from nmbrs_provider.core.config import load_config
from nmbrs_provider.sync.pipeline import RunIdentity, sync_company
from nmbrs_provider.sync.warehouse import SyncWarehouse
from nmbrs_provider.ui import queries
from nmbrs_sandbox.rest.ids import company_uuid

HORECA = 54613
HORECA_UUID = company_uuid(HORECA)
SQL_DIR = Path(__file__).resolve().parents[3] / "include" / "sql"


def _config(tmp_path: Path, company_id: int | str, conn_id: str) -> object:
    path = tmp_path / f"sync-{conn_id}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "warehouse_conn_id": "keeping_warehouse",
                "hour_codes": {"worked": 2100},
                "companies": [
                    {"company_id": company_id, "nmbrs_conn_id": conn_id, "organisations": [1]}
                ],
            }
        ),
        "utf-8",
    )
    return load_config(path)


def _sync(tmp_path: Path, company_id: int | str, conn_id: str, run_id: str) -> None:
    config = _config(tmp_path, company_id, conn_id)
    warehouse = SyncWarehouse("keeping_warehouse", SQL_DIR)
    warehouse.apply_ledger_schema()
    sync_company(
        nmbrs=backend_for(conn_id), warehouse=warehouse, config=config, company_id=company_id,
        period=None, dry_run=True, run=RunIdentity(run_id, "nmbrs_payroll_sync", run_id),
    )  # fmt: skip


@pytest.fixture
def moved(store_db, demo_conn, authorized, nmbrs_sandbox, tmp_path):
    """Horeca's run on SOAP, then its run on REST after the move."""
    store_db.run_sql_file(SQL_DIR / "keeping_schema.sql")
    _sync(tmp_path, HORECA, demo_conn, "soap-run")
    _sync(tmp_path, HORECA_UUID, authorized, "rest-run")
    return store_db


def test_each_run_records_its_api_and_company_number(moved, nmbrs_sandbox):
    rows = moved.query_dicts(
        "select run_id, company_id, nmbrs_api, company_number from nmbrs_sync.runs"
        " order by started_at"
    )
    number = next(c.number for c in backend_for("nmbrs_demo").list_companies() if c.id == HORECA)
    assert [(r["run_id"], r["company_id"], r["nmbrs_api"], r["company_number"]) for r in rows] == [
        ("soap-run", str(HORECA), "soap", number),
        ("rest-run", HORECA_UUID, "rest", number),
    ]
    rest_numbers = {c.number for c in backend_for("nmbrs_rest_test").list_companies()
                    if c.id == HORECA_UUID}  # fmt: skip
    assert rest_numbers == {number}  # REST's /api/companies reports the same number


def test_the_history_of_a_moved_company_keeps_its_soap_runs(moved):
    conn = queries.read_only(psycopg2.connect(**moved.connect_kwargs()))
    try:
        for company in (HORECA_UUID, HORECA):  # either id shows both runs
            page = queries.history(conn, company)
            shown = [(r["run_id"], r["company_id"], r["nmbrs_api"]) for r in page.rows]
            assert shown == [
                ("rest-run", HORECA_UUID, "rest"),
                ("soap-run", str(HORECA), "soap"),
            ], company
            assert page.total == 2
            assert [r["attempt"] for r in page.rows] == [2, 1]  # one period, two attempts
        assert queries.run(conn, "rest-run")["attempt"] == 2
        assert queries.last_runs(conn, [HORECA_UUID])[HORECA_UUID]["nmbrs_api"] == "rest"
    finally:
        conn.close()
