"""Validated settings of an Nmbrs connection, checked before any call is made."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from nmbrs_provider.exceptions import NmbrsConfigurationError
from nmbrs_provider.get_provider_info import NMBRS_PRODUCTION_URL, NMBRS_SANDBOX_URL

DEFAULT_TIMEOUT_SECONDS = 60.0
#: Nmbrs delays every call past about 150 per second per account; stay below with a margin.
DEFAULT_CALLS_PER_SECOND = 140.0
#: Calls in flight at once: enough to reach the rate at round trips of ~100 ms.
DEFAULT_MAX_CONCURRENCY = 16
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class NmbrsConnectionSettings:
    """Everything needed to call Nmbrs. ``repr`` never shows the token."""

    username: str
    token: str = field(repr=False)
    domain: str
    base_url: str = NMBRS_PRODUCTION_URL
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    verify_tls: bool = True
    calls_per_second: float = DEFAULT_CALLS_PER_SECOND
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY

    def service_url(self, service: str) -> str:
        """Endpoint of ``CompanyService`` or ``EmployeeService``."""
        return f"{self.base_url}/soap/v3/{service}.asmx"

    def wsdl_url(self, service: str) -> str:
        """Where the service publishes its WSDL."""
        return f"{self.service_url(service)}?WSDL"

    def auth_header(self) -> dict[str, str]:
        """The ``AuthHeaderWithDomain`` every call carries."""
        return {"Username": self.username, "Token": self.token, "Domain": self.domain}

    @classmethod
    def from_fields(
        cls,
        *,
        login: str | None,
        password: str | None,
        host: str | None,
        port: int | None = None,
        extra: Mapping[str, Any] | None = None,
        conn_id: str = "nmbrs_default",
    ) -> NmbrsConnectionSettings:
        """Build settings from an Airflow connection's fields; raise one error naming every fix."""
        # Older connection forms stored fields as ``extra__nmbrs__<name>``.
        extra = {k.removeprefix("extra__nmbrs__"): v for k, v in dict(extra or {}).items()}
        problems: list[str] = []
        username = (login or "").strip()
        if not username:
            problems.append("Login is empty: enter the API user's e-mail address.")
        elif not _EMAIL.match(username):
            problems.append(
                f"Login {username!r} is not an e-mail address: Nmbrs API users log in with the "
                "e-mail address of the API user."
            )
        token = (password or "").strip()
        if not token:
            problems.append(
                "Password is empty: enter the API token of the API user (Nmbrs: "
                "user settings > API token)."
            )
        domain = _domain(extra.get("domain"), problems)
        base_url = _base_url(host, port, _flag(extra.get("use_sandbox"), False, problems), problems)
        timeout = _timeout(extra.get("timeout"), problems)
        verify = _flag(extra.get("verify_tls", extra.get("verify")), True, problems)
        rate = _positive(
            extra.get("calls_per_second"), "calls_per_second", DEFAULT_CALLS_PER_SECOND, problems
        )
        concurrency = int(
            _positive(
                extra.get("max_concurrency"), "max_concurrency", DEFAULT_MAX_CONCURRENCY, problems
            )
        )
        if problems:
            raise NmbrsConfigurationError(
                f"Nmbrs connection {conn_id!r} is not usable:\n- " + "\n- ".join(problems)
            )
        return cls(username, token, domain, base_url, timeout, verify, rate, concurrency)


def _domain(value: object, problems: list[str]) -> str:
    domain = str(value or "").strip()
    if not domain:
        problems.append(
            "Extra 'domain' is empty: enter your environment's subdomain ('acme' for "
            "acme.nmbrs.nl)."
        )
        return ""
    if "://" in domain or "." in domain:
        host = urlsplit(domain if "://" in domain else f"//{domain}").hostname or domain
        problems.append(
            f"Extra 'domain' {domain!r} is a host name: enter only the subdomain, "
            f"{host.split('.')[0]!r}."
        )
        return ""
    if not _DOMAIN.match(domain):
        problems.append(f"Extra 'domain' {domain!r} may hold only letters, digits and '-'.")
        return ""
    return domain


def _base_url(host: str | None, port: int | None, sandbox: bool, problems: list[str]) -> str:
    raw = (host or "").strip().rstrip("/")
    if not raw:
        return NMBRS_SANDBOX_URL if sandbox else NMBRS_PRODUCTION_URL
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(
            f"Host {raw!r} has no scheme: enter the base URL with it, e.g. "
            f"'https://{raw.split('://')[-1]}'."
        )
        return ""
    if parts.path or parts.query:
        problems.append(
            f"Host {raw!r} has a path: enter only scheme, host and port "
            f"('{parts.scheme}://{parts.netloc}'); the hook adds /soap/v3/<Service>.asmx itself."
        )
        return ""
    if port and parts.port is None:
        return f"{raw}:{int(port)}"
    return raw


def _timeout(value: object, problems: list[str]) -> float:
    if value in (None, ""):
        return DEFAULT_TIMEOUT_SECONDS
    try:
        timeout = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(f"Extra 'timeout' {value!r} is not a number of seconds.")
        return DEFAULT_TIMEOUT_SECONDS
    if timeout <= 0:
        problems.append(f"Extra 'timeout' must be positive, got {value!r}.")
    return timeout


def _positive(value: object, name: str, default: float, problems: list[str]) -> float:
    if value in (None, ""):
        return default
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(f"Extra {name!r} {value!r} is not a number.")
        return default
    if not number > 0 or number == float("inf"):
        problems.append(f"Extra {name!r} must be a positive number, got {value!r}.")
        return default
    return number


def _flag(value: object, default: bool, problems: list[str]) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(f"Expected true or false, got {value!r}.")
    return default
