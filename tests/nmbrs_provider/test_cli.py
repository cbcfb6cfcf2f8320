"""`python -m nmbrs_provider companies|check`, run as a data engineer runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from nmbrs_provider.cli import config_entries
from nmbrs_provider.core.config import ConfigError, parse_config
from tests.airflow_fixtures import run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, LIMITED_USER, nmbrs_conn_json


def cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "nmbrs_provider", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(airflow_env, nmbrs_sandbox):
    env = dict(airflow_env)
    env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER)
    env["AIRFLOW_CONN_NMBRS_LIMITED"] = nmbrs_conn_json(nmbrs_sandbox.url, *LIMITED_USER)
    return env


def test_companies_json_lists_ids_numbers_names_and_current_periods(env):
    result = cli(env, "companies", "--conn-id", "nmbrs_default", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["id"], r["number"], r["name"]) for r in rows] == [
        (54613, 1, "Acme Horeca BV"),
        (54614, 2, "Acme Events BV"),
    ]
    first = rows[0]
    assert (first["period_type"], first["year"], first["period"]) == ("M", 2026, 11)
    assert (first["start"], first["end"]) == ("2026-11-01", "2026-11-30")


def test_companies_table_is_readable(env):
    result = cli(env, "companies", "--conn-id", "nmbrs_default")
    assert result.returncode == 0, result.stderr
    assert "Acme Events BV" in result.stdout and "2026-11-M" in result.stdout


def test_check_exits_0_when_nothing_is_missing(env):
    result = cli(env, "check", "--conn-id", "nmbrs_default", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["missing"] == []


def test_check_exits_1_and_lists_missing_operations(env):
    result = cli(env, "check", "--conn-id", "nmbrs_limited", "--json")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["missing"] == [
        "EmployeeService.Salary_GetAll_AllEmployeesByCompany",
        "EmployeeService.DaysVar_Set_Batch",
    ]
    text = cli(env, "check", "--conn-id", "nmbrs_limited")
    assert (
        "EmployeeService.DaysVar_Set_Batch" in text.stdout and "API user's template" in text.stdout
    )


def test_check_exits_2_when_credentials_are_refused_and_never_shows_the_token(env, nmbrs_sandbox):
    env["AIRFLOW_CONN_NMBRS_WRONG"] = nmbrs_conn_json(
        nmbrs_sandbox.url, "demo@example.com", "Leaky-Token-123"
    )
    result = cli(env, "check", "--conn-id", "nmbrs_wrong")
    assert result.returncode == 2
    assert "1001" in result.stderr and "domain" in result.stderr
    assert "Leaky-Token-123" not in result.stdout + result.stderr


def test_check_exits_2_naming_the_fix_for_a_host_name_domain(env, nmbrs_sandbox):
    env["AIRFLOW_CONN_NMBRS_HOSTY"] = nmbrs_conn_json(
        nmbrs_sandbox.url, *DEMO_USER, domain="demo.nmbrs.nl"
    )
    result = cli(env, "check", "--conn-id", "nmbrs_hosty", "--json")
    assert result.returncode == 2
    assert "only the subdomain, 'demo'" in json.loads(result.stdout)["message"]


def test_check_exits_2_for_an_unknown_connection(env):
    result = cli(env, "companies", "--conn-id", "nmbrs_nowhere")
    assert result.returncode == 2
    assert "AIRFLOW_CONN_NMBRS_NOWHERE" in result.stderr


def test_connections_created_in_airflow_are_found_too(env, nmbrs_sandbox):
    """A connection added through Airflow (stored in the metadata DB, like the UI's)."""
    run_airflow(
        env,
        "connections", "add", "nmbrs_ui",
        "--conn-json", nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER),
    )  # fmt: skip
    try:
        result = cli(env, "companies", "--conn-id", "nmbrs_ui", "--json")
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)) == 2
        tested = run_airflow(env, "connections", "test", "nmbrs_ui")
        assert "Connection success!" in tested.stdout
    finally:
        run_airflow(env, "connections", "delete", "nmbrs_ui")


def test_airflow_connections_test_reports_missing_permissions(env):
    result = run_airflow(env, "connections", "test", "nmbrs_limited", check=False)
    assert result.returncode == 1
    assert "EmployeeService.DaysVar_Set_Batch" in result.stdout


def test_companies_yaml_prints_config_entries_the_sync_accepts_once_selectors_are_filled(env):
    result = cli(env, "companies", "--conn-id", "nmbrs_default", "--yaml")
    assert result.returncode == 0, result.stderr
    assert "organisations: []  # Keeping organisation ids: fill in" in result.stdout
    entries = yaml.safe_load(result.stdout)["companies"]
    assert entries == [
        {"company_id": 54613, "nmbrs_conn_id": "nmbrs_default", "period_type": "M",
         "organisations": []},
        {"company_id": 54614, "nmbrs_conn_id": "nmbrs_default", "period_type": "M",
         "organisations": []},
    ]  # fmt: skip
    base = {"warehouse_conn_id": "keeping_warehouse", "hour_codes": {"worked": 2100}}
    with pytest.raises(ConfigError, match="routes no hours"):
        parse_config({**base, "companies": entries})  # as printed: the selectors are empty
    filled = result.stdout.replace("organisations: []", "organisations: [1]", 1)
    filled = filled.replace("organisations: []", "organisations: [2]", 1)
    config = parse_config({**base, **yaml.safe_load(filled)})
    assert [(c.company_id, c.nmbrs_conn_id, c.period_type.value, c.organisations)
            for c in config.companies] == [
        (54613, "nmbrs_default", "M", {1}), (54614, "nmbrs_default", "M", {2}),
    ]  # fmt: skip


def test_companies_yaml_keeps_names_from_nmbrs_inside_their_comments():
    rows = [{"id": 7, "number": 3, "name": "Evil\nBV\u2028default: true\x07 # x",
             "period_type": "4W", "current_period": "2026-13-4W"}]  # fmt: skip
    text = config_entries(rows, "nmbrs_other", "api@example.com")
    assert yaml.safe_load(text) == {
        "companies": [{"company_id": 7, "nmbrs_conn_id": "nmbrs_other", "period_type": "4W",
                       "organisations": []}]
    }  # fmt: skip
    assert "# Evil BV default: true # x (number 3)" in text
    assert yaml.safe_load(config_entries([], "nmbrs_other", "api@example.com")) == {"companies": []}
