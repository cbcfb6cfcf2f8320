"""Typed errors for everything that can go wrong between Airflow and Nmbrs.

Each error says what happened and what to do about it. None ever contains the API token.
"""

from __future__ import annotations


class NmbrsError(Exception):
    """Base class of every Nmbrs error raised by this provider."""

    #: Nmbrs fault code, when the error came from a fault.
    code: int | None = None
    #: Whether retrying the same call later may succeed.
    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        service: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.service = service
        self.operation = operation

    @property
    def qualified_operation(self) -> str | None:
        """``Service.Operation`` of the failed call, when known."""
        if self.operation is None:
            return None
        return f"{self.service}.{self.operation}" if self.service else self.operation


class NmbrsConfigurationError(NmbrsError):
    """The connection's settings are wrong; caught before any call is made."""


class NmbrsAuthenticationError(NmbrsError):
    """Fault 1001: Nmbrs refused the e-mail, token and domain combination."""

    code = 1001


class NmbrsPermissionError(NmbrsError):
    """Fault 1002: the API user's template does not allow this operation."""

    code = 1002


class NmbrsCompanyAccessError(NmbrsError):
    """Faults 1003/2004: the company is unknown or not visible to this API user."""


class NmbrsSubscriptionError(NmbrsError):
    """Fault 1004: the environment has no valid subscription for the API."""

    code = 1004


class NmbrsUnknownEmployeeError(NmbrsError):
    """Fault 2003: the employee is unknown or not visible to this API user."""

    code = 2003


class NmbrsInvalidHourCodeError(NmbrsError):
    """Fault 2001: an hour code is not in the company's hour model."""

    code = 2001


class NmbrsInvalidPeriodError(NmbrsError):
    """Fault 2006: the period does not exist for the company's period type."""

    code = 2006


class NmbrsProtectedPeriodError(NmbrsError):
    """Fault 2011 (or a 9999 about protection): the period is in the past for Nmbrs."""

    code = 2011


class NmbrsWageTaxDeclarationSentError(NmbrsError):
    """Fault 2012: the wage tax declaration of the period has already been sent."""

    code = 2012


class NmbrsTransientError(NmbrsError):
    """A failure that may pass: HTTP 5xx, timeout, connection reset or fault 1006.

    ``maybe_applied`` is true when the request may have reached Nmbrs and taken effect
    before the answer was lost (a timeout or a 5xx after sending a write).
    """

    transient = True

    def __init__(self, message: str, *, maybe_applied: bool = False, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.maybe_applied = maybe_applied


class NmbrsFaultError(NmbrsError):
    """Any other fault Nmbrs answered with."""


class NmbrsResponseError(NmbrsError):
    """Nmbrs (or whatever answered) sent something that is not a valid SOAP answer."""
