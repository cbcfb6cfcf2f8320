"""Nmbrs fault codes and the exceptions operations raise to produce them."""

from __future__ import annotations

INVALID_AUTHENTICATION = 1001
UNAUTHORIZED_ACCESS = 1002
LOGIN_SECURITY_FAILURE = 1006
INVALID_HOUR_COMPONENT = 2001
UNAUTHORIZED_EMPLOYEE = 2003
UNAUTHORIZED_COMPANY = 2004
INVALID_PERIOD = 2006
PROTECTED_MODE = 2011
UNKNOWN_ERROR = 9999

MESSAGES = {
    INVALID_AUTHENTICATION: "Invalid Authentication",
    UNAUTHORIZED_ACCESS: "Unauthorized Access",
    LOGIN_SECURITY_FAILURE: "Login security failure",
    INVALID_HOUR_COMPONENT: "Invalid HourComponent",
    UNAUTHORIZED_EMPLOYEE: "Unauthorized Employee",
    UNAUTHORIZED_COMPANY: "Unauthorized Company",
    INVALID_PERIOD: "Invalid Period",
    PROTECTED_MODE: "Protected mode, cannot change data in the past. Use UnprotectedMode",
    UNKNOWN_ERROR: "Unknown error",
}


class NmbrsFault(Exception):
    """A fault the service reports as ``soap:Server`` with ``{code}: {message}``."""

    def __init__(self, code: int, detail: str | None = None) -> None:
        self.code = code
        self.text = MESSAGES[code] if detail is None else f"{MESSAGES[code]}: {detail}"
        super().__init__(f"{code}: {self.text}")


class ClientFault(Exception):
    """The request itself is broken (``soap:Client``), e.g. unreadable XML."""
