"""The connection forms a real Airflow API server serves to its UI: ``nmbrs``, ``nmbrs_rest``.

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


REST_STANDARD_FIELDS = {
    "description": None,
    "url_schema": (True, None, None),
    "port": (True, None, None),
    "host": (False, "API base URL", "https://api.nmbrsapp.com"),
    "login": (False, "OAuth client id", "the client id of the app registered with Nmbrs"),
    "password": (False, "OAuth client secret", "the client secret of that app"),
}

REST_SCOPES = (
    "company.info.read company.payrollsettings.read employee.info.read "
    "employee.employment.read employee.payment offline_access"
)

REST_EXTRA_FIELDS = {
    "subscription_key": (
        {"type": ["string", "null"], "format": "password", "title": "Subscription key"},
        "The X-Subscription-Key from the Nmbrs developer portal (sent with every call when set).",
    ),
    "identity_url": (
        {
            "type": "string",
            "default": "https://identityservice.nmbrs.com",
            "title": "Identity server URL",
        },
        "Where /connect/authorize and /connect/token live.",
    ),
    "scopes": (
        {"type": "string", "default": REST_SCOPES, "title": "Scopes"},
        "Space-separated OAuth scopes asked for when authorizing; keep offline_access (the "
        "refresh token).",
    ),
    "warehouse_conn_id": (
        {
            "type": "string",
            "default": "keeping_warehouse",
            "title": "Warehouse (token store)",
        },
        "The warehouse connection whose nmbrs_sync schema keeps the encrypted refresh token; "
        "every worker must reach it. Authorize once with: python -m nmbrs_provider authorize "
        "--conn-id <this connection>.",
    ),
    "calls_per_second": (
        {"type": "number", "default": 10, "exclusiveMinimum": 0, "title": "Calls per second"},
        "The call budget of this API user; parallel company tasks share it. Nmbrs publishes no "
        "limit: raise it when 429s stay rare.",
    ),
    "max_concurrency": (
        {"type": "integer", "default": 4, "minimum": 1, "title": "Calls in flight"},
        "Per task: how many calls may wait for Nmbrs at once.",
    ),
}


@pytest.fixture(scope="module")
def hook_meta(tmp_path_factory) -> list[dict[str, Any]]:
    """The API server's hook metadata (what the UI builds its forms from)."""
    services = AirflowServices(tmp_path_factory.mktemp("api_server"), {})
    try:
        services.start(timeout=600, scheduler=False)
        return services.get_json("/ui/connections/hook_meta")
    finally:
        services.stop()


def _form(meta: list[dict[str, Any]], conn_type: str) -> dict[str, Any]:
    forms = [m for m in meta if m["connection_type"] == conn_type]
    assert len(forms) == 1, [m["connection_type"] for m in meta]
    return forms[0]


@pytest.fixture(scope="module")
def nmbrs_form(hook_meta) -> dict[str, Any]:
    """The ``nmbrs`` entry of the API server's hook metadata."""
    return _form(hook_meta, "nmbrs")


@pytest.fixture(scope="module")
def nmbrs_rest_form(hook_meta) -> dict[str, Any]:
    """The ``nmbrs_rest`` entry of the API server's hook metadata."""
    return _form(hook_meta, "nmbrs_rest")


def test_the_ui_names_the_nmbrs_type_and_its_hook(nmbrs_form):
    assert nmbrs_form["hook_name"] == "Nmbrs"
    assert nmbrs_form["hook_class_name"] == "nmbrs_provider.hooks.nmbrs.NmbrsHook"


def test_the_ui_names_the_nmbrs_rest_type_and_its_hook(nmbrs_rest_form):
    assert nmbrs_rest_form["hook_name"] == "Nmbrs (REST)"
    assert nmbrs_rest_form["hook_class_name"] == "nmbrs_provider.hooks.nmbrs_rest.NmbrsRestHook"


@pytest.mark.parametrize(
    ("form", "expected"),
    [("nmbrs_form", STANDARD_FIELDS), ("nmbrs_rest_form", REST_STANDARD_FIELDS)],
)
def test_the_ui_shows_every_standard_field_with_its_label_and_placeholder(form, expected, request):
    shown = {
        name: None if field is None else (field["hidden"], field["title"], field["placeholder"])
        for name, field in request.getfixturevalue(form)["standard_fields"].items()
    }
    assert shown == expected


@pytest.mark.parametrize(
    ("form", "expected"), [("nmbrs_form", EXTRA_FIELDS), ("nmbrs_rest_form", REST_EXTRA_FIELDS)]
)
def test_the_ui_shows_every_extra_field_with_its_label_type_default_and_help(
    form, expected, request
):
    extra = request.getfixturevalue(form)["extra_fields"]
    assert set(extra) == set(expected)
    for name, (schema, description) in expected.items():
        assert extra[name]["schema"] == schema, name
        assert extra[name]["description"] == description, name
        assert extra[name]["value"] == schema.get("default"), name
