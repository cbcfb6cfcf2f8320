"""Choosing the backend by the connection's type, and company ids checked against it."""

from __future__ import annotations

import pytest

from nmbrs_provider.backends import as_company_id, backend_for, check_company_id
from nmbrs_provider.exceptions import NmbrsConfigurationError
from nmbrs_provider.hooks.nmbrs import NmbrsHook
from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json
from tests.nmbrs_provider.rest.conftest import rest_conn_json

UUID = "39ec37d6-f761-5d2f-98e6-3f1045bb7626"


@pytest.fixture
def conns(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SOAP_CONN", nmbrs_conn_json("http://127.0.0.1:9", *DEMO_USER))
    monkeypatch.setenv("AIRFLOW_CONN_REST_CONN", rest_conn_json("http://127.0.0.1:9"))


def test_the_connection_type_decides_the_backend(conns):
    soap = backend_for("soap_conn", batch_size=50)
    assert isinstance(soap, NmbrsHook) and soap.batch_size == 50
    assert isinstance(backend_for("rest_conn"), NmbrsRestHook)


def test_company_ids_must_be_of_the_connections_api(conns):
    check_company_id(54613, "soap_conn")
    check_company_id(UUID, "rest_conn")
    with pytest.raises(NmbrsConfigurationError, match=r"names companies by UUID.*companies"):
        check_company_id(54613, "rest_conn")
    with pytest.raises(NmbrsConfigurationError, match=r"REST company UUID.*SOAP connection"):
        check_company_id(UUID, "soap_conn")


def test_task_arguments_give_back_the_configs_ids():
    assert as_company_id("54613") == 54613 and as_company_id(54613) == 54613
    assert as_company_id(UUID) == UUID
