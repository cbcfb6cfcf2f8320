"""Settings of an ``nmbrs_rest`` connection: defaults, and one error naming every fix."""

from __future__ import annotations

import pytest

from nmbrs_provider.exceptions import NmbrsConfigurationError
from nmbrs_provider.get_provider_info import NMBRS_REST_SCOPES
from nmbrs_provider.rest.settings import NmbrsRestSettings


def settings(**fields) -> NmbrsRestSettings:
    base = {"login": "client-1", "password": "s3cret-value", "host": None, "extra": {}}
    return NmbrsRestSettings.from_fields(**{**base, **fields}, conn_id="nmbrs_rest_x")


def test_defaults_are_the_production_api_and_the_least_scopes_the_sync_needs():
    s = settings()
    assert s.base_url == "https://api.nmbrsapp.com"
    assert s.authorize_url == "https://identityservice.nmbrs.com/connect/authorize"
    assert s.token_url == "https://identityservice.nmbrs.com/connect/token"
    assert s.scopes == NMBRS_REST_SCOPES
    assert s.scope == (
        "company.info.read company.payrollsettings.read employee.info.read "
        "employee.employment.read employee.payment offline_access"
    )
    assert s.warehouse_conn_id == "keeping_warehouse"
    assert s.subscription_key is None and "X-Subscription-Key" not in s.api_headers()


def test_extras_are_read_and_the_repr_shows_no_secret():
    s = settings(
        host="http://127.0.0.1:8080/",
        extra={
            "subscription_key": "sub-key-123",
            "identity_url": "http://127.0.0.1:8081",
            "scopes": "company.info.read, offline_access",
            "calls_per_second": "5",
            "max_concurrency": 2,
            "warehouse_conn_id": "warehouse_2",
        },
    )
    assert s.base_url == "http://127.0.0.1:8080"
    assert s.api_url("/api/companies") == "http://127.0.0.1:8080/api/companies"
    assert s.token_url == "http://127.0.0.1:8081/connect/token"
    assert s.scopes == ("company.info.read", "offline_access")
    assert (s.calls_per_second, s.max_concurrency) == (5.0, 2)
    assert s.api_headers()["X-Subscription-Key"] == "sub-key-123"
    assert s.warehouse_conn_id == "warehouse_2"
    assert "s3cret-value" not in repr(s) and "sub-key-123" not in repr(s)


def test_every_mistake_is_named_in_one_error():
    with pytest.raises(NmbrsConfigurationError) as caught:
        settings(
            login=" ",
            password="",
            host="api.nmbrsapp.com",
            extra={
                "identity_url": "https://identityservice.nmbrs.com/connect",
                "scopes": "company.info.read",
                "calls_per_second": "fast",
                "max_concurrency": 0,
                "warehouse_conn_id": "my warehouse",
            },
        )
    message = str(caught.value)
    assert "'nmbrs_rest_x' is not usable" in message
    for expected in (
        "Login is empty: enter the OAuth client id",
        "Password is empty: enter the OAuth client secret",
        "Host 'api.nmbrsapp.com' has no scheme",
        "Extra 'identity_url' 'https://identityservice.nmbrs.com/connect' has a path",
        "Extra 'scopes' lacks offline_access",
        "Extra 'calls_per_second' 'fast' is not a number",
        "Extra 'max_concurrency' must be a positive number",
        "Extra 'warehouse_conn_id' 'my warehouse' is not a connection id",
    ):
        assert expected in message, (expected, message)
