"""Building blocks for declaring SOAP operations and their XML Schema types.

The declarations in :mod:`nmbrs_sandbox.contract` use these to describe what the sandbox
implements; the WSDL, request decoding and response encoding are all derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass

INT = "s:int"
DECIMAL = "s:decimal"
STRING = "s:string"
BOOLEAN = "s:boolean"
DATETIME = "s:dateTime"
BASE64 = "s:base64Binary"

# .NET value types: ASMX declares them minOccurs="1" (reference types get minOccurs="0").
_VALUE_TYPES = frozenset({INT, DECIMAL, BOOLEAN, DATETIME})


@dataclass(frozen=True)
class Enum:
    """A string enumeration (``s:simpleType`` restriction)."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Complex:
    """A sequence type; ``name=None`` declares it inline (anonymous)."""

    name: str | None
    fields: tuple[Field, ...] = ()
    base: Complex | None = None
    any_attribute: bool = False

    def all_fields(self) -> tuple[Field, ...]:
        """Fields in document order: the base type's first."""
        return (self.base.all_fields() if self.base else ()) + self.fields

    @property
    def item(self) -> Field | None:
        """The repeated child when this is an ``ArrayOfX`` wrapper, else None."""
        fields = self.all_fields()
        if len(fields) == 1 and fields[0].max_occurs is None:
            return fields[0]
        return None


TypeRef = str | Enum | Complex


@dataclass(frozen=True)
class Field:
    """One ``s:element`` inside a sequence; ``max_occurs=None`` means unbounded."""

    name: str
    type: TypeRef
    min_occurs: int = 1
    max_occurs: int | None = 1
    nillable: bool = False


@dataclass(frozen=True)
class Operation:
    """A document/literal wrapped operation: ``{name}(params) -> {name}Result``."""

    name: str
    doc: str
    params: tuple[Field, ...]
    result: Field | None


@dataclass(frozen=True)
class Service:
    """One ASMX endpoint (``/soap/v3/{name}.asmx``)."""

    name: str
    namespace: str
    operations: tuple[Operation, ...]

    def operation(self, name: str) -> Operation | None:
        return next((op for op in self.operations if op.name == name), None)


def field(
    name: str, type_: TypeRef, *, nillable: bool = False, min_occurs: int | None = None
) -> Field:
    """A single element with the minOccurs ASMX gives its type unless told otherwise."""
    if min_occurs is None:
        min_occurs = 1 if type_ in _VALUE_TYPES or isinstance(type_, Enum) else 0
    return Field(name, type_, min_occurs, 1, nillable)


def array_of(item: Complex) -> Complex:
    """The ``ArrayOfX`` wrapper ASMX generates for a list of ``X``."""
    if item.name is None:
        raise ValueError("an array item type needs a name")
    return Complex(f"ArrayOf{item.name}", (Field(item.name, item, 0, None, nillable=True),))


def operation(name: str, doc: str, params: tuple[Field, ...], result: TypeRef | None) -> Operation:
    """Declare an operation; its result element is ``{name}Result``."""
    return Operation(name, doc, params, None if result is None else field(f"{name}Result", result))
