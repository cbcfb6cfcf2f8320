"""The sandbox's contract matches the reference Nmbrs SOAP v3 WSDLs in ../shared/reference.

Three angles: the sandbox WSDL declares every implemented operation exactly as the reference
does; a zeep client built from the reference WSDL can call every operation on the sandbox and
gets the same answers as one built from the sandbox WSDL; and the reference request samples are
accepted, with answers that validate against the reference schema.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from lxml import etree
from zeep.helpers import serialize_object

from nmbrs_sandbox import Sandbox
from nmbrs_sandbox.contract import SERVICES
from tests.nmbrs_sandbox.sandbox_api import DEMO, Api, days, hours

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / ".." / "shared" / "reference" / "nmbrs-soap-v3"
if not REFERENCE.is_dir():
    pytest.skip(
        "../shared/reference not found: contract tests need the reference WSDLs beside the "
        "repository",
        allow_module_level=True,
    )

pytestmark = pytest.mark.reference

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
BINDINGS = {
    "soap": "http://schemas.xmlsoap.org/wsdl/soap/",
    "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
}
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OPERATIONS = [(s.name, op.name) for s in SERVICES.values() for op in s.operations]
OPERATION_IDS = [f"{service}.{operation}" for service, operation in OPERATIONS]


# --- reading WSDL documents -----------------------------------------------------------------


class Schema:
    """Element declarations of a WSDL, expanded into comparable nested tuples."""

    def __init__(self, wsdl: etree._Element) -> None:
        self.root = wsdl
        schema = wsdl.find(f"{{{WSDL}}}types/{{{XS}}}schema")
        self.elements = {e.get("name"): e for e in schema.findall(f"{{{XS}}}element")}
        self.complex = {e.get("name"): e for e in schema.findall(f"{{{XS}}}complexType")}
        self.simple = {e.get("name"): e for e in schema.findall(f"{{{XS}}}simpleType")}

    def element(self, name: str) -> tuple:
        return self._element(self.elements[name], ())

    def _element(self, element: etree._Element, stack: tuple[str, ...]) -> tuple:
        occurs = (element.get("minOccurs", "1"), element.get("maxOccurs", "1"))
        nillable = element.get("nillable", "false")
        return (element.get("name"), *occurs, nillable, self._type(element, stack))

    def _type(self, element: etree._Element, stack: tuple[str, ...]) -> Any:
        reference = element.get("type")
        if reference is None:
            inline = element.find(f"{{{XS}}}complexType")
            return None if inline is None else self._complex(inline, None, stack)
        prefix, _, local = reference.rpartition(":")
        if element.nsmap.get(prefix or None) == XS:
            return f"xs:{local}"
        if local in self.simple:
            values = self.simple[local].iter(f"{{{XS}}}enumeration")
            return ("enum", local, tuple(value.get("value") for value in values))
        if local in stack:
            return ("recursive", local)
        return self._complex(self.complex[local], local, (*stack, local))

    def _complex(self, complex_type: etree._Element, name: str | None, stack: tuple) -> tuple:
        children: list[tuple] = []
        base = None
        holder = complex_type
        extension = complex_type.find(f"{{{XS}}}complexContent/{{{XS}}}extension")
        if extension is not None:
            base = extension.get("base").rpartition(":")[2]
            children.extend(self._complex(self.complex[base], base, stack)[3])
            holder = extension
        sequence = holder.find(f"{{{XS}}}sequence")
        if sequence is not None:
            children.extend(self._element(child, stack) for child in sequence)
        any_attribute = complex_type.find(f"{{{XS}}}anyAttribute") is not None
        return ("complex", name, base, tuple(children), any_attribute)

    def binding_operation(self, service: str, binding: str, operation: str) -> dict[str, Any]:
        """soapAction, style and header of an operation in one binding."""
        ns = {"w": WSDL, "b": BINDINGS[binding]}
        suffix = "Soap" if binding == "soap" else "Soap12"
        (node,) = self.root.xpath(
            f"w:binding[@name='{service}{suffix}']/w:operation[@name='{operation}']", namespaces=ns
        )
        (action,) = node.xpath("b:operation", namespaces=ns)
        (header,) = node.xpath("w:input/b:header", namespaces=ns)
        (part,) = self.root.xpath(
            f"w:message[@name='{header.get('message').rpartition(':')[2]}']/w:part",
            namespaces=ns,
        )
        return {
            "soapAction": action.get("soapAction"),
            "style": action.get("style"),
            "header": (header.get("part"), header.get("use"), part.get("element")),
            "bodies": [b.get("use") for b in node.xpath("*/b:body", namespaces=ns)],
        }


@functools.cache
def reference_schema(service: str) -> Schema:
    return Schema(etree.parse(str(REFERENCE / f"{service}.wsdl")).getroot())


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with Sandbox().start() as sandbox:
        yield sandbox.url


@pytest.fixture(scope="module")
def sandbox_schemas(sandbox_url: str) -> dict[str, Schema]:
    schemas = {}
    for service in SERVICES:
        response = requests.get(f"{sandbox_url}/soap/v3/{service}.asmx?WSDL", timeout=5)
        schemas[service] = Schema(etree.fromstring(response.content))
    return schemas


# --- 1. the sandbox WSDL declares what the reference declares ------------------------------


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_request_and_response_elements_match(
    sandbox_schemas: dict[str, Schema], service: str, operation: str
) -> None:
    ours, theirs = sandbox_schemas[service], reference_schema(service)

    for element in (operation, f"{operation}Response"):
        assert ours.element(element) == theirs.element(element)


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
@pytest.mark.parametrize("binding", ["soap", "soap12"])
def test_bindings_match(
    sandbox_schemas: dict[str, Schema], service: str, operation: str, binding: str
) -> None:
    ours = sandbox_schemas[service].binding_operation(service, binding, operation)

    assert ours == reference_schema(service).binding_operation(service, binding, operation)


@pytest.mark.parametrize("service", list(SERVICES))
def test_auth_header_and_names_match(sandbox_schemas: dict[str, Schema], service: str) -> None:
    ours, theirs = sandbox_schemas[service], reference_schema(service)

    assert ours.element("AuthHeaderWithDomain") == theirs.element("AuthHeaderWithDomain")
    for attribute in ("targetNamespace",):
        assert ours.root.get(attribute) == theirs.root.get(attribute)
    names = "//w:portType/@name | //w:binding/@name | //w:service/@name | //w:port/@name"
    assert ours.root.xpath(names, namespaces={"w": WSDL}) == theirs.root.xpath(
        names, namespaces={"w": WSDL}
    )


# --- 2. a client built from the reference WSDL works against the sandbox --------------------

CALLS: dict[str, dict[str, Any]] = {
    "List_GetAll": {},
    "Company_GetCurrentPeriod": {"CompanyId": 54613},
    "Run_GetList": {"CompanyId": 54613, "Year": 2026},
    "Run_GetEmployeesByRunCompany": {"CompanyId": 54613, "RunId": 710001, "Year": 2026},
    "HourModel_GetHourCodes": {"CompanyId": 54613},
    "List_GetByCompany": {"CompanyId": 54614, "EmployeeType": 0},
    "PersonalInfo_GetAll_AllEmployeesByCompany": {"CompanyID": 54614},
    "Salary_GetAll_AllEmployeesByCompany": {"CompanyID": 54613},
    "Schedule_GetAll_AllEmployeesByCompany": {"CompanyID": 54614},
    "Salary_GetCurrent": {"EmployeeId": 500003},
    "Salary_Get": {"EmployeeId": 600002, "Period": 11, "Year": 2026},
    "Employment_GetAll_AllEmployeesByCompany": {"CompanyID": 54614},
    "Schedule_GetCurrent": {"EmployeeId": 500003},
    "Schedule_Get": {"EmployeeId": 600002, "Period": 10, "Year": 2026},
    "DaysFixed_GetCurrent": {"EmployeeId": 500003},
    "DaysFixed_Get": {"EmployeeId": 600002, "Period": 11, "Year": 2026},
    "DaysFixed_Set_Batch": {
        "EmployeesDaysWorked": {"DaysWorked": [days(500003, 20)]},
        "UnprotectedMode": False,
    },
    "DaysVarWorked_GetCurrent": {"EmployeeId": 500001},
    "DaysVarWorked_Get": {"EmployeeId": 500001, "Period": 11, "Year": 2026},
    "DaysVar_Set_Batch": {
        "EmployeesDaysWorked": {"DaysWorked": [days(500001, 7), days(600001, 2)]},
        "UnprotectedMode": False,
    },
    "HourComponentVar_GetCurrent": {"EmployeeId": 500004},
    "HourComponentVar_Get": {"EmployeeId": 600002, "Period": 11, "Year": 2026},
    "HourComponentVar_ClearCurrent": {"EmployeeId": 500004},
    "HourComponentVar_Clear": {
        "EmployeeId": 600002,
        "Period": 11,
        "Year": 2026,
        "UnprotectedMode": False,
    },
    "HourComponent_Delete": {"EmployeeId": 500004, "HourComponentID": 7000001},
    "HourComponentVar_Insert_Batch": {
        "HourComponents": {"EmployeeHourComponent": [hours(500001, 2100, "7.75", "w45")]},
        "Period": 11,
        "Year": 2026,
        "UnprotectedMode": False,
    },
}


def test_every_implemented_operation_has_a_call() -> None:
    assert sorted(CALLS) == sorted(operation for _, operation in OPERATIONS)


@functools.cache
def reference_client(service: str) -> zeep.Client:
    return zeep.Client(str(REFERENCE / f"{service}.wsdl"))


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_reference_client_gets_the_same_answers(
    nmbrs_sandbox_factory, service: str, operation: str
) -> None:
    via_reference, via_own = nmbrs_sandbox_factory(), nmbrs_sandbox_factory()
    namespace = SERVICES[service].namespace
    proxy = reference_client(service).create_service(
        f"{{{namespace}}}{service}Soap", f"{via_reference.url}/soap/v3/{service}.asmx"
    )
    own = Api(via_own.url)

    theirs = getattr(proxy, operation)(
        **CALLS[operation], _soapheaders={"AuthHeaderWithDomain": DEMO}
    )
    ours = own.call(service, operation, **CALLS[operation])

    assert serialize_object(theirs) == serialize_object(ours)
    assert via_reference.state() == via_own.state()
    assert [c["fault_code"] for c in via_reference.calls()] == [None]


# --- 3. the reference request samples are accepted ------------------------------------------

SAMPLE_ACCOUNT = {"Username": "samples@example.com", "Token": "samples-token", "Domain": "samples"}
SAMPLE_SCENARIO = {
    "accounts": [
        {
            "username": SAMPLE_ACCOUNT["Username"],
            "token": SAMPLE_ACCOUNT["Token"],
            "domain": SAMPLE_ACCOUNT["Domain"],
            "permissions": "all",
            "companies": [54613],
        }
    ],
    "companies": [
        {
            "id": 54613,
            "number": 1,
            "name": "Samples BV",
            "period_type": "M",
            "current_period": "2025-3",
            "hour_codes": {2100: "Gewerkte uren", 3063: "Reisuren"},
            "runs": [
                {
                    "id": 900002,
                    "number": 2,
                    "year": 2025,
                    "period_start": 2,
                    "period_end": 2,
                    "run_at": "2025-02-21T09:30:00",
                    "employees": [503293, 503294],
                }
            ],
            "employees": [
                {
                    "id": employee_id,
                    "number": number,
                    "first_name": "Sam",
                    "last_name": f"Ple {number}",
                    "start_date": "2024-01-01",
                    "salaries": [{"value": 14.25, "type": 3, "start_date": "2024-01-01"}],
                    "schedules": [{"start_date": "2024-01-01", "week1": [8, 8, 8, 8, 0, 0, 0]}],
                    "hour_components": {"2025-3": [{"hour_code": 3063, "hours": 8}]},
                }
                for employee_id, number in ((503293, 1), (503294, 2))
            ],
        }
    ],
}
SAMPLES = sorted((REFERENCE / "samples").glob("*.request.xml"))


@functools.cache
def reference_xsd(service: str) -> etree.XMLSchema:
    """The reference WSDL's schema as a standalone XSD (Microsoft's guid type as a string)."""
    source = reference_schema(service).root.find(f"{{{WSDL}}}types/{{{XS}}}schema")
    namespace = source.get("targetNamespace")
    schema = etree.Element(
        f"{{{XS}}}schema", dict(source.attrib), nsmap={"s": XS, "tns": namespace}
    )
    for child in source:
        if child.tag != f"{{{XS}}}import":
            schema.append(etree.fromstring(etree.tostring(child)))
    for element in schema.iter(f"{{{XS}}}element"):
        if element.get("type") == "s1:guid":
            element.set("type", "s:string")
    return etree.XMLSchema(schema)


def _with_credentials(sample: Path) -> tuple[bytes, str, str]:
    """The sample body with our account in its header; returns (body, service, operation)."""
    envelope = etree.parse(str(sample)).getroot()
    (header,) = envelope.iter("{*}AuthHeaderWithDomain")
    for field, value in SAMPLE_ACCOUNT.items():
        header.find(f"{{*}}{field}").text = value
    (operation,) = envelope.find(f"{{{SOAP_ENV}}}Body")
    name = etree.QName(operation)
    return etree.tostring(envelope), name.namespace.rpartition("/")[2], name.localname


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name.split(".")[0] for s in SAMPLES])
def test_reference_samples_are_accepted(nmbrs_sandbox_factory, sample: Path) -> None:
    sandbox = nmbrs_sandbox_factory(SAMPLE_SCENARIO)
    body, service, operation = _with_credentials(sample)

    response = requests.post(
        f"{sandbox.url}/soap/v3/{service}.asmx",
        data=body,
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{SERVICES[service].namespace}/{operation}"',
        },
        timeout=5,
    )

    assert response.status_code == 200, response.text
    (answer,) = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body")
    expected = etree.parse(str(sample.with_name(sample.name.replace("request", "response"))))
    (sample_answer,) = expected.getroot().find(f"{{{SOAP_ENV}}}Body")
    assert answer.tag == sample_answer.tag
    xsd = reference_xsd(service)
    assert xsd.validate(etree.fromstring(etree.tostring(answer))), xsd.error_log
