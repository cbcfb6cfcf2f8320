"""REST identifiers: UUIDs derived deterministically (uuid5) from the sandbox's SOAP integers.

Nmbrs itself maps neither id to the other; the sandbox derives them so a test can name the
same company, employee or hour component in both APIs.
"""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("5d0c2a4e-6f4b-5b8e-9a51-6e6d627273b1")  # the sandbox's own namespace


def derived(kind: str, number: int) -> str:
    """The UUID of the sandbox object ``kind`` with SOAP id ``number``."""
    return str(uuid.uuid5(NAMESPACE, f"nmbrs-sandbox:{kind}:{number}"))


def company_uuid(company_id: int) -> str:
    return derived("company", company_id)


def employee_uuid(employee_id: int) -> str:
    return derived("employee", employee_id)


def component_uuid(component_id: int) -> str:
    return derived("hourcomponent", component_id)


def debtor_uuid(company_id: int) -> str:
    """The sandbox has one debtor per company (Nmbrs groups companies under debtors)."""
    return derived("debtor", company_id)


def normalized(value: str) -> str | None:
    """``value`` as a canonical lower-case UUID string, None when it is not a UUID."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None
