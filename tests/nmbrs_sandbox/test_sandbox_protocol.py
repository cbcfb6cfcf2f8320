"""Raw SOAP 1.1 on the wire: ASMX fault format and broken requests."""

from __future__ import annotations

import requests

from nmbrs_sandbox import Sandbox

ENVELOPE = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:e="https://api.nmbrs.nl/soap/v3/EmployeeService">
  <soap:Header><e:AuthHeaderWithDomain>
    <e:Username>{user}</e:Username><e:Token>{token}</e:Token><e:Domain>demo</e:Domain>
  </e:AuthHeaderWithDomain></soap:Header>
  <soap:Body>{body}</soap:Body>
</soap:Envelope>"""
LIMITED = {"user": "limited@example.com", "token": "sandbox-limited-token"}
DEMO = {"user": "demo@example.com", "token": "sandbox-demo-token"}


def _post(sandbox: Sandbox, operation: str, body: str, account: dict) -> requests.Response:
    return requests.post(
        f"{sandbox.url}/soap/v3/EmployeeService.asmx",
        data=ENVELOPE.format(body=body, **account).encode(),
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"https://api.nmbrs.nl/soap/v3/EmployeeService/{operation}"',
        },
        timeout=5,
    )


def test_fault_is_asmx_style_soap11(nmbrs_sandbox: Sandbox) -> None:
    body = "<e:Salary_GetAll_AllEmployeesByCompany><e:CompanyID>54613</e:CompanyID>"
    body += "</e:Salary_GetAll_AllEmployeesByCompany>"

    response = _post(nmbrs_sandbox, "Salary_GetAll_AllEmployeesByCompany", body, LIMITED)

    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert (
        "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to "
        "process request. ---&gt; 1002: Unauthorized Access</faultstring><detail/></soap:Fault>"
    ) in response.text


def test_unimplemented_operation_is_a_client_fault(nmbrs_sandbox: Sandbox) -> None:
    body = "<e:Function_GetAll><e:EmployeeId>500001</e:EmployeeId></e:Function_GetAll>"

    response = _post(nmbrs_sandbox, "Function_GetAll", body, DEMO)

    assert response.status_code == 500
    assert "<faultcode>soap:Client</faultcode>" in response.text
    assert "did not recognize the value of HTTP Header SOAPAction" in response.text


def test_soap_action_must_match_the_body(nmbrs_sandbox: Sandbox) -> None:
    body = "<e:DaysFixed_GetCurrent><e:EmployeeId>500003</e:EmployeeId></e:DaysFixed_GetCurrent>"

    assert _post(nmbrs_sandbox, "DaysFixed_GetCurrent", body, DEMO).status_code == 200
    assert _post(nmbrs_sandbox, "DaysFixed_Get", body, DEMO).status_code == 500


def test_unreadable_values_and_xml_are_client_faults(nmbrs_sandbox: Sandbox) -> None:
    body = "<e:DaysFixed_GetCurrent><e:EmployeeId>abc</e:EmployeeId></e:DaysFixed_GetCurrent>"
    bad_value = _post(nmbrs_sandbox, "DaysFixed_GetCurrent", body, DEMO)
    bad_xml = requests.post(
        f"{nmbrs_sandbox.url}/soap/v3/EmployeeService.asmx",
        data=b"<soap:Envelope",
        headers={"Content-Type": "text/xml"},
        timeout=5,
    )

    for response in (bad_value, bad_xml):
        assert response.status_code == 500
        assert "<faultcode>soap:Client</faultcode>" in response.text
        assert "Server was unable to read request." in response.text
