"""Render an ASMX-style WSDL document from a :class:`~nmbrs_sandbox.schema.Service`."""

from __future__ import annotations

from lxml import etree

from nmbrs_sandbox.contract import AUTH_HEADER_WITH_DOMAIN
from nmbrs_sandbox.schema import Complex, Enum, Field, Service

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP11_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12_BINDING = "http://schemas.xmlsoap.org/wsdl/soap12/"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
HEADER = AUTH_HEADER_WITH_DOMAIN.name or ""


def render_wsdl(service: Service, location: str) -> bytes:
    """The WSDL of ``service`` with its ports at ``location``."""
    nsmap = {
        "wsdl": WSDL,
        "s": XS,
        "soap": SOAP11_BINDING,
        "soap12": SOAP12_BINDING,
        "tns": service.namespace,
    }
    root = etree.Element(f"{{{WSDL}}}definitions", nsmap=nsmap)
    root.set("targetNamespace", service.namespace)
    _types(etree.SubElement(root, f"{{{WSDL}}}types"), service)
    _messages(root, service)
    _port_type(root, service)
    for suffix, binding_ns in (("Soap", SOAP11_BINDING), ("Soap12", SOAP12_BINDING)):
        _binding(root, service, suffix, binding_ns)
    _service(root, service, location)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _xs(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{XS}}}{tag}", attrs)


def _types(parent: etree._Element, service: Service) -> None:
    schema = _xs(parent, "schema", elementFormDefault="qualified")
    schema.set("targetNamespace", service.namespace)
    named: dict[str, Complex | Enum] = {}
    for op in service.operations:
        _sequence(_xs(_xs(schema, "element", name=op.name), "complexType"), op.params, named)
        results = (op.result,) if op.result else ()
        response = _xs(_xs(schema, "element", name=f"{op.name}Response"), "complexType")
        _sequence(response, results, named)
    _collect(AUTH_HEADER_WITH_DOMAIN, named)
    _xs(schema, "element", name=HEADER, type=f"tns:{HEADER}")
    for declared in list(named.values()):
        _named_type(schema, declared, named)


def _collect(type_: Complex | Enum, named: dict[str, Complex | Enum]) -> None:
    """Register ``type_`` and every named type it refers to."""
    if type_.name is not None:
        if type_.name in named:
            return
        named[type_.name] = type_
    if isinstance(type_, Complex):
        if type_.base:
            _collect(type_.base, named)
        for sub in type_.fields:
            if not isinstance(sub.type, str):
                _collect(sub.type, named)


def _sequence(
    complex_el: etree._Element, fields: tuple[Field, ...], named: dict[str, Complex | Enum]
) -> None:
    if not fields:
        return
    sequence = _xs(complex_el, "sequence")
    for sub in fields:
        attrs = {
            "minOccurs": str(sub.min_occurs),
            "maxOccurs": "unbounded" if sub.max_occurs is None else str(sub.max_occurs),
            "name": sub.name,
        }
        if sub.nillable:
            attrs["nillable"] = "true"
        element = _xs(sequence, "element", **attrs)
        if isinstance(sub.type, str):
            element.set("type", sub.type)
        elif sub.type.name is None:
            _complex_body(_xs(element, "complexType"), sub.type, named)
        else:
            _collect(sub.type, named)
            element.set("type", f"tns:{sub.type.name}")


def _complex_body(
    complex_el: etree._Element, type_: Complex, named: dict[str, Complex | Enum]
) -> None:
    if type_.base is not None:
        content = _xs(complex_el, "complexContent", mixed="false")
        extension = _xs(content, "extension", base=f"tns:{type_.base.name}")
        _sequence(extension, type_.fields, named)
    else:
        _sequence(complex_el, type_.fields, named)
    if type_.any_attribute:
        _xs(complex_el, "anyAttribute")


def _named_type(
    schema: etree._Element, declared: Complex | Enum, named: dict[str, Complex | Enum]
) -> None:
    if isinstance(declared, Enum):
        simple = _xs(schema, "simpleType", name=declared.name)
        restriction = _xs(simple, "restriction", base="s:string")
        for value in declared.values:
            _xs(restriction, "enumeration", value=value)
        return
    _complex_body(_xs(schema, "complexType", name=declared.name or ""), declared, named)


def _w(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{WSDL}}}{tag}", attrs)


def _messages(root: etree._Element, service: Service) -> None:
    for op in service.operations:
        for suffix, element in (("SoapIn", op.name), ("SoapOut", f"{op.name}Response")):
            message = _w(root, "message", name=f"{op.name}{suffix}")
            _w(message, "part", name="parameters", element=f"tns:{element}")
        header = _w(root, "message", name=f"{op.name}AuthHeader")
        _w(header, "part", name=HEADER, element=f"tns:{HEADER}")


def _port_type(root: etree._Element, service: Service) -> None:
    port_type = _w(root, "portType", name=f"{service.name}Soap")
    for op in service.operations:
        element = _w(port_type, "operation", name=op.name)
        _w(element, "documentation").text = op.doc
        _w(element, "input", message=f"tns:{op.name}SoapIn")
        _w(element, "output", message=f"tns:{op.name}SoapOut")


def _binding(root: etree._Element, service: Service, suffix: str, binding_ns: str) -> None:
    binding = _w(root, "binding", name=f"{service.name}{suffix}")
    binding.set("type", f"tns:{service.name}Soap")
    etree.SubElement(binding, f"{{{binding_ns}}}binding", transport=HTTP_TRANSPORT)
    for op in service.operations:
        element = _w(binding, "operation", name=op.name)
        etree.SubElement(
            element,
            f"{{{binding_ns}}}operation",
            soapAction=f"{service.namespace}/{op.name}",
            style="document",
        )
        request = _w(element, "input")
        etree.SubElement(request, f"{{{binding_ns}}}body", use="literal")
        etree.SubElement(
            request,
            f"{{{binding_ns}}}header",
            message=f"tns:{op.name}AuthHeader",
            part=HEADER,
            use="literal",
        )
        etree.SubElement(_w(element, "output"), f"{{{binding_ns}}}body", use="literal")


def _service(root: etree._Element, service: Service, location: str) -> None:
    element = _w(root, "service", name=service.name)
    for suffix, binding_ns in (("Soap", SOAP11_BINDING), ("Soap12", SOAP12_BINDING)):
        port = _w(element, "port", name=f"{service.name}{suffix}")
        port.set("binding", f"tns:{service.name}{suffix}")
        etree.SubElement(port, f"{{{binding_ns}}}address", location=location)
