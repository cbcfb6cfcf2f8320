"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

NMBRS_PRODUCTION_URL = "https://api.nmbrs.nl"
NMBRS_SANDBOX_URL = "https://api-sandbox.nmbrs.nl"
NMBRS_REST_URL = "https://api.nmbrsapp.com"
NMBRS_IDENTITY_URL = "https://identityservice.nmbrs.com"
#: The least the sync needs: companies, periods and hour codes; employees, their contracts,
#: salaries and schedules; hour components and days (read and write); a refresh token.
NMBRS_REST_SCOPES = (
    "company.info.read",
    "company.payrollsettings.read",
    "employee.info.read",
    "employee.employment.read",
    "employee.payment",
    "offline_access",
)


def get_provider_info() -> dict[str, Any]:
    """Describe the provider, its ``nmbrs`` connection type and the connection form."""
    return {
        "package-name": "airflow-provider-nmbrs",
        "name": "Nmbrs",
        "description": "Visma Nmbrs payroll (SOAP API v3, REST API): hooks, operators and a "
        "payroll sync of flexible (zero-hour) employees' hours.",
        "integrations": [
            {
                "integration-name": "Nmbrs",
                "external-doc-url": "https://api.nmbrs.nl/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Nmbrs",
                "python-modules": ["nmbrs_provider.hooks.nmbrs", "nmbrs_provider.hooks.nmbrs_rest"],
            }
        ],
        "operators": [
            {
                "integration-name": "Nmbrs",
                "python-modules": ["nmbrs_provider.operators.payroll_sync"],
            }
        ],
        "sensors": [
            {"integration-name": "Nmbrs", "python-modules": ["nmbrs_provider.sensors.nmbrs"]}
        ],
        "triggers": [
            {"integration-name": "Nmbrs", "python-modules": ["nmbrs_provider.triggers.nmbrs"]}
        ],
        "connection-types": [
            {
                "connection-type": "nmbrs",
                "hook-class-name": "nmbrs_provider.hooks.nmbrs.NmbrsHook",
                "hook-name": "Nmbrs",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {
                        "login": "API user e-mail",
                        "password": "API token",
                        "host": "Base URL",
                    },
                    "placeholders": {
                        "login": "api-user@yourcompany.nl",
                        "password": "the token generated for the API user in Nmbrs",
                        "host": NMBRS_PRODUCTION_URL,
                    },
                },
                "conn-fields": {
                    "domain": {
                        "label": "Domain",
                        "description": "Your Nmbrs environment's subdomain only: 'acme' for "
                        "acme.nmbrs.nl.",
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]*$"},
                    },
                    "use_sandbox": {
                        "label": "Use the Nmbrs sandbox",
                        "description": f"Send calls to {NMBRS_SANDBOX_URL} instead of the "
                        "production API (ignored when Base URL is set).",
                        "schema": {"type": "boolean", "default": False},
                    },
                    "timeout": {
                        "label": "Timeout (seconds)",
                        "description": "Per-call HTTP timeout.",
                        "schema": {"type": "number", "default": 60, "minimum": 1},
                    },
                    "verify_tls": {
                        "label": "Verify TLS certificates",
                        "description": "Leave on. Turning it off is logged on every use.",
                        "schema": {"type": "boolean", "default": True},
                    },
                    "calls_per_second": {
                        "label": "Calls per second",
                        "description": "The account's call budget. Nmbrs delays calls past about "
                        "150/s per account; parallel company tasks share this budget.",
                        "schema": {"type": "number", "default": 140, "exclusiveMinimum": 0},
                    },
                    "max_concurrency": {
                        "label": "Calls in flight",
                        "description": "Per task: how many calls may wait for Nmbrs at once.",
                        "schema": {"type": "integer", "default": 16, "minimum": 1},
                    },
                },
            },
            _rest_connection_type(),
        ],
    }


def _rest_connection_type() -> dict[str, Any]:
    """The ``nmbrs_rest`` connection: an OAuth 2.0 app registered with Nmbrs."""
    return {
        "connection-type": "nmbrs_rest",
        "hook-class-name": "nmbrs_provider.hooks.nmbrs_rest.NmbrsRestHook",
        "hook-name": "Nmbrs (REST)",
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "port"],
            "relabeling": {
                "login": "OAuth client id",
                "password": "OAuth client secret",
                "host": "API base URL",
            },
            "placeholders": {
                "login": "the client id of the app registered with Nmbrs",
                "password": "the client secret of that app",
                "host": NMBRS_REST_URL,
            },
        },
        "conn-fields": {
            "subscription_key": {
                "label": "Subscription key",
                "description": "The X-Subscription-Key from the Nmbrs developer portal (sent "
                "with every call when set).",
                "schema": {"type": ["string", "null"], "format": "password"},
            },
            "identity_url": {
                "label": "Identity server URL",
                "description": "Where /connect/authorize and /connect/token live.",
                "schema": {"type": "string", "default": NMBRS_IDENTITY_URL},
            },
            "scopes": {
                "label": "Scopes",
                "description": "Space-separated OAuth scopes asked for when authorizing; keep "
                "offline_access (the refresh token).",
                "schema": {"type": "string", "default": " ".join(NMBRS_REST_SCOPES)},
            },
            "warehouse_conn_id": {
                "label": "Warehouse (token store)",
                "description": "The warehouse connection whose nmbrs_sync schema keeps the "
                "encrypted refresh token; every worker must reach it. Authorize once with: "
                "python -m nmbrs_provider authorize --conn-id <this connection>.",
                "schema": {"type": "string", "default": "keeping_warehouse"},
            },
            "calls_per_second": {
                "label": "Calls per second",
                "description": "The call budget of this API user; parallel company tasks "
                "share it. Nmbrs publishes no limit: raise it when 429s stay rare.",
                "schema": {"type": "number", "default": 10, "exclusiveMinimum": 0},
            },
            "max_concurrency": {
                "label": "Calls in flight",
                "description": "Per task: how many calls may wait for Nmbrs at once.",
                "schema": {"type": "integer", "default": 4, "minimum": 1},
            },
        },
    }
