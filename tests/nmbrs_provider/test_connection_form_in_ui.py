"""The connection form a real Airflow API server serves to its UI for the ``nmbrs`` type.

Airflow 3.3's UI builds the Admin > Connections form from ``GET /ui/connections/hook_meta``;
this asks a running ``airflow api-server`` (127.0.0.1, simple auth manager) for it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.scheduling.airflow_services import AirflowServices

SANDBOX_URL = "https://api-sandbox.nmbrs.nl"

#: standard field -> (hidden, label, placeholder), as the UI shows them
STANDARD_FIELDS = {
    "description": None,  # shown as Airflow's own
    "url_schema": (True, None, None),
    "port": (True, None, None),
    "host": (False, "Base URL", "https://api.nmbrs.nl"),
    "login": (False, "API user e-mail", "api-user@yourcompany.nl"),
    "password": (False, "API token", "the token generated for the API user in Nmbrs"),
}

#: extra field -> (its JSON schema with the label as title, its description)
EXTRA_FIELDS = {
    "domain": (
        {"type": "string", "pattern": "^[A-Za-z0-9-]*$", "title": "Domain"},
        "Your Nmbrs environment's subdomain only: 'acme' for acme.nmbrs.nl.",
    ),
    "use_sandbox": (
        {"type": "boolean", "default": False, "title": "Use the Nmbrs sandbox"},
        f"Send calls to {SANDBOX_URL} instead of the production API (ignored when Base URL is "
        "set).",
    ),
    "timeout": (
        {"type": "number", "default": 60, "minimum": 1, "title": "Timeout (seconds)"},
        "Per-call HTTP timeout.",
    ),
    "verify_tls": (
        {"type": "boolean", "default": True, "title": "Verify TLS certificates"},
        "Leave on. Turning it off is logged on every use.",
    ),
    "calls_per_second": (
        {"type": "number", "default": 140, "exclusiveMinimum": 0, "title": "Calls per second"},
        "The account's call budget. Nmbrs delays calls past about 150/s per account; parallel "
        "company tasks share this budget.",
    ),
    "max_concurrency": (
        {"type": "integer", "default": 16, "minimum": 1, "title": "Calls in flight"},
        "Per task: how many calls may wait for Nmbrs at once.",
    ),
}


@pytest.fixture(scope="module")
def nmbrs_form(tmp_path_factory) -> dict[str, Any]:
    """The ``nmbrs`` entry of the API server's hook metadata."""
    services = AirflowServices(tmp_path_factory.mktemp("api_server"), {})
    try:
        services.start(timeout=600, scheduler=False)
        meta = services.get_json("/ui/connections/hook_meta")
    finally:
        services.stop()
    forms = [m for m in meta if m["connection_type"] == "nmbrs"]
    assert len(forms) == 1, [m["connection_type"] for m in meta]
    return forms[0]


def test_the_ui_names_the_nmbrs_type_and_its_hook(nmbrs_form):
    assert nmbrs_form["hook_name"] == "Nmbrs"
    assert nmbrs_form["hook_class_name"] == "nmbrs_provider.hooks.nmbrs.NmbrsHook"


def test_the_ui_shows_every_standard_field_with_its_label_and_placeholder(nmbrs_form):
    shown = {
        name: None if field is None else (field["hidden"], field["title"], field["placeholder"])
        for name, field in nmbrs_form["standard_fields"].items()
    }
    assert shown == STANDARD_FIELDS


def test_the_ui_shows_every_extra_field_with_its_label_type_default_and_help(nmbrs_form):
    extra = nmbrs_form["extra_fields"]
    assert set(extra) == set(EXTRA_FIELDS)
    for name, (schema, description) in EXTRA_FIELDS.items():
        assert extra[name]["schema"] == schema, name
        assert extra[name]["description"] == description, name
        assert extra[name]["value"] == schema.get("default"), name
