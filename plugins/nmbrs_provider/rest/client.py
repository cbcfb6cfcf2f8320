"""The REST backend's calls: pacing, every page of a list, retries and the spec's errors.

:class:`RestCalls` sends one operation at a time through the hook's authorized ``request``
(which handles 401 and tokens). Around it: the account's pacer (``calls_per_second``), the
call counters (:class:`~nmbrs_provider.soap.call_stats.CallStats`, keyed ``("REST",
operationId)``), retries of 429 (after ``Retry-After``) and 5xx with backoff, and the mapping
of the spec's error object to the provider's typed errors. A write that creates is never
retried here: when its answer is lost the caller reads back first.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from nmbrs_provider.exceptions import (
    NmbrsCompanyAccessError,
    NmbrsError,
    NmbrsFaultError,
    NmbrsInvalidHourCodeError,
    NmbrsPermissionError,
    NmbrsProtectedPeriodError,
    NmbrsResponseError,
    NmbrsTransientError,
    NmbrsUnknownEmployeeError,
)
from nmbrs_provider.rest.checks import OPERATION_SCOPES
from nmbrs_provider.soap.call_stats import CallStats
from nmbrs_provider.soap.pacing import CallPacer

log = logging.getLogger(__name__)

SERVICE = "REST"
#: Largest page the spec allows.
MAX_PAGE_SIZE = 100
#: Longest wait honoured from a ``Retry-After`` (a larger one is capped, not ignored).
MAX_RETRY_AFTER_SECONDS = 60.0
#: Longest a call waits in all on 429 answers before it gives up (the throttle is Nmbrs saying
#: "later", not a failure: it does not use up the tries of a failing call).
THROTTLE_WAIT_SECONDS = 300.0

Request = Callable[..., requests.Response]
_COMPANY_IN_PATH = re.compile(r"^/api/companies/([^/?]+)")


class RestCalls:
    """Paced, counted and retried REST operations of one hook.

    :param request: ``request(method, path, **kwargs)`` sending one authorized call.
    :param pacer: spaces the call starts under the account's budget (None: unpaced).
    :param attempts: tries of a call failing with 5xx or a network error before giving up.
    :param backoff_seconds: first wait after a 5xx or network failure, doubled per try.
    :param throttle_wait_seconds: most a call waits in all on 429 answers (each after its
        ``Retry-After``) before it fails; 429s do not count as tries.
    """

    def __init__(
        self,
        request: Request,
        *,
        pacer: CallPacer | None = None,
        stats: CallStats | None = None,
        attempts: int = 5,
        backoff_seconds: float = 0.5,
        throttle_wait_seconds: float = THROTTLE_WAIT_SECONDS,
        page_size: int = MAX_PAGE_SIZE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._request = request
        self.pacer = pacer
        self.stats = stats or CallStats()
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.throttle_wait_seconds = throttle_wait_seconds
        self.page_size = page_size
        self._sleep = sleep
        #: 429 answers seen (the bench reports them)
        self.throttled = 0

    def get(self, operation: str, path: str, **params: Any) -> Any:
        """One read (retried freely: reads change nothing)."""
        return self.call(operation, "GET", path, params=params or None)

    def get_all(self, operation: str, path: str, **params: Any) -> list[Any]:
        """Every row of a paginated list, page after page until ``totalPages``."""
        return list(self.iter_pages(operation, path, **params))

    def iter_pages(self, operation: str, path: str, **params: Any) -> Iterator[Any]:
        page = 1
        while True:
            body = self.get(operation, path, **params, pageNumber=page, pageSize=self.page_size)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise NmbrsResponseError(
                    f"Nmbrs answered {operation} with no list", operation=operation
                )
            yield from body["data"]
            pagination = body.get("pagination") or {}
            total = int(pagination.get("totalPages") or 1)
            if page >= total or not body["data"]:
                return
            page += 1

    def call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        retry_lost: bool = True,
    ) -> Any:
        """Send ``method path``; return the JSON answer (None when empty).

        429 is always retried (Nmbrs served nothing). 5xx and network failures are retried
        when ``retry_lost`` (reads, and writes that set a value: PUT, DELETE, days); for a
        write that creates (``retry_lost=False``) they raise :class:`NmbrsTransientError`
        with ``maybe_applied`` so the caller reads back before sending again.
        """
        attempt, throttle_waited = 1, 0.0
        while True:
            last = attempt >= self.attempts
            if self.pacer is not None:
                self.stats.waited(self.pacer.wait())
            self.stats.sent(SERVICE, operation)
            try:
                response = self._request(method, path, params=params, json=json)
            except NmbrsTransientError as exc:
                if not retry_lost or last:
                    raise NmbrsTransientError(
                        f"Nmbrs REST {operation}: {exc}",
                        maybe_applied=exc.maybe_applied,
                        service=SERVICE,
                        operation=operation,
                    ) from None
                self._again(operation, self.backoff_seconds * 2 ** (attempt - 1), str(exc))
                attempt += 1
                continue
            status = response.status_code
            if status == 429:
                self.throttled += 1
                wait = _retry_after(response, self.backoff_seconds)
                if throttle_waited + wait <= self.throttle_wait_seconds:
                    throttle_waited += wait
                    self._again(operation, wait, "HTTP 429")
                    continue
                raise _throttled(operation, method, path, response, throttle_waited)
            if status >= 500 and retry_lost and not last:
                wait = max(self.backoff_seconds * 2 ** (attempt - 1), _retry_after(response, 0))
                self._again(operation, wait, f"HTTP {status}")
                attempt += 1
                continue
            if status >= 400:
                raise _error(operation, method, path, response)
            if status == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise NmbrsResponseError(
                    f"Nmbrs answered {operation} with HTTP {status} and no JSON",
                    service=SERVICE,
                    operation=operation,
                ) from None

    def _again(self, operation: str, wait: float, why: str) -> None:
        self.stats.retried(SERVICE, operation)
        log.info("Nmbrs REST %s: %s; trying again in %.2f s", operation, why, wait)
        if wait > 0:
            self._sleep(wait)


def _throttled(
    operation: str, method: str, path: str, response: requests.Response, waited: float
) -> NmbrsTransientError:
    """A call Nmbrs kept throttling after ``waited`` seconds of honoured ``Retry-After``."""
    error = _error(operation, method, path, response)
    return NmbrsTransientError(
        f"{error} (still throttled after waiting {waited:g} s in all: other tools may share "
        "this API user's quota, or the connection's calls_per_second is above it)",
        maybe_applied=False,  # a 429 is answered before anything is applied
        service=SERVICE,
        operation=operation,
    )


def _retry_after(response: requests.Response, default: float) -> float:
    """Seconds the ``Retry-After`` header asks for (seconds or an HTTP date), else ``default``."""
    raw = (response.headers.get("Retry-After") or "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(raw).timestamp() - time.time()
        except (TypeError, ValueError):
            return default
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(operation: str, method: str, path: str, response: requests.Response) -> NmbrsError:
    """The typed error of an answer >= 400 (the spec's error object; never a token)."""
    status = response.status_code
    body = _body(response)
    code = body.get("code")
    title = str(body.get("title") or "")
    detail = str(body.get("detail") or "")
    invalid = body.get("invalid-params") or []
    names = " ".join(str(p.get("name", "")) for p in invalid if isinstance(p, dict))
    text = f"Nmbrs REST {operation} answered HTTP {status}"
    text += f" {code} {title}".rstrip() if code or title else ""
    text += f": {detail}" if detail else ""
    kwargs: dict[str, Any] = {"service": SERVICE, "operation": operation}
    if status == 403 and title != "Unauthorized_AccessData":
        scope = OPERATION_SCOPES.get(operation, "the operation needs")
        return NmbrsPermissionError(
            f"the grant lacks the scope {scope}: {method} {path} was refused ({text}). Add "
            "the scope to the connection's scopes and authorize again (python -m "
            "nmbrs_provider check lists every missing scope).",
            **kwargs,
        )
    if status in (403, 404) and "ompan" in f"{title} {detail}":
        company = _COMPANY_IN_PATH.match(path)
        return NmbrsCompanyAccessError(
            f"Company {company.group(1) if company else '?'} is unknown or not visible to the "
            f"user who authorized this connection ({text}). Check the company ID in the sync "
            "config (the REST API's UUID; `python -m nmbrs_provider companies` lists the "
            "visible ones) and that user's company rights.",
            **kwargs,
        )
    if status in (403, 404):
        return NmbrsUnknownEmployeeError(text, **kwargs)
    if status == 400 and ("Protected" in title or "protected" in detail.lower()):
        return NmbrsProtectedPeriodError(text, **kwargs)
    if status == 400 and "hourCode" in names:
        return NmbrsInvalidHourCodeError(text, **kwargs)
    if status == 429 or status >= 500:
        return NmbrsTransientError(text, maybe_applied=method != "GET", **kwargs)
    return NmbrsFaultError(text, **kwargs)
