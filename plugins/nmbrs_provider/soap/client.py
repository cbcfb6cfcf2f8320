"""A zeep-based client for the two Nmbrs v3 services, with hardened parsing and retries."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters
import zeep
import zeep.exceptions
from lxml import etree
from zeep.cache import InMemoryCache
from zeep.transports import Transport
from zeep.wsdl import Document

from nmbrs_provider.connection_settings import NmbrsConnectionSettings
from nmbrs_provider.exceptions import (
    NmbrsConfigurationError,
    NmbrsError,
    NmbrsResponseError,
    NmbrsTransientError,
)
from nmbrs_provider.http_session import EnvironmentOnceSession
from nmbrs_provider.soap.call_stats import CallStats
from nmbrs_provider.soap.faults import translate_fault
from nmbrs_provider.soap.pacing import CallPacer, account_pacer
from nmbrs_provider.soap.plain_reply import reply_value

log = logging.getLogger(__name__)

SERVICES = ("CompanyService", "EmployeeService")
#: The company-wide reads, whose answers grow with the company: read as plain values, without
#: zeep's value objects (:mod:`nmbrs_provider.soap.plain_reply`).
PLAIN_READS = frozenset(
    {
        "List_GetByCompany",
        "PersonalInfo_GetAll_AllEmployeesByCompany",
        "Employment_GetAll_AllEmployeesByCompany",
        "Salary_GetAll_AllEmployeesByCompany",
        "Schedule_GetAll_AllEmployeesByCompany",
    }
)
NAMESPACE = "https://api.nmbrs.nl/soap/v3/{service}"
_WSDL_CACHE = InMemoryCache(timeout=24 * 3600)
_DOCUMENTS: dict[tuple[str, bool], Document] = {}
_DOCUMENTS_LOCK = threading.Lock()
_TRANSIENT_HTTP = {429, 500, 502, 503, 504}

# zeep logs whole envelopes (with the AuthHeader) at DEBUG: keep those loggers quieter.
for _name in ("zeep.transports", "zeep.wsdl.bindings.soap"):
    logging.getLogger(_name).setLevel(logging.INFO)


#: Largest answer accepted from Nmbrs; a company-wide read of 50,000 employees stays far below.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class ResponseTooLarge(requests.RequestException):
    """The server sent more than :data:`MAX_RESPONSE_BYTES`."""


class BoundedTransport(Transport):
    """A zeep transport that reads at most ``max_bytes`` of any answer (WSDL or SOAP).

    With a ``pacer``, every SOAP call waits for its slot right before it is sent, after zeep
    has built the envelope, so the spacing Nmbrs sees is the spacing the pacer gave; the
    waits are counted in ``stats``. Calls go out by ``EnvironmentOnceSession.post_direct``
    (the session's adapter, no cookies, hooks or redirects), which halves the HTTP client's
    CPU per call.
    """

    def __init__(
        self,
        *args: Any,
        max_bytes: int | None = None,
        pacer: CallPacer | None = None,
        stats: CallStats | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes or MAX_RESPONSE_BYTES
        self.pacer = pacer
        self.stats = stats

    def post(self, address: str, message: Any, headers: Any) -> requests.Response:
        if self.pacer is not None:
            waited = self.pacer.wait()
            if self.stats is not None:
                self.stats.waited(waited)
        response = self.session.post_direct(address, message, headers, self.operation_timeout)
        response._content = self._read(response)  # type: ignore[attr-defined]
        return response

    def _load_remote_data(self, url: str) -> bytes:
        response = self.session.get(url, timeout=self.load_timeout, stream=True)
        response.raise_for_status()
        return self._read(response)

    def _read(self, response: requests.Response) -> bytes:
        chunks, size = [], 0
        with response:
            for chunk in response.iter_content(chunk_size=1024 * 1024):
                size += len(chunk)
                if size > self.max_bytes:
                    raise ResponseTooLarge(
                        f"answer larger than {self.max_bytes // (1024 * 1024)} MiB refused"
                    )
                chunks.append(chunk)
        return b"".join(chunks)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter for transient failures."""

    attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def zeep_settings() -> zeep.Settings:
    """Parser settings that refuse DTDs, entities, external references and huge trees."""
    return zeep.Settings(
        strict=True,
        xml_huge_tree=False,
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )


class NmbrsSoapClient:
    """Calls Nmbrs operations by name; knows nothing of Airflow.

    ``wsdl_locations`` maps a service name to another WSDL (a file path or URL) to load instead
    of the one the server publishes; calls still go to ``settings.base_url``. Every call waits
    for its slot under the connection's ``calls_per_second``, a budget shared by every client
    of the same account on this machine; up to ``settings.max_concurrency`` threads may share
    one client. ``stats`` counts what the client sent (calls, retries, waits for a slot).
    """

    def __init__(
        self,
        settings: NmbrsConnectionSettings,
        *,
        wsdl_locations: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        # One budget per account: across workers inside a task (nmbrs_provider.coordination),
        # else on this machine, shared by its threads and processes.
        self.pacer = account_pacer(
            f"{settings.base_url}|{settings.username}", settings.calls_per_second
        )
        self.retry = retry or RetryPolicy()
        self.stats = CallStats()
        self._wsdl_locations = dict(wsdl_locations or {})
        self._sleep = sleep
        self._services: dict[str, Any] = {}
        self._lock = threading.Lock()
        if not settings.verify_tls:
            log.warning("TLS certificate verification is OFF for %s", settings.base_url)
        self.session = EnvironmentOnceSession()
        self.session.verify = settings.verify_tls
        self.session.headers["User-Agent"] = "airflow-provider-nmbrs"
        # One kept-alive connection per thread that may call at once (requests keeps 10).
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(10, settings.max_concurrency))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def service(self, name: str) -> Any:
        """The zeep service proxy of ``name``, built once and bound to the base URL."""
        with self._lock:
            if name not in self._services:
                self._services[name] = self._build_service(name)
            return self._services[name]

    def _build_service(self, name: str) -> Any:
        if name not in SERVICES:
            raise NmbrsConfigurationError(f"Unknown Nmbrs service {name!r}; use one of {SERVICES}")
        transport = BoundedTransport(
            session=self.session,
            cache=_WSDL_CACHE,
            timeout=self.settings.timeout,
            operation_timeout=self.settings.timeout,
            pacer=self.pacer,
            stats=self.stats,
        )
        location = self._wsdl_locations.get(name, self.settings.wsdl_url(name))
        document = self._load_document(location, transport)
        client = zeep.Client(document, transport=transport, settings=zeep_settings())
        binding = f"{{{NAMESPACE.format(service=name)}}}{name}Soap"
        return client.create_service(binding, self.settings.service_url(name))

    def _load_document(self, location: str, transport: Transport) -> Document:
        key = (location, self.settings.verify_tls)
        with _DOCUMENTS_LOCK:
            cached = _DOCUMENTS.get(key)
        if cached is not None:
            return cached
        try:
            document = Document(location, transport, settings=zeep_settings())
        except ResponseTooLarge as exc:
            raise NmbrsResponseError(f"{location}: {exc}") from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise NmbrsTransientError(
                f"Could not reach Nmbrs to load {location}: {type(exc).__name__}. Check the "
                "connection's Base URL and the network."
            ) from None
        except requests.HTTPError as exc:
            raise NmbrsConfigurationError(
                f"No Nmbrs WSDL at {location} (HTTP {exc.response.status_code}): check the "
                "connection's Base URL (scheme, host and port only)."
            ) from None
        except (
            zeep.exceptions.DTDForbidden,
            zeep.exceptions.EntitiesForbidden,
            zeep.exceptions.ExternalReferenceForbidden,
        ) as exc:
            raise NmbrsResponseError(
                f"{location} sent a WSDL with a DTD or entities ({type(exc).__name__}); refused."
            ) from None
        except (zeep.exceptions.XMLParseError, etree.XMLSyntaxError, ValueError) as exc:
            raise NmbrsResponseError(
                f"{location} did not return a valid Nmbrs WSDL ({_short(exc)}): check the "
                "connection's Base URL."
            ) from None
        with _DOCUMENTS_LOCK:
            _DOCUMENTS[key] = document
        return document

    def call(
        self,
        service: str,
        operation: str,
        *,
        idempotent: bool = True,
        context: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call ``service.operation``; retry transient failures of idempotent calls.

        ``context`` (ids, period) only feeds error messages. Non-idempotent calls raise
        :class:`NmbrsTransientError` at once, telling whether the call may have been applied.
        """
        proxy = self.service(service)
        attempt = 0
        while True:
            attempt += 1
            self.stats.sent(service, operation)
            try:
                return self._call_once(proxy, service, operation, context or kwargs, kwargs)
            except NmbrsTransientError as exc:
                if not idempotent or attempt >= self.retry.attempts:
                    raise
                wait = self.retry.delay(attempt)
                self.stats.retried(service, operation)
                log.warning(
                    "%s.%s failed (%s); retry %d/%d in %.1fs",
                    service,
                    operation,
                    exc,
                    attempt,
                    self.retry.attempts - 1,
                    wait,
                )
                self._sleep(wait)

    def _call_once(
        self,
        proxy: Any,
        service: str,
        operation: str,
        context: Mapping[str, Any],
        kwargs: Mapping[str, Any],
    ) -> Any:
        where = {"service": service, "operation": operation}
        try:
            method = getattr(proxy, operation)
        except AttributeError:
            raise NmbrsResponseError(
                f"The {service} WSDL of {self.settings.base_url} has no operation {operation}: "
                "is the Base URL an Nmbrs SOAP v3 server?",
                **where,
            ) from None
        headers = {"AuthHeaderWithDomain": self.settings.auth_header()}
        try:
            if operation in PLAIN_READS:
                return self._plain_read(proxy, operation, method, kwargs, headers)
            return method(**kwargs, _soapheaders=headers)
        except zeep.exceptions.Fault as fault:
            raise translate_fault(
                str(fault.message or ""),
                service=service,
                operation=operation,
                args=context,
                username=self.settings.username,
                domain=self.settings.domain,
            ) from None
        except zeep.exceptions.TransportError as exc:
            if exc.status_code in _TRANSIENT_HTTP:
                raise NmbrsTransientError(
                    f"{service}.{operation}: HTTP {exc.status_code} from Nmbrs",
                    maybe_applied=True,
                    **where,
                ) from None
            if exc.status_code == 200:  # zeep could not parse the answer
                raise NmbrsResponseError(
                    f"{service}.{operation}: refused the answer of {self.settings.base_url}: "
                    "not a safe, well-formed SOAP response.",
                    **where,
                ) from None
            raise NmbrsResponseError(
                f"{service}.{operation}: HTTP {exc.status_code} from {self.settings.base_url}; "
                "check the connection's Base URL.",
                **where,
            ) from None
        except ResponseTooLarge as exc:
            raise NmbrsResponseError(f"{service}.{operation}: {exc}", **where) from None
        except requests.ConnectTimeout:
            raise NmbrsTransientError(
                f"{service}.{operation}: timed out connecting to {self.settings.base_url}",
                maybe_applied=False,
                **where,
            ) from None
        except requests.Timeout:
            raise NmbrsTransientError(
                f"{service}.{operation}: no answer within {self.settings.timeout:g}s",
                maybe_applied=True,
                **where,
            ) from None
        except requests.ConnectionError as exc:
            raise NmbrsTransientError(
                f"{service}.{operation}: connection to {self.settings.base_url} failed "
                f"({_connection_failure(exc)})",
                maybe_applied=_may_have_been_sent(exc),
                **where,
            ) from None
        except (
            zeep.exceptions.DTDForbidden,
            zeep.exceptions.EntitiesForbidden,
            zeep.exceptions.ExternalReferenceForbidden,
            zeep.exceptions.XMLSyntaxError,
            zeep.exceptions.XMLParseError,
            etree.XMLSyntaxError,
        ) as exc:
            raise NmbrsResponseError(
                f"{service}.{operation}: refused the answer of {self.settings.base_url} "
                f"({type(exc).__name__}): not a safe, well-formed SOAP response.",
                **where,
            ) from None
        except NmbrsError:
            raise
        except zeep.exceptions.ValidationError as exc:
            raise NmbrsResponseError(
                f"{service}.{operation}: invalid request or response ({_short(exc)})", **where
            ) from None

    @staticmethod
    def _plain_read(
        proxy: Any, operation: str, method: Any, kwargs: Mapping[str, Any], headers: Any
    ) -> Any:
        """A large read answered as plain values (:mod:`~nmbrs_provider.soap.plain_reply`)."""
        with proxy._client.settings(raw_response=True):
            response = method(**kwargs, _soapheaders=headers)
        binding = proxy._binding
        return reply_value(proxy._client, binding, binding.get(operation), response)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _connection_failure(exc: requests.ConnectionError) -> str:
    text = str(exc)
    for marker in ("Connection refused", "reset", "aborted", "Name or service not known"):
        if marker.lower() in text.lower():
            return marker
    return type(exc).__name__


def _may_have_been_sent(exc: requests.ConnectionError) -> bool:
    """False only when the connection was never established (refused, DNS)."""
    text = str(exc).lower()
    return not any(m in text for m in ("connection refused", "name or service not known"))
