"""A small requests-based client of the sandbox's REST half, for the sandbox's own tests."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from nmbrs_sandbox.rest.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from nmbrs_sandbox.rest.oauth import s256

REDIRECT_URI = "http://127.0.0.1:8765/callback"
SYNC_SCOPES = (
    "company.info.read",
    "company.payrollsettings.read",
    "employee.info.read",
    "employee.employment.read",
    "employee.payment",
    "offline_access",
)
DEMO_USER = ("demo@example.com", "sandbox-demo-token")
CLIENT = (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)


def authorize_params(
    verifier: str,
    scopes: tuple[str, ...] = SYNC_SCOPES,
    client_id: str = DEMO_CLIENT_ID,
    redirect_uri: str = REDIRECT_URI,
    state: str = "state-1",
) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }


def redirect_query(response: requests.Response) -> dict[str, str]:
    """The query of the 302's Location (code, state, or error)."""
    assert response.status_code == 302, (response.status_code, response.text[:300])
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI.split("?")[0]) or "callback" in location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent(url: str, params: dict[str, str], user: tuple[str, str] = DEMO_USER, **form: str):
    """POST the login-and-consent form as a browser would after the user clicked Allow."""
    data = {**params, "username": user[0], "password": user[1], "consent": "allow", **form}
    return requests.post(f"{url}/connect/authorize", data=data, allow_redirects=False, timeout=10)


def token(url: str, client: tuple[str, str] = CLIENT, **form: str) -> requests.Response:
    return requests.post(f"{url}/connect/token", data=form, auth=client, timeout=10)


def login(
    url: str, scopes: tuple[str, ...] = SYNC_SCOPES, granted_scopes: str | None = None
) -> dict[str, Any]:
    """The whole flow without a browser: consent form, code, token; returns the token answer.
    ``granted_scopes``: what the user leaves ticked on the consent form (default all)."""
    verifier = secrets.token_urlsafe(48)
    form = {} if granted_scopes is None else {"granted_scopes": granted_scopes}
    query = redirect_query(consent(url, authorize_params(verifier, scopes), **form))
    answer = token(
        url,
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def login_auto(url: str, scopes: tuple[str, ...] = SYNC_SCOPES) -> dict[str, Any]:
    """The flow with the sandbox's auto-login on: the authorize GET redirects at once."""
    verifier = secrets.token_urlsafe(48)
    authorize = requests.get(
        f"{url}/connect/authorize",
        params=authorize_params(verifier, scopes),
        allow_redirects=False,
        timeout=10,
    )
    answer = token(
        url,
        grant_type="authorization_code",
        code=redirect_query(authorize)["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


class Rest:
    """Calls ``/api`` with a bearer token."""

    def __init__(self, url: str, access_token: str, subscription_key: str | None = None) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {access_token}"
        if subscription_key is not None:
            self.session.headers["X-Subscription-Key"] = subscription_key

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.url}{path}", timeout=10, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.call("POST", path, json=body)

    def all_pages(self, path: str, page_size: int) -> list[Any]:
        """Every record of a paginated list, following ``nextPage``."""
        rows: list[Any] = []
        answer = self.get(path, pageSize=page_size).json()
        rows.extend(answer["data"])
        while answer["pagination"]["nextPage"]:
            answer = self.session.get(answer["pagination"]["nextPage"], timeout=10).json()
            rows.extend(answer["data"])
        return rows
