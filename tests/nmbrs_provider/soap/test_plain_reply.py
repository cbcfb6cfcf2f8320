"""The company-wide reads read as plain values give exactly what zeep gives, or leave it to zeep.

Every answer is a real one: from the sandbox over HTTP, or a reference sample, read once by
zeep (``process_reply`` and ``serialize_object``, as before) and once by
:mod:`nmbrs_provider.soap.plain_reply`, under the sandbox's WSDL and the reference v3 WSDL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import zeep.exceptions
from lxml import etree
from zeep.helpers import serialize_object
from zeep.loader import parse_xml

from nmbrs_provider.exceptions import NmbrsAuthenticationError
from nmbrs_provider.hooks.nmbrs import NmbrsHook
from nmbrs_provider.soap.client import PLAIN_READS
from nmbrs_provider.soap.plain_reply import Declined, read_reply, reply_value
from tests.nmbrs_provider.conftest import DEMO_USER

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "nmbrs-soap-v3"
COMPANIES = (54613, 54614)
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def wsdl_sources() -> list[Any]:
    skip = pytest.mark.skipif(
        not REFERENCE.is_dir(), reason="../shared/reference/nmbrs-soap-v3 not found"
    )
    return ["sandbox", pytest.param("reference", marks=[pytest.mark.reference, skip])]


@pytest.fixture(params=wsdl_sources())
def hook(request, nmbrs_sandbox, nmbrs_connection) -> NmbrsHook:
    conn_id = nmbrs_connection(f"plain_{request.param}", nmbrs_sandbox.url, *DEMO_USER)
    if request.param == "sandbox":
        return NmbrsHook(conn_id)
    locations = {s: str(REFERENCE / f"{s}.wsdl") for s in ("CompanyService", "EmployeeService")}
    return NmbrsHook(conn_id, wsdl_locations=locations)


def raw_answer(hook: NmbrsHook, operation: str, company_id: int) -> requests.Response:
    proxy = hook.client.service("EmployeeService")
    args = (
        {"CompanyId": company_id, "EmployeeType": 0}
        if operation == "List_GetByCompany"
        else {"CompanyID": company_id}
    )
    with proxy._client.settings(raw_response=True):
        return getattr(proxy, operation)(
            **args, _soapheaders={"AuthHeaderWithDomain": hook.client.settings.auth_header()}
        )


def answer(content: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = content
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    return response


def both(hook: NmbrsHook, operation: str, response: requests.Response) -> tuple[Any, Any]:
    """(zeep's value, the plain value) of one answer; the plain one must not decline."""
    proxy = hook.client.service("EmployeeService")
    binding = proxy._binding
    op = binding.get(operation)
    by_zeep = serialize_object(binding.process_reply(proxy._client, op, response), dict)
    envelope = parse_xml(response.content, binding.transport, settings=proxy._client.settings)
    return by_zeep, read_reply(op.output, envelope)


@pytest.mark.parametrize("operation", sorted(PLAIN_READS))
def test_the_company_reads_give_what_zeep_gives(hook, operation):
    for company_id in COMPANIES:
        by_zeep, plain = both(hook, operation, raw_answer(hook, operation, company_id))
        assert by_zeep  # the demo companies have employees
        assert plain == by_zeep
        assert [type(v) for v in _leaves(plain)] == [type(v) for v in _leaves(by_zeep)]


@pytest.mark.parametrize(
    "operation",
    [
        "List_GetByCompany",
        "PersonalInfo_GetAll_AllEmployeesByCompany",
        "Salary_GetAll_AllEmployeesByCompany",
    ],
)
def test_the_reference_samples_give_what_zeep_gives(hook, operation):
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference/nmbrs-soap-v3 not found")
    sample = REFERENCE / "samples" / f"{operation}.response.xml"
    by_zeep, plain = both(hook, operation, answer(sample.read_bytes()))
    assert by_zeep and plain == by_zeep


def _variant(content: bytes, change) -> bytes:
    root = etree.fromstring(content)
    change(root)
    return etree.tostring(root)


def _local(node: etree._Element, name: str) -> list[etree._Element]:
    return [e for e in node.iter() if isinstance(e.tag, str) and etree.QName(e).localname == name]


def _drop_optional_leaves(root: etree._Element, optional: set[str]) -> None:
    for item in _local(root, "PersonalInfo_V2")[:2]:
        for leaf in list(item):
            if etree.QName(leaf).localname in optional:
                item.remove(leaf)


def _nil_and_unreadable(root: etree._Element, _optional: set[str]) -> None:
    first = _local(root, "PersonalInfo_V2")[0]
    for leaf in first:
        name = etree.QName(leaf).localname
        if name == "FirstName":
            leaf.text = None
            leaf.set(XSI_NIL, "true")
        if name == "StartYear":
            leaf.text = "not a number"


def _other_datetimes(root: etree._Element, _optional: set[str]) -> None:
    texts = iter(
        ["2024-01-01T00:00:00.250000+01:00", "2024-02-30T00:00:00", "2024-03-01", "2024-03-01Z",
         "2024-03-01 10:00:00", "2024-03-01T24:00:00"]
    )  # fmt: skip
    for leaf in _local(root, "CreationDate"):
        text = next(texts, None)
        if text is None:
            return
        leaf.text = text


def _unqualified(root: etree._Element, _optional: set[str]) -> None:
    for item in _local(root, "PersonalInfo_V2"):
        for leaf in item:
            leaf.tag = etree.QName(leaf).localname


def _empty_result(root: etree._Element, _optional: set[str]) -> None:
    (result,) = _local(root, "PersonalInfo_GetAll_AllEmployeesByCompanyResult")
    for child in list(result):
        result.remove(child)


def _empty_history(root: etree._Element, _optional: set[str]) -> None:
    history = _local(root, "EmployeePersonalInfos")[0]
    for child in list(history):
        history.remove(child)


@pytest.mark.parametrize(
    "change",
    [
        _drop_optional_leaves,
        _nil_and_unreadable,
        _other_datetimes,
        _unqualified,
        _empty_result,
        _empty_history,
    ],
)
def test_missing_nil_unreadable_and_unqualified_values_read_as_zeep_reads_them(hook, change):
    operation = "PersonalInfo_GetAll_AllEmployeesByCompany"
    content = raw_answer(hook, operation, COMPANIES[0]).content
    declared = hook.client.service("EmployeeService")._client.get_type(
        "{https://api.nmbrs.nl/soap/v3/EmployeeService}PersonalInfo_V2"
    )
    optional = {e.qname.localname for _, e in declared.elements if e.is_optional}
    assert optional  # something to leave out
    changed = _variant(content, lambda root: change(root, optional))
    by_zeep, plain = both(hook, operation, answer(changed))
    assert plain == by_zeep


def test_an_unexpected_element_is_left_to_zeep_which_refuses_it(hook):
    operation = "PersonalInfo_GetAll_AllEmployeesByCompany"

    def intruder(root: etree._Element) -> None:
        item = _local(root, "PersonalInfo_V2")[0]
        etree.SubElement(item, "{urn:elsewhere}Surprise").text = "x"

    content = _variant(raw_answer(hook, operation, COMPANIES[0]).content, intruder)
    proxy = hook.client.service("EmployeeService")
    binding = proxy._binding
    op = binding.get(operation)
    envelope = parse_xml(content, binding.transport, settings=proxy._client.settings)
    with pytest.raises(Declined):
        read_reply(op.output, envelope)
    with pytest.raises(zeep.exceptions.XMLParseError):  # zeep's own refusal, unchanged
        reply_value(proxy._client, binding, op, answer(content))


def test_faults_of_a_company_read_still_raise_as_before(nmbrs_sandbox, nmbrs_connection):
    conn_id = nmbrs_connection("plain_fault", nmbrs_sandbox.url, DEMO_USER[0], "wrong-token")
    with pytest.raises(NmbrsAuthenticationError):  # the fault, translated as before
        NmbrsHook(conn_id).get_personal_info(COMPANIES[0])


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]
