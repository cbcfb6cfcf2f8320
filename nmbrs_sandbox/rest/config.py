"""The scenario's ``rest`` block: OAuth clients, API users and the subscription key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# The scopes of the spec's Bearer scheme the sandbox knows; API endpoints check some of them.
KNOWN_SCOPES = frozenset(
    {
        "company.info",
        "company.info.read",
        "company.payrollsettings.read",
        "employee.info",
        "employee.info.read",
        "employee.employment",
        "employee.employment.read",
        "employee.payment",
        "employee.payment.read",
        "offline_access",
    }
)
DEMO_CLIENT_ID = "sandbox-client"
DEMO_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 (public test data)
DEMO_REDIRECT_URIS = ("http://127.0.0.1/callback", "http://localhost/callback")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


class RestConfigError(ValueError):
    """The ``rest`` block does not follow the schema."""


@dataclass(frozen=True)
class RestClient:
    """An app registered with the identity server."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    scopes: frozenset[str] = KNOWN_SCOPES  # what the app may ask for
    require_pkce: bool = True

    def allows_redirect(self, uri: str) -> bool:
        """Exact match, or a loopback URI that differs only in the port (RFC 8252 7.3)."""
        if uri in self.redirect_uris:
            return True
        asked = urlsplit(uri)
        if asked.scheme != "http" or asked.hostname is None:
            return False
        host = asked.netloc.rsplit(":", 1)[0] if asked.port else asked.netloc
        if host not in LOOPBACK_HOSTS:
            return False
        for registered in map(urlsplit, self.redirect_uris):
            if (registered.scheme, registered.netloc.rsplit(":", 1)[0], registered.path) == (
                "http",
                host,
                asked.path,
            ) and (registered.query, registered.fragment) == (asked.query, asked.fragment):
                return True
        return False


@dataclass(frozen=True)
class RestUser:
    """A person who logs in at the identity server and consents for an app."""

    username: str
    password: str
    companies: tuple[int, ...]


@dataclass(frozen=True)
class RestConfig:
    clients: tuple[RestClient, ...]
    users: tuple[RestUser, ...]


def parse_rest(
    data: Mapping[str, Any] | None,
    accounts: Iterable[Any],
    company_ids: set[int],
) -> RestConfig:
    """The ``rest`` block; users default to the SOAP accounts (password = their token)."""
    data = dict(data or {})
    unknown = sorted(set(data) - {"clients", "users"})
    if unknown:
        raise RestConfigError(f"rest: unknown keys {unknown}")
    clients = tuple(
        client(**_keys(item, f"rest.clients[{i}]", _CLIENT_KEYS))
        for i, item in enumerate(data.get("clients") or [_DEMO_CLIENT])
    )
    if "users" in data:
        users = tuple(
            user(**_keys(item, f"rest.users[{i}]", _USER_KEYS), company_ids=company_ids)
            for i, item in enumerate(data["users"] or ())
        )
    else:
        users = tuple(RestUser(a.username, a.token, tuple(a.companies)) for a in accounts)
    for what, names in (
        ("client_id", [c.client_id for c in clients]),
        ("username", [u.username for u in users]),
    ):
        if len(set(names)) != len(names):
            raise RestConfigError(f"rest: duplicate {what}")
    return RestConfig(clients, users)


_CLIENT_KEYS = ("client_id", "client_secret", "redirect_uris", "scopes", "require_pkce")
_USER_KEYS = ("username", "password", "companies")
_DEMO_CLIENT = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "redirect_uris": list(DEMO_REDIRECT_URIS),
}


def _keys(item: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise RestConfigError(f"{where}: expected a mapping")
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        raise RestConfigError(f"{where}: unknown keys {unknown}")
    return dict(item)


def client(
    client_id: str,
    client_secret: str,
    redirect_uris: Iterable[str],
    scopes: Iterable[str] | None = None,
    require_pkce: bool = True,
) -> RestClient:
    """A checked :class:`RestClient` (``scopes`` None: every known scope)."""
    uris = (redirect_uris,) if isinstance(redirect_uris, str) else tuple(redirect_uris)
    if not uris or not all(urlsplit(str(u)).scheme in ("http", "https") for u in uris):
        raise RestConfigError(f"client {client_id}: redirect_uris must be http(s) URLs")
    allowed = KNOWN_SCOPES if scopes is None else frozenset(map(str, scopes))
    if allowed - KNOWN_SCOPES:
        raise RestConfigError(
            f"client {client_id}: unknown scopes {sorted(allowed - KNOWN_SCOPES)}"
        )
    if not client_id or not client_secret:
        raise RestConfigError("a client needs a client_id and a client_secret")
    return RestClient(
        str(client_id), str(client_secret), tuple(map(str, uris)), allowed, bool(require_pkce)
    )


def user(
    username: str, password: str, companies: Iterable[int], company_ids: set[int] | None = None
) -> RestUser:
    """A checked :class:`RestUser`."""
    seen = tuple(int(c) for c in companies)
    if company_ids is not None and set(seen) - company_ids:
        raise RestConfigError(
            f"user {username}: unknown companies {sorted(set(seen) - company_ids)}"
        )
    if not username or not password:
        raise RestConfigError("a user needs a username and a password")
    return RestUser(str(username), str(password), seen)
