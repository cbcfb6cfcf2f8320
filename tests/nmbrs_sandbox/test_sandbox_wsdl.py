"""The sandbox serves its own WSDL, shaped like the Nmbrs ASMX documents."""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from nmbrs_sandbox import Sandbox

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
NS = {"wsdl": WSDL, "soap": SOAP, "soap12": SOAP12}


@pytest.mark.parametrize("service", ["CompanyService", "EmployeeService"])
@pytest.mark.parametrize("query", ["WSDL", "wsdl", "Wsdl"])
def test_wsdl_is_served_for_any_query_case(
    nmbrs_sandbox: Sandbox, service: str, query: str
) -> None:
    response = requests.get(f"{nmbrs_sandbox.url}/soap/v3/{service}.asmx?{query}", timeout=5)

    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert root.get("targetNamespace") == f"https://api.nmbrs.nl/soap/v3/{service}"
    assert root.xpath("wsdl:portType/@name", namespaces=NS) == [f"{service}Soap"]
    assert root.xpath("wsdl:binding/@name", namespaces=NS) == [f"{service}Soap", f"{service}Soap12"]
    assert root.xpath("wsdl:service/@name", namespaces=NS) == [service]


def test_address_follows_the_host_header(nmbrs_sandbox: Sandbox) -> None:
    response = requests.get(
        f"{nmbrs_sandbox.url}/soap/v3/EmployeeService.asmx?WSDL",
        headers={"Host": "nmbrs.test:8080"},
        timeout=5,
    )

    root = etree.fromstring(response.content)
    locations = root.xpath("//soap:address/@location | //soap12:address/@location", namespaces=NS)
    assert locations == ["http://nmbrs.test:8080/soap/v3/EmployeeService.asmx"] * 2


@pytest.mark.parametrize("service", ["CompanyService", "EmployeeService"])
def test_every_operation_carries_the_auth_header_in_both_bindings(
    nmbrs_sandbox: Sandbox, service: str
) -> None:
    url = f"{nmbrs_sandbox.url}/soap/v3/{service}.asmx?WSDL"
    root = etree.fromstring(requests.get(url, timeout=5).content)
    operations = root.xpath("wsdl:portType/wsdl:operation/@name", namespaces=NS)

    for prefix in ("soap", "soap12"):
        headers = root.xpath(
            f"wsdl:binding/wsdl:operation/wsdl:input/{prefix}:header", namespaces=NS
        )
        assert len(headers) == len(operations)
        assert {h.get("part") for h in headers} == {"AuthHeaderWithDomain"}
    for operation in operations:
        (part,) = root.xpath(
            f"wsdl:message[@name='{operation}AuthHeader']/wsdl:part", namespaces=NS
        )
        assert part.get("element") == "tns:AuthHeaderWithDomain"


def test_asmx_page_without_wsdl_query_lists_operations(nmbrs_sandbox: Sandbox) -> None:
    response = requests.get(f"{nmbrs_sandbox.url}/soap/v3/CompanyService.asmx", timeout=5)

    assert response.status_code == 200
    assert "Company_GetCurrentPeriod" in response.text


def test_unknown_path_is_404(nmbrs_sandbox: Sandbox) -> None:
    assert (
        requests.get(f"{nmbrs_sandbox.url}/soap/v3/DebtorService.asmx", timeout=5).status_code
        == 404
    )
