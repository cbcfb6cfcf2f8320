"""Errors of the REST backend's authorization. None ever contains a token or a secret."""

from __future__ import annotations

from nmbrs_provider.exceptions import (
    NmbrsAuthenticationError,
    NmbrsConfigurationError,
    NmbrsTransientError,
)


def authorize_command(conn_id: str) -> str:
    """The command that (re)creates the grant of ``conn_id``."""
    return f"python -m nmbrs_provider authorize --conn-id {conn_id}"


class NmbrsGrantError(NmbrsAuthenticationError):
    """No usable grant: never authorized, revoked, expired or for another client.

    The message names the connection and the command to run again.
    """

    code = None

    def __init__(self, conn_id: str, why: str) -> None:
        super().__init__(f"Nmbrs connection {conn_id!r}: {why}. Run {authorize_command(conn_id)}")
        self.conn_id = conn_id


class NmbrsTokenStoreError(NmbrsConfigurationError):
    """The token store cannot be used: no key, a wrong key, or no warehouse connection."""


class NmbrsTokenEndpointError(NmbrsTransientError):
    """The identity server did not answer usably (network, 5xx, a body that is not a token)."""
