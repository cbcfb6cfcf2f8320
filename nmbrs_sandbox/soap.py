"""SOAP 1.1/1.2 envelopes: read requests, write responses and ASMX-style faults."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from nmbrs_sandbox.contract import AUTH_HEADER_WITH_DOMAIN
from nmbrs_sandbox.faults import ClientFault
from nmbrs_sandbox.schema import BASE64, BOOLEAN, DATETIME, DECIMAL, INT, Complex, Enum, Field

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CONTENT_TYPES = {SOAP11: "text/xml; charset=utf-8", SOAP12: "application/soap+xml; charset=utf-8"}

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class Credentials:
    username: str | None
    token: str | None
    domain: str | None


@dataclass(frozen=True)
class SoapRequest:
    envelope_ns: str  # SOAP11 or SOAP12
    namespace: str
    operation: str
    body: etree._Element
    credentials: Credentials | None


def parse_request(data: bytes) -> SoapRequest:
    """Split a SOAP request into version, operation element and auth header."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ClientFault(f"Server was unable to read request. ---> {exc}") from exc
    envelope_ns = etree.QName(root).namespace
    if etree.QName(root).localname != "Envelope" or envelope_ns not in (SOAP11, SOAP12):
        raise ClientFault("Server was unable to read request. ---> not a SOAP envelope")
    body = root.find(f"{{{envelope_ns}}}Body")
    operation = None if body is None else next(iter(body), None)
    if operation is None or not isinstance(operation.tag, str):
        raise ClientFault("Server was unable to read request. ---> empty SOAP body")
    name = etree.QName(operation)
    return SoapRequest(
        envelope_ns=str(envelope_ns),
        namespace=name.namespace or "",
        operation=name.localname,
        body=operation,
        credentials=_credentials(root.find(f"{{{envelope_ns}}}Header"), name.namespace or ""),
    )


def _credentials(header: etree._Element | None, namespace: str) -> Credentials | None:
    element = None if header is None else header.find(f"{{{namespace}}}AuthHeaderWithDomain")
    if element is None:
        return None
    values = decode_fields(element, AUTH_HEADER_WITH_DOMAIN.all_fields(), namespace)
    return Credentials(values["Username"], values["Token"], values["Domain"])


# --- decoding -------------------------------------------------------------------------------

_DEFAULTS: dict[Any, Any] = {INT: 0, DECIMAL: Decimal(0), BOOLEAN: False}


def decode_fields(parent: etree._Element, fields: tuple[Field, ...], ns: str) -> dict[str, Any]:
    """Child elements as a dict; absent ones get .NET defaults (0, false, null)."""
    values: dict[str, Any] = {}
    for sub in fields:
        children = parent.findall(f"{{{ns}}}{sub.name}")
        if sub.max_occurs is None:
            values[sub.name] = [_decode(child, sub, ns) for child in children]
        elif children:
            values[sub.name] = _decode(children[0], sub, ns)
        else:
            values[sub.name] = None if sub.nillable else _DEFAULTS.get(sub.type)
    return values


def _decode(element: etree._Element, sub: Field, ns: str) -> Any:
    if element.get(f"{{{XSI}}}nil") in ("true", "1"):
        return None
    type_ = sub.type
    if isinstance(type_, Complex):
        item = type_.item
        if item is not None:
            return decode_fields(element, (item,), ns)[item.name]
        return decode_fields(element, type_.all_fields(), ns)
    text = (element.text or "").strip()
    try:
        return _scalar(type_, text)
    except ValueError as exc:
        raise ClientFault(
            f"Server was unable to read request. ---> {sub.name}: {text!r} is not a {type_}"
        ) from exc


def _scalar(type_: str | Enum, text: str) -> Any:
    if type_ == INT:
        return int(text)
    if type_ == DECIMAL:
        try:
            return Decimal(text)
        except ArithmeticError as exc:
            raise ValueError(text) from exc
    if type_ == BOOLEAN:
        if text not in ("true", "false", "1", "0"):
            raise ValueError(text)
        return text in ("true", "1")
    if type_ == DATETIME:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    if type_ == BASE64:
        return base64.b64decode(text)
    return text


# --- encoding -------------------------------------------------------------------------------


def render_response(
    envelope_ns: str, namespace: str, operation: str, result: Field | None, value: Any
) -> bytes:
    """A ``{operation}Response`` envelope carrying ``value`` as ``{operation}Result``."""
    envelope, body = _envelope(envelope_ns)
    response = etree.SubElement(
        body, f"{{{namespace}}}{operation}Response", nsmap={None: namespace}
    )
    if result is not None:
        _encode_field(response, result, value, namespace)
    return _serialize(envelope)


def render_fault(envelope_ns: str, message: str, *, client: bool = False) -> bytes:
    """An ASMX fault: ``soap:Server`` (or ``soap:Client``) with ``message``."""
    envelope, body = _envelope(envelope_ns)
    fault = etree.SubElement(body, f"{{{envelope_ns}}}Fault")
    if envelope_ns == SOAP11:
        etree.SubElement(fault, "faultcode").text = "soap:Client" if client else "soap:Server"
        etree.SubElement(fault, "faultstring").text = message
        etree.SubElement(fault, "detail")
    else:
        code = etree.SubElement(fault, f"{{{SOAP12}}}Code")
        value = etree.SubElement(code, f"{{{SOAP12}}}Value")
        value.text = "soap:Sender" if client else "soap:Receiver"
        reason = etree.SubElement(fault, f"{{{SOAP12}}}Reason")
        text = etree.SubElement(reason, f"{{{SOAP12}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        text.text = message
        etree.SubElement(fault, f"{{{SOAP12}}}Detail")
    return _serialize(envelope)


def _envelope(envelope_ns: str) -> tuple[etree._Element, etree._Element]:
    nsmap = {"soap": envelope_ns, "xsi": XSI, "xsd": "http://www.w3.org/2001/XMLSchema"}
    envelope = etree.Element(f"{{{envelope_ns}}}Envelope", nsmap=nsmap)
    return envelope, etree.SubElement(envelope, f"{{{envelope_ns}}}Body")


def _serialize(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _encode_field(parent: etree._Element, sub: Field, value: Any, ns: str) -> None:
    if sub.max_occurs is None:
        for item in value or ():
            _encode_one(parent, sub, item, ns)
    else:
        _encode_one(parent, sub, value, ns)


def _encode_one(parent: etree._Element, sub: Field, value: Any, ns: str) -> None:
    if value is None:
        if sub.nillable:
            etree.SubElement(parent, f"{{{ns}}}{sub.name}").set(f"{{{XSI}}}nil", "true")
        elif sub.min_occurs > 0:
            raise ValueError(f"{sub.name} is required")
        return
    element = etree.SubElement(parent, f"{{{ns}}}{sub.name}")
    type_ = sub.type
    if isinstance(type_, Complex):
        if type_.item is not None:
            _encode_field(element, type_.item, value, ns)
            return
        values: Mapping[str, Any] = value
        for child in type_.all_fields():
            _encode_field(element, child, values.get(child.name), ns)
        return
    element.text = _text(type_, value)


def _text(type_: str | Enum, value: Any) -> str:
    if isinstance(type_, Enum):
        if value not in type_.values:
            raise ValueError(f"{value!r} is not a {type_.name}")
        return str(value)
    if type_ == BOOLEAN:
        return "true" if value else "false"
    if type_ == DECIMAL:
        return format(Decimal(str(value)).normalize(), "f")
    if type_ == DATETIME:
        if not isinstance(value, datetime) and isinstance(value, date):
            value = datetime(value.year, value.month, value.day)
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if type_ == BASE64:
        return base64.b64encode(value).decode("ascii")
    return str(value)
