"""The Nmbrs REST API half of the sandbox: an OAuth server and the ``/api`` endpoints.

It serves the same :class:`~nmbrs_sandbox.state.World` as the SOAP endpoints, so what one API
writes the other reads. REST ids are UUIDs derived from the SOAP integers (:mod:`.ids`).
"""

from __future__ import annotations

from nmbrs_sandbox.rest.config import RestClient, RestConfig, RestUser
from nmbrs_sandbox.rest.ids import company_uuid, component_uuid, employee_uuid

__all__ = [
    "RestClient",
    "RestConfig",
    "RestUser",
    "company_uuid",
    "component_uuid",
    "employee_uuid",
]
