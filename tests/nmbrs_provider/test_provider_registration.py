"""Airflow finds the provider, its connection type, form fields and plugin."""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from airflow.sdk import BaseHook, BaseOperator
from airflow.triggers.base import BaseTrigger

import nmbrs_provider
from nmbrs_provider.get_provider_info import get_provider_info
from tests.airflow_fixtures import run_airflow

#: provider-info keys whose values are module paths, and those whose values are class paths
MODULE_KEYS = {"python-modules", "python-module"}
CLASS_KEYS = {"hook-class-name", "plugin-class", "class-name", "handler", "factory"}
#: the kind of class each module list must define
KINDS = {"hooks": BaseHook, "operators": BaseOperator, "triggers": BaseTrigger}


def _named(value: Any, section: str = "") -> Iterator[tuple[str, str, str]]:
    """(section, key, dotted path) of every module and class the provider info names."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in MODULE_KEYS | CLASS_KEYS:
                for path in [item] if isinstance(item, str) else item:
                    yield section, key, path
            else:
                yield from _named(item, section or key)
    elif isinstance(value, list):
        for item in value:
            yield from _named(item, section)


def test_every_module_and_class_the_provider_info_names_imports():
    named = list(_named(get_provider_info()))
    sections = {section for section, _, _ in named}
    assert sections >= {"hooks", "operators", "triggers", "connection-types"}, named
    for section, key, path in named:
        if key in MODULE_KEYS:
            module = importlib.import_module(path)
            kind = KINDS.get(section)
            if kind is not None:
                defined = [
                    c for _, c in inspect.getmembers(module, inspect.isclass)
                    if issubclass(c, kind) and c.__module__ == module.__name__
                ]  # fmt: skip
                assert defined, f"{section}: {path} defines no {kind.__name__}"
        else:
            module_name, _, class_name = path.rpartition(".")
            cls = getattr(importlib.import_module(module_name), class_name)
            assert inspect.isclass(cls), f"{section}: {path} is not a class"


def test_the_provider_info_names_every_hook_operator_and_trigger_module():
    named = {path for _, key, path in _named(get_provider_info()) if key in MODULE_KEYS}
    package = Path(nmbrs_provider.__file__).parent
    for section in KINDS:
        for file in (package / section).glob("*.py"):
            if file.stem != "__init__":
                assert f"nmbrs_provider.{section}.{file.stem}" in named, f"{file} not named"


def test_the_hook_class_serves_the_connection_type_it_is_named_for():
    for conn_type in get_provider_info()["connection-types"]:
        module_name, _, class_name = conn_type["hook-class-name"].rpartition(".")
        hook = getattr(importlib.import_module(module_name), class_name)
        assert issubclass(hook, BaseHook)
        assert hook.conn_type == conn_type["connection-type"]
        assert hook.hook_name == conn_type["hook-name"]


def _connection_type(name: str) -> dict[str, Any]:
    (conn_type,) = [
        c for c in get_provider_info()["connection-types"] if c["connection-type"] == name
    ]
    return conn_type


def test_provider_info_declares_the_nmbrs_and_nmbrs_rest_connection_types():
    names = [c["connection-type"] for c in get_provider_info()["connection-types"]]
    assert names == ["nmbrs", "nmbrs_rest"]


def test_provider_info_declares_the_nmbrs_connection_form():
    conn_type = _connection_type("nmbrs")
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


def test_provider_info_declares_the_nmbrs_rest_connection_form():
    conn_type = _connection_type("nmbrs_rest")
    assert conn_type["hook-class-name"] == "nmbrs_provider.hooks.nmbrs_rest.NmbrsRestHook"
    assert conn_type["hook-name"] == "Nmbrs (REST)"
    behaviour = conn_type["ui-field-behaviour"]
    assert behaviour["relabeling"] == {
        "login": "OAuth client id",
        "password": "OAuth client secret",
        "host": "API base URL",
    }
    assert behaviour["placeholders"]["host"] == "https://api.nmbrsapp.com"
    fields = conn_type["conn-fields"]
    assert set(fields) >= {"subscription_key", "identity_url", "scopes", "calls_per_second",
                           "max_concurrency"}  # fmt: skip
    assert fields["subscription_key"]["schema"]["format"] == "password"
    assert fields["identity_url"]["schema"]["default"] == "https://identityservice.nmbrs.com"
    assert fields["scopes"]["schema"]["default"].split() == [
        "company.info.read", "company.payrollsettings.read", "employee.info.read",
        "employee.employment.read", "employee.payment", "offline_access",
    ]  # fmt: skip


def test_the_hooks_give_airflow_3_0_and_3_1_their_own_form_behaviour():
    from nmbrs_provider.hooks.nmbrs import NmbrsHook
    from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook

    for hook in (NmbrsHook, NmbrsRestHook):
        assert (
            hook.get_ui_field_behaviour()
            == (_connection_type(hook.conn_type)["ui-field-behaviour"])
        )


def test_airflow_lists_the_provider_hook_and_plugin(airflow_env):
    providers = run_airflow(airflow_env, "providers", "list", "--output", "json")
    names = {p["package_name"] for p in json.loads(providers.stdout)}
    assert "airflow-provider-nmbrs" in names
    hooks = run_airflow(airflow_env, "providers", "hooks", "--output", "json")
    nmbrs = [h for h in json.loads(hooks.stdout) if h.get("connection_type") == "nmbrs"]
    assert nmbrs and nmbrs[0]["class"] == "nmbrs_provider.hooks.nmbrs.NmbrsHook"
    rest = [h for h in json.loads(hooks.stdout) if h.get("connection_type") == "nmbrs_rest"]
    assert rest and rest[0]["class"] == "nmbrs_provider.hooks.nmbrs_rest.NmbrsRestHook"
    behaviours = run_airflow(airflow_env, "providers", "behaviours", "--output", "json")
    assert "nmbrs" in behaviours.stdout
    assert '"nmbrs_rest"' in behaviours.stdout
    plugins = run_airflow(airflow_env, "plugins", "--output", "json")
    assert '"nmbrs"' in plugins.stdout
    # The Nmbrs page: a FastAPI app at /nmbrs and a navigation entry that opens inside the UI.
    assert '"url_prefix": "/nmbrs"' in plugins.stdout, plugins.stdout
    assert '"url_route": "nmbrs"' in plugins.stdout, plugins.stdout
