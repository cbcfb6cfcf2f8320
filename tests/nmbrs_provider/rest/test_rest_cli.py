"""`python -m nmbrs_provider companies|check` with an ``nmbrs_rest`` connection."""

from __future__ import annotations

import json
import os

import yaml

from nmbrs_sandbox.rest.ids import company_uuid
from tests.nmbrs_provider.rest.conftest import authorize_in_process, rest_conn_json
from tests.nmbrs_provider.test_cli import cli


def rest_env(airflow_env, conn_id: str) -> dict[str, str]:
    names = (f"AIRFLOW_CONN_{conn_id.upper()}", "AIRFLOW_CONN_KEEPING_WAREHOUSE", "NMBRS_TOKEN_KEY")
    return {**airflow_env, **{name: os.environ[name] for name in names}}


def test_companies_json_gives_uuids_numbers_names_and_periods(airflow_env, authorized):
    result = cli(rest_env(airflow_env, authorized), "companies", "--conn-id", authorized, "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["id"], r["number"], r["name"]) for r in rows] == [
        (company_uuid(54613), 1, "Acme Horeca BV"),
        (company_uuid(54614), 2, "Acme Events BV"),
    ]
    first = rows[0]
    assert (first["period_type"], first["year"], first["period"]) == ("M", 2026, 11)
    assert (first["start"], first["end"]) == ("2026-11-01", "2026-11-30")
    result = cli(rest_env(airflow_env, authorized), "companies", "--conn-id", authorized, "--yaml")
    assert result.returncode == 0, result.stderr
    entries = yaml.safe_load(result.stdout)["companies"]
    assert [e["company_id"] for e in entries] == [company_uuid(54613), company_uuid(54614)]


def test_check_exits_0_with_every_scope(airflow_env, authorized):
    result = cli(rest_env(airflow_env, authorized), "check", "--conn-id", authorized, "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    report = json.loads(result.stdout)
    assert report["ok"] and report["missing"] == [] and report["forbidden_endpoints"] == {}


def test_check_exits_1_naming_missing_scopes_and_their_endpoints(
    airflow_env, rest_conn, nmbrs_sandbox, monkeypatch
):
    scopes = "company.info.read employee.info.read offline_access"
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{rest_conn.upper()}", rest_conn_json(nmbrs_sandbox.url, scopes=scopes)
    )
    authorize_in_process(rest_conn, nmbrs_sandbox)
    before = len(nmbrs_sandbox.calls())
    result = cli(rest_env(airflow_env, rest_conn), "check", "--conn-id", rest_conn)
    assert result.returncode == 1, result.stderr + result.stdout
    out = result.stdout
    assert "employee.employment.read" in out and "employee.payment" in out
    assert "GET /api/companies/{companyId}/employees/schedules" in out
    assert "(scope employee.employment.read)" in out  # answered 403 when probed
    assert f"authorize --conn-id {rest_conn}" in out
    calls = nmbrs_sandbox.calls()[before:]
    assert [
        c for c in calls if c.get("method") not in (None, "GET") and c["service"] == "REST"
    ] == []
