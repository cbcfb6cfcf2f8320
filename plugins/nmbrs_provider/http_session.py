"""An HTTP session that reads the proxy environment once per host, not once per call.

``requests`` looks up ``HTTP(S)_PROXY`` and ``NO_PROXY`` on every request by walking the whole
process environment, twice. An Airflow worker's environment is large (every ``AIRFLOW_*``
setting and connection), and the sync sends thousands of small calls per company: that walk
was about a quarter of the client's CPU per call. The environment of a task does not change
while it calls Nmbrs, so the answer is kept per (scheme, host, no_proxy); everything else
behaves as ``requests.Session`` does (``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, session
settings, ``trust_env = False``).

:meth:`EnvironmentOnceSession.post_direct` sends a SOAP call with less than half the CPU of
``Session.post``: straight to the transport adapter, with the session's headers, proxies, TLS
verification and client certificate, but without the cookie jar, hooks and redirects that a
SOAP call never needs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict
from requests.utils import get_environ_proxies


class EnvironmentOnceSession(requests.Session):
    """A ``requests.Session`` whose environment proxies are resolved once per host."""

    def __init__(self) -> None:
        super().__init__()
        self._environment_proxies: dict[tuple[str, str, str | None], dict[str, str]] = {}
        self._environment_lock = threading.Lock()
        self._direct_settings: dict[tuple[str, Any, Any], dict[str, Any]] = {}

    def environment_proxies(self, url: str, no_proxy: str | None = None) -> dict[str, str]:
        """The proxies the environment gives ``url`` (``requests.utils.get_environ_proxies``),
        looked up once per scheme, host and ``no_proxy``."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, no_proxy)
        with self._environment_lock:
            cached = self._environment_proxies.get(key)
        if cached is None:
            cached = get_environ_proxies(url, no_proxy=no_proxy)
            with self._environment_lock:
                self._environment_proxies[key] = cached
        return dict(cached)

    def merge_environment_settings(
        self,
        url: str,
        proxies: Any,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> dict[str, Any]:
        """``requests.Session.merge_environment_settings`` with the proxy lookup kept."""
        if self.trust_env:
            no_proxy = proxies.get("no_proxy") if proxies is not None else None
            if proxies is not None:
                for key, value in self.environment_proxies(url, no_proxy).items():
                    proxies.setdefault(key, value)
            if verify is True or verify is None:
                verify = (
                    os.environ.get("REQUESTS_CA_BUNDLE")
                    or os.environ.get("CURL_CA_BUNDLE")
                    or verify
                )
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }

    def post_direct(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float | None
    ) -> requests.Response:
        """POST ``body`` to ``url`` through the session's adapter; the answer is streamed.

        The session's headers (``headers`` win), proxies, TLS verification and certificate
        apply as in ``Session.post``, resolved once per URL. Cookies are neither sent nor
        kept, and a redirect is not followed: the 3xx answer is returned, as a SOAP endpoint
        that moved is a wrong Base URL, not a GET to repeat elsewhere.
        """
        key = (url, self.verify, self.cert)
        settings = self._direct_settings.get(key)
        if settings is None:
            settings = self.merge_environment_settings(
                url, dict(self.proxies), True, self.verify, self.cert
            )
            self._direct_settings[key] = settings
        merged = CaseInsensitiveDict(self.headers)
        merged.update(headers)
        request = requests.PreparedRequest()
        request.prepare(method="POST", url=url, headers=merged, data=body)
        return self.get_adapter(url).send(request, timeout=timeout, **settings)
