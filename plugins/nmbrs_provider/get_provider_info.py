"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

NMBRS_PRODUCTION_URL = "https://api.nmbrs.nl"
NMBRS_SANDBOX_URL = "https://api-sandbox.nmbrs.nl"


def get_provider_info() -> dict[str, Any]:
    """Describe the provider, its ``nmbrs`` connection type and the connection form."""
    return {
        "package-name": "airflow-provider-nmbrs",
        "name": "Nmbrs",
        "description": "Visma Nmbrs payroll (SOAP API v3): hook, operators and a payroll sync "
        "of flexible (zero-hour) employees' hours.",
        "integrations": [
            {
                "integration-name": "Nmbrs",
                "external-doc-url": "https://api.nmbrs.nl/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "Nmbrs", "python-modules": ["nmbrs_provider.hooks.nmbrs"]}],
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
            }
        ],
    }
