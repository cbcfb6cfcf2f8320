"""Large SOAP answers read straight into plain values, with the XSD declarations zeep loaded.

zeep parses an answer into its value objects, and the operations then turn those into dicts
(``zeep.helpers.serialize_object``). For a company-wide read of 2,500 employees that costs
about a second of CPU per answer, while the task sends no call; with several company tasks on
one machine it is most of the time their API users stand idle. :func:`read_reply` walks the
same safely parsed lxml tree with the same element declarations and builds the dicts directly:
the same keys in the same order, each leaf converted by its XSD type's ``pythonvalue`` as zeep
converts it, and zeep's unwrapping of the single result.

It reads the shapes Nmbrs' answers have: sequences of elements, simple leaves, nested arrays.
Anything else (a fault, an ``xsi:type``, an element the declaration does not expect, a choice,
attributes, SOAP headers in the answer) raises :class:`Declined`, and zeep reads the answer as
it always does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from typing import Any

from lxml import etree
from zeep.loader import parse_xml
from zeep.utils import get_media_type
from zeep.xsd import ComplexType, Element
from zeep.xsd.elements.indicators import Sequence
from zeep.xsd.types.builtins import DateTime
from zeep.xsd.types.simple import AnySimpleType

_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_UNBOUNDED = "unbounded"
_PLAIN_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\Z")


class Declined(Exception):
    """The answer has a shape this reader does not handle: let zeep read it."""


#: Per complex type and child: key, tag, local name, max occurs (None: unbounded), whether it
#: repeats, whether it is optional, its type, and its type's conversion when it is a leaf.
_Plan = tuple[tuple[str, str, str, "int | None", bool, bool, Any, Any], ...]
_PLANS: dict[int, tuple[ComplexType, _Plan | None]] = {}
_PLANS_LOCK = threading.Lock()


def read_reply(output: Any, envelope: etree._Element) -> Any:
    """What ``serialize_object(output.deserialize(envelope), dict)`` returns, or
    :class:`Declined`. ``output`` is the operation's output message (a zeep
    ``DocumentMessage``), ``envelope`` the answer's parsed root."""
    if getattr(output, "_is_body_wrapped", True) or output.header.type._element:
        raise Declined("wrapped body or answer headers")
    body = envelope.find("soap-env:Body", namespaces=output.nsmap)
    if body is None:
        raise Declined("no body")
    children = list(body)
    declared: Element = output.body
    if len(children) != 1 or not isinstance(children[0].tag, str):
        raise Declined("not one answer element")
    if etree.QName(children[0].tag).localname != declared.qname.localname:
        raise Declined("not the declared answer (a fault?)")
    response = _value(declared, children[0])
    # zeep's unwrapping: the answer element's only child, and that one's only element (a list
    # for an array) when its type has no other element and no attribute.
    if not response:
        return None
    if len(response) > 1:
        return response
    ((key, result),) = response.items()
    if isinstance(result, dict):
        result_type = next(entry[6] for entry in _plan(declared.type) or () if entry[0] == key)
        inner = _plan(result_type)
        if inner is not None and len(inner) == 1:
            return result[inner[0][0]]
    return result


def reply_value(client: Any, binding: Any, operation: Any, response: Any) -> Any:
    """The value of a raw answer (``response``, a ``requests.Response`` of a zeep client
    called with ``raw_response``), read by :func:`read_reply` when it can and by zeep's own
    ``process_reply`` when it cannot (faults and errors then raise as zeep raises them)."""
    content_type = response.headers.get("Content-Type", "text/xml")
    if response.status_code == 200 and get_media_type(content_type) != "multipart/related":
        try:
            envelope = parse_xml(response.content, binding.transport, settings=client.settings)
        except etree.XMLSyntaxError:
            envelope = None  # zeep refuses it below, as always
        envelope_tag = etree.QName(operation.output.nsmap["soap-env"], "Envelope").text
        if envelope is not None and envelope.tag == envelope_tag:
            try:
                return read_reply(operation.output, envelope)
            except Declined:
                pass
    return binding.process_reply(client, operation, response)


def _value(element: Element, node: etree._Element) -> Any:
    """The plain value of ``node``, an instance of ``element`` (zeep's ``Element.parse``)."""
    if node.get(_XSI_TYPE) is not None:
        raise Declined("xsi:type")
    xsd_type = element.type
    if isinstance(xsd_type, AnySimpleType):
        return _leaf(xsd_type.pythonvalue, node.text)
    return _complex(xsd_type, node)


def _leaf(convert: Any, text: str | None) -> Any:
    if text is None:
        return None
    try:
        return convert(text)
    except (TypeError, ValueError):
        return None  # as zeep: an unreadable leaf is None


def _complex(xsd_type: Any, node: etree._Element) -> Any:
    """A complex element's dict (zeep's ``ComplexType.parse_xmlelement``, serialized)."""
    plan = _plan(xsd_type)
    if plan is None:  # an empty complex type
        return None
    children = list(node)
    if not children and not node.attrib:
        return None
    result: dict[str, Any] = {}
    index, count = 0, len(children)
    for key, full, local, most, multiple, optional, child_type, convert in plan:
        values: list[Any] = []
        while index < count and (most is None or len(values) < most):
            child = children[index]
            tag = child.tag
            if tag != full and tag != local and not _same_name(tag, full, local):
                break
            if child.get(_XSI_TYPE) is not None:
                raise Declined("xsi:type")
            if convert is not None:
                values.append(_leaf(convert, child.text))
            else:
                values.append(_complex(child_type, child))
            index += 1
        if not values and index < count and not optional:
            raise Declined(f"unexpected element instead of {local}")
        result[key] = values if multiple else (values[0] if values else None)
    if index < count:
        raise Declined(f"unexpected element {children[index].tag}")
    return result


def _datetime_reader(convert: Any) -> Any:
    """zeep's ``xsd:dateTime`` conversion, with the plain ``YYYY-MM-DDThh:mm:ss`` that Nmbrs
    sends read directly (the same naive datetime; anything else goes to zeep's)."""

    def read(text: str) -> Any:
        if len(text) == 19 and _PLAIN_DATETIME.match(text):
            with contextlib.suppress(ValueError):  # 24:00:00, say: zeep decides
                return dt.datetime(
                    int(text[0:4]), int(text[5:7]), int(text[8:10]),
                    int(text[11:13]), int(text[14:16]), int(text[17:19]),
                )  # fmt: skip
        return convert(text)

    return read


def _same_name(tag: Any, full: str, local: str) -> bool:
    """Whether ``tag`` names the declared element although it is not spelled ``full`` or
    ``local``: zeep accepts the local name when only one side has a namespace."""
    if not isinstance(tag, str):
        raise Declined("comment or processing instruction")
    namespace, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return name == local and (not namespace or full == local)


def _plan(xsd_type: Any) -> _Plan | None:
    """The children of a complex type of the handled shape (None: no children at all)."""
    cached = _PLANS.get(id(xsd_type))
    if cached is not None and cached[0] is xsd_type:
        return cached[1]
    plan = _make_plan(xsd_type)
    with _PLANS_LOCK:
        _PLANS[id(xsd_type)] = (xsd_type, plan)  # keeps the type alive: its id is not reused
    return plan


def _make_plan(xsd_type: Any) -> _Plan | None:
    if not isinstance(xsd_type, ComplexType) or xsd_type.attributes:
        raise Declined("not a complex type without attributes")
    if getattr(xsd_type, "_array_type", None):
        raise Declined("SOAP-encoded array")
    nested = xsd_type.elements_nested
    if not nested:
        return None
    if len(nested) != 1 or type(nested[0][1]) is not Sequence:
        raise Declined("not one plain sequence")
    sequence = nested[0][1]
    if sequence.max_occurs != 1:
        raise Declined("repeated sequence")
    plan = []
    for key, child in sequence.elements:
        if type(child) is not Element:
            raise Declined("not a plain element")
        if child.default is not None:
            raise Declined("element with a default")
        most = child.max_occurs
        local = child.qname.localname
        simple = isinstance(child.type, AnySimpleType)
        convert = child.type.pythonvalue if simple else None
        if type(child.type) is DateTime:
            convert = _datetime_reader(convert)
        plan.append(
            (
                key,
                child.qname.text if child.qname.namespace else local,
                local,
                None if most == _UNBOUNDED else int(most),
                child.accepts_multiple,
                child.is_optional,
                child.type,
                convert,
            )
        )
    return tuple(plan)
