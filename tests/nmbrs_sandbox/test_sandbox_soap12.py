"""SOAP 1.2 requests get SOAP 1.2 answers and faults."""

from __future__ import annotations

import pytest
import requests
import zeep

from nmbrs_sandbox import Sandbox
from tests.nmbrs_sandbox.sandbox_api import DEMO, Api, hours

ENVELOPE = """<?xml version="1.0" encoding="utf-8"?>
<soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope"
    xmlns:c="https://api.nmbrs.nl/soap/v3/CompanyService">
  <soap12:Header><c:AuthHeaderWithDomain>
    <c:Username>demo@example.com</c:Username><c:Token>{token}</c:Token><c:Domain>demo</c:Domain>
  </c:AuthHeaderWithDomain></soap12:Header>
  <soap12:Body><c:Company_GetCurrentPeriod><c:CompanyId>54614</c:CompanyId>
  </c:Company_GetCurrentPeriod></soap12:Body>
</soap12:Envelope>"""


def test_zeep_over_soap12(nmbrs_sandbox: Sandbox) -> None:
    api = Api(nmbrs_sandbox.url, soap12=True)

    api.insert_hours([hours(600001, amount="2.25")])

    assert api.company("Company_GetCurrentPeriod", CompanyId=54613) == "2026-11-M"
    assert [c["Hours"] for c in nmbrs_sandbox.hour_components(600001, 2026, 11)] == [2.25]


def test_soap12_fault_reaches_zeep(nmbrs_sandbox: Sandbox) -> None:
    api = Api(nmbrs_sandbox.url, {**DEMO, "Token": "nope"}, soap12=True)

    with pytest.raises(zeep.exceptions.Fault) as raised:
        api.company("List_GetAll")

    assert raised.value.message == (
        "Server was unable to process request. ---> 1001: Invalid Authentication"
    )


@pytest.mark.parametrize(("token", "status"), [("sandbox-demo-token", 200), ("bad", 500)])
def test_raw_soap12_answers_in_soap12(nmbrs_sandbox: Sandbox, token: str, status: int) -> None:
    response = requests.post(
        f"{nmbrs_sandbox.url}/soap/v3/CompanyService.asmx",
        data=ENVELOPE.format(token=token).encode(),
        headers={"Content-Type": "application/soap+xml; charset=utf-8"},
        timeout=5,
    )

    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/soap+xml")
    assert "http://www.w3.org/2003/05/soap-envelope" in response.text
    assert ("2026-11-M" in response.text) == (status == 200)
    assert ("soap:Receiver" in response.text) == (status == 500)
