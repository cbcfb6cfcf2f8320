"""Choosing the backend: a company's ``nmbrs_conn_id`` decides, by its connection type.

``nmbrs`` -> :class:`~nmbrs_provider.hooks.nmbrs.NmbrsHook` (SOAP, integer ids);
``nmbrs_rest`` -> :class:`~nmbrs_provider.hooks.nmbrs_rest.NmbrsRestHook` (REST, UUIDs).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from nmbrs_provider.exceptions import NmbrsConfigurationError

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from nmbrs_provider.backend import NmbrsBackend

SOAP, REST = "nmbrs", "nmbrs_rest"


TYPE_LABELS = {SOAP: "Nmbrs", REST: "Nmbrs (REST)"}


def airflow_connection(conn_id: str, conn_type: str | None = None) -> Connection:
    """Connection ``conn_id``, of type ``conn_type`` when one is given.

    An undefined connection, or one of another type, is a :class:`NmbrsConfigurationError`
    (permanent: retrying cannot help) that says what to create or change.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    label = TYPE_LABELS.get(conn_type or "", "Nmbrs or Nmbrs (REST)")
    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise NmbrsConfigurationError(
            f"Connection {conn_id!r} is not defined: create it in Airflow (type {label}) or set "
            f"AIRFLOW_CONN_{conn_id.upper()} to its JSON (a company's connection is its "
            "nmbrs_conn_id in the sync config)."
        ) from None
    if conn_type is not None and conn.conn_type != conn_type:
        raise NmbrsConfigurationError(
            f"Connection {conn_id!r} is of type {conn.conn_type!r}, not {conn_type!r}: give it "
            f"type {label} or use an {label} connection."
        )
    return conn


def conn_type_of(conn_id: str) -> str:
    """The connection's type; an undefined connection is a :class:`NmbrsConfigurationError`."""
    return str(airflow_connection(conn_id).conn_type or "")


def backend_for(conn_id: str, *, batch_size: int | None = None) -> NmbrsBackend:
    """The backend of connection ``conn_id`` (``batch_size``: SOAP's batch writes).

    An undefined connection gives the SOAP hook, which says what to create on first use (the
    hooks read their connection lazily).
    """
    try:
        kind = conn_type_of(conn_id)
    except NmbrsConfigurationError:
        kind = SOAP
    if kind == REST:
        from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook

        return NmbrsRestHook(conn_id)
    from nmbrs_provider.hooks.nmbrs import DEFAULT_BATCH_SIZE, NmbrsHook

    return NmbrsHook(conn_id, batch_size=batch_size or DEFAULT_BATCH_SIZE)


def api_of(conn_id: str) -> str:
    """``"rest"`` or ``"soap"``: which API a connection speaks (for the ledger and logs)."""
    return "rest" if conn_type_of(conn_id) == REST else "soap"


def check_company_id(company_id: int | str, conn_id: str) -> None:
    """Raise :class:`NmbrsConfigurationError` when ``company_id`` is not an id of the
    connection's API: an integer for ``nmbrs``, a UUID for ``nmbrs_rest``."""
    try:
        rest = conn_type_of(conn_id) == REST
    except NmbrsConfigurationError:
        return  # undefined: the company's task reports it on first use, into the ledger
    if rest and not _is_uuid(company_id):
        raise NmbrsConfigurationError(
            f"company_id {company_id!r} is a SOAP company id but connection {conn_id!r} is an "
            "Nmbrs REST connection, which names companies by UUID: set company_id to the UUID "
            f"that `python -m nmbrs_provider companies --conn-id {conn_id}` lists."
        )
    if not rest and not isinstance(company_id, int):
        raise NmbrsConfigurationError(
            f"company_id {company_id!r} is a REST company UUID but connection {conn_id!r} is an "
            "Nmbrs SOAP connection, which numbers companies: set company_id to the number that "
            f"`python -m nmbrs_provider companies --conn-id {conn_id}` lists, or point "
            "nmbrs_conn_id at an Nmbrs (REST) connection."
        )


def as_company_id(value: object) -> int | str:
    """A company id from a task argument or XCom: an int for SOAP (``"54613"`` included), else
    the UUID text of a REST company."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
