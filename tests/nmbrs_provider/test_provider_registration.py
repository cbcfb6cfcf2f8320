"""Airflow finds the provider, its connection type, form fields and plugin."""

from __future__ import annotations

import json

from nmbrs_provider.get_provider_info import get_provider_info
from tests.airflow_fixtures import run_airflow


def test_provider_info_declares_the_nmbrs_connection_form():
    info = get_provider_info()
    (conn_type,) = info["connection-types"]
    assert conn_type["connection-type"] == "nmbrs"
    assert conn_type["hook-class-name"] == "nmbrs_provider.hooks.nmbrs.NmbrsHook"
    behaviour = conn_type["ui-field-behaviour"]
    assert behaviour["relabeling"] == {
        "login": "API user e-mail",
        "password": "API token",
        "host": "Base URL",
    }
    assert behaviour["placeholders"]["host"] == "https://api.nmbrs.nl"
    fields = conn_type["conn-fields"]
    assert set(fields) >= {"domain", "use_sandbox", "timeout"}
    assert fields["use_sandbox"]["schema"]["type"] == "boolean"


def test_airflow_lists_the_provider_hook_and_plugin(airflow_env):
    providers = run_airflow(airflow_env, "providers", "list", "--output", "json")
    names = {p["package_name"] for p in json.loads(providers.stdout)}
    assert "airflow-provider-nmbrs" in names
    hooks = run_airflow(airflow_env, "providers", "hooks", "--output", "json")
    nmbrs = [h for h in json.loads(hooks.stdout) if h.get("connection_type") == "nmbrs"]
    assert nmbrs and nmbrs[0]["class"] == "nmbrs_provider.hooks.nmbrs.NmbrsHook"
    behaviours = run_airflow(airflow_env, "providers", "behaviours", "--output", "json")
    assert "nmbrs" in behaviours.stdout
    plugins = run_airflow(airflow_env, "plugins", "--output", "json")
    assert '"nmbrs"' in plugins.stdout
