"""Connection settings are validated before any call, and every fix is named."""

from __future__ import annotations

import pytest

from nmbrs_provider.connection_settings import NmbrsConnectionSettings
from nmbrs_provider.exceptions import NmbrsConfigurationError

TOKEN = "tok-SECRET-1234567890"


def settings(**overrides):
    fields = {
        "login": "api@acme.nl",
        "password": TOKEN,
        "host": None,
        "extra": {"domain": "acme"},
    }
    fields.update(overrides)
    return NmbrsConnectionSettings.from_fields(**fields)


def test_defaults_to_the_production_api_with_tls_verification():
    s = settings()
    assert s.base_url == "https://api.nmbrs.nl"
    assert s.service_url("EmployeeService") == "https://api.nmbrs.nl/soap/v3/EmployeeService.asmx"
    assert s.wsdl_url("CompanyService").endswith("/soap/v3/CompanyService.asmx?WSDL")
    assert s.verify_tls is True
    assert s.timeout == 60
    assert s.auth_header() == {"Username": "api@acme.nl", "Token": TOKEN, "Domain": "acme"}


def test_call_budget_defaults_below_nmbrs_throttle_and_can_be_set():
    s = settings()
    assert s.calls_per_second == 140 and s.max_concurrency == 16
    tuned = settings(extra={"domain": "acme", "calls_per_second": "60", "max_concurrency": 4})
    assert (tuned.calls_per_second, tuned.max_concurrency) == (60, 4)


def test_sandbox_toggle_switches_host_and_explicit_host_wins():
    assert settings(extra={"domain": "acme", "use_sandbox": True}).base_url == (
        "https://api-sandbox.nmbrs.nl"
    )
    explicit = settings(
        host="http://127.0.0.1:8080", extra={"domain": "acme", "use_sandbox": "true"}
    )
    assert explicit.base_url == "http://127.0.0.1:8080"


def test_port_field_is_added_to_a_host_without_one():
    assert settings(host="http://127.0.0.1", port=8081).base_url == "http://127.0.0.1:8081"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"extra": {"domain": "acme.nmbrs.nl"}}, "enter only the subdomain, 'acme'"),
        ({"extra": {"domain": "https://acme.nmbrs.nl"}}, "enter only the subdomain, 'acme'"),
        ({"extra": {}}, "Extra 'domain' is empty"),
        ({"login": "acme"}, "is not an e-mail address"),
        ({"login": ""}, "Login is empty"),
        ({"password": "  "}, "Password is empty"),
        (
            {"host": "api.nmbrs.nl"},
            "has no scheme: enter the base URL with it, e.g. 'https://api.nmbrs.nl'",
        ),
        ({"host": "https://api.nmbrs.nl/soap/v3/EmployeeService.asmx"}, "has a path"),
        ({"extra": {"domain": "acme", "timeout": "soon"}}, "is not a number of seconds"),
        ({"extra": {"domain": "acme", "timeout": -1}}, "must be positive"),
        ({"extra": {"domain": "acme", "calls_per_second": 0}}, "'calls_per_second' must be"),
        ({"extra": {"domain": "acme", "calls_per_second": "fast"}}, "is not a number"),
        ({"extra": {"domain": "acme", "max_concurrency": -2}}, "'max_concurrency' must be"),
    ],
)
def test_bad_settings_are_refused_with_the_fix(overrides, expected):
    with pytest.raises(NmbrsConfigurationError) as err:
        settings(**overrides)
    assert expected in str(err.value)
    assert TOKEN not in str(err.value)


def test_all_problems_are_reported_together():
    with pytest.raises(NmbrsConfigurationError) as err:
        NmbrsConnectionSettings.from_fields(
            login="nobody", password="", host="nmbrs", extra={"domain": "x.nmbrs.nl"}
        )
    message = str(err.value)
    for part in ("not an e-mail", "Password is empty", "no scheme", "only the subdomain"):
        assert part in message


def test_token_never_appears_in_repr():
    assert TOKEN not in repr(settings())


def test_legacy_prefixed_extra_fields_are_read():
    s = settings(extra={"extra__nmbrs__domain": "acme", "extra__nmbrs__timeout": "5"})
    assert (s.domain, s.timeout) == ("acme", 5.0)


def test_turning_tls_verification_off_is_explicit_and_logged(caplog):
    from nmbrs_provider.soap.client import NmbrsSoapClient

    insecure = settings(extra={"domain": "acme", "verify_tls": False})
    assert insecure.verify_tls is False
    with caplog.at_level("WARNING"):
        client = NmbrsSoapClient(insecure)
    assert client.session.verify is False
    assert "TLS certificate verification is OFF" in caplog.text
    assert NmbrsSoapClient(settings()).session.verify is True
