"""The scenario's optional ``rest`` block: apps and users of the REST half."""

from __future__ import annotations

import secrets

import pytest
import requests

from nmbrs_sandbox import Scenario, ScenarioError
from nmbrs_sandbox.rest.config import DEMO_CLIENT_ID
from tests.nmbrs_sandbox.rest.rest_api import (
    CLIENT,
    REDIRECT_URI,
    Rest,
    authorize_params,
    login_auto,
    redirect_query,
    token,
)
from tests.nmbrs_sandbox.sandbox_api import demo_data


def test_without_a_rest_block_the_accounts_are_the_users() -> None:
    rest = Scenario.demo().rest
    assert [c.client_id for c in rest.clients] == [DEMO_CLIENT_ID]
    assert (rest.users[0].username, rest.users[0].password) == (
        "demo@example.com",
        "sandbox-demo-token",
    )


def test_a_rest_block_sets_clients_and_users(nmbrs_sandbox_factory) -> None:
    data = demo_data()
    data["rest"] = {
        "clients": [
            {
                "client_id": DEMO_CLIENT_ID,
                "client_secret": "other-secret",
                "redirect_uris": [REDIRECT_URI],
            }
        ],
        "users": [{"username": "anna@example.com", "password": "pw", "companies": [54613]}],
    }
    sandbox = nmbrs_sandbox_factory(data)
    sandbox.auth.set_auto_login("anna@example.com")
    verifier = secrets.token_urlsafe(48)
    authorize = requests.get(
        f"{sandbox.url}/connect/authorize",
        params=authorize_params(verifier),
        allow_redirects=False,
        timeout=10,
    )
    form = {
        "grant_type": "authorization_code",
        "code": redirect_query(authorize)["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    assert token(sandbox.url, CLIENT, **form).status_code == 401  # the demo secret is not it
    assert token(sandbox.url, (DEMO_CLIENT_ID, "other-secret"), **form).status_code == 200
    assert sorted(sandbox.auth.users) == ["anna@example.com"]


@pytest.mark.parametrize(
    "rest",
    [
        {"unknown": 1},
        {"users": [{"username": "x", "password": "y", "companies": [1]}]},
        {"clients": [{"client_id": "a", "client_secret": "b", "redirect_uris": ["ftp://x"]}]},
        {
            "clients": [
                {"client_id": "a", "client_secret": "b", "redirect_uris": [REDIRECT_URI]},
                {"client_id": "a", "client_secret": "c", "redirect_uris": [REDIRECT_URI]},
            ]
        },
        {
            "clients": [
                {
                    "client_id": "a",
                    "client_secret": "b",
                    "redirect_uris": [REDIRECT_URI],
                    "scopes": ["everything"],
                }
            ]
        },
    ],
)
def test_bad_rest_blocks_are_scenario_errors(rest: dict) -> None:
    data = demo_data()
    data["rest"] = rest
    with pytest.raises(ScenarioError):
        Scenario.from_dict(data)


def test_rest_users_see_their_companies_only(nmbrs_sandbox_factory) -> None:
    data = demo_data()
    data["rest"] = {"users": [{"username": "e@x", "password": "pw", "companies": [54614]}]}
    sandbox = nmbrs_sandbox_factory(data)
    sandbox.auth.set_auto_login("e@x")
    api = Rest(sandbox.url, login_auto(sandbox.url)["access_token"])
    assert [c["number"] for c in api.get("/api/companies").json()["data"]] == ["2"]
