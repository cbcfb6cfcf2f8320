"""The sandbox's identity server over HTTP: code flow with PKCE, rotation, reuse detection."""

from __future__ import annotations

import json
import secrets

import requests

from nmbrs_sandbox import Sandbox
from tests.nmbrs_sandbox.rest.rest_api import (
    CLIENT,
    REDIRECT_URI,
    SYNC_SCOPES,
    Rest,
    authorize_params,
    consent,
    login,
    redirect_query,
    token,
)


def _code(url: str, verifier: str, **params: str) -> str:
    return redirect_query(consent(url, authorize_params(verifier, **params)))["code"]


def _exchange(url: str, code: str, verifier: str) -> requests.Response:
    return token(
        url,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )


def _refresh(url: str, refresh_token: str) -> requests.Response:
    return token(url, grant_type="refresh_token", refresh_token=refresh_token)


def _companies(url: str, access_token: str) -> requests.Response:
    return Rest(url, access_token).get("/api/companies")


def test_code_flow_with_pkce_gives_tokens_that_call_the_api(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    verifier = secrets.token_urlsafe(48)
    params = authorize_params(verifier)
    page = requests.get(f"{url}/connect/authorize", params=params, timeout=10)
    assert page.status_code == 200 and "<form" in page.text  # the login and consent form
    query = redirect_query(consent(url, params))
    assert query["state"] == "state-1" and query["code"]
    answer = _exchange(url, query["code"], verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) == set(SYNC_SCOPES)
    assert tokens["refresh_token"] != tokens["access_token"]
    companies = _companies(url, tokens["access_token"])
    assert companies.status_code == 200
    assert [c["name"] for c in companies.json()["data"]] == ["Acme Horeca BV", "Acme Events BV"]


def test_auto_login_answers_the_authorize_get_with_the_redirect(nmbrs_sandbox: Sandbox) -> None:
    nmbrs_sandbox.auth.set_auto_login("demo@example.com")
    verifier = secrets.token_urlsafe(48)
    params = authorize_params(verifier, redirect_uri="http://127.0.0.1:40123/callback")
    answer = requests.get(
        f"{nmbrs_sandbox.url}/connect/authorize", params=params, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("http://127.0.0.1:40123/callback?code=")


def test_a_wrong_or_missing_code_verifier_is_refused(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    verifier = secrets.token_urlsafe(48)
    code = _code(url, verifier)
    wrong = _exchange(url, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    missing = token(url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    assert _exchange(url, code, verifier).status_code == 200


def test_pkce_is_required_and_only_s256(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    params = authorize_params(secrets.token_urlsafe(48))
    no_challenge = {k: v for k, v in params.items() if not k.startswith("code_challenge")}
    assert redirect_query(consent(url, no_challenge))["error"] == "invalid_request"
    plain = {**params, "code_challenge_method": "plain"}
    assert redirect_query(consent(url, plain))["error"] == "invalid_request"


def test_a_code_works_once_and_its_reuse_revokes_the_grant(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    verifier = secrets.token_urlsafe(48)
    code = _code(url, verifier)
    first = _exchange(url, code, verifier).json()
    again = _exchange(url, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert _companies(url, first["access_token"]).status_code == 401


def test_redirect_uris_must_be_registered_loopback_ports_may_vary(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    verifier = secrets.token_urlsafe(48)
    elsewhere = consent(
        url, authorize_params(verifier, redirect_uri="http://evil.example/callback")
    )
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
    other_path = consent(url, authorize_params(verifier, redirect_uri="http://127.0.0.1:9/other"))
    assert other_path.status_code == 400
    port = consent(url, authorize_params(verifier, redirect_uri="http://localhost:5555/callback"))
    assert port.status_code == 302


def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_grant(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    first = login(url)
    second = _refresh(url, first["refresh_token"])
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert _companies(url, rotated["access_token"]).status_code == 200
    reused = _refresh(url, first["refresh_token"])  # a stolen or replayed old token
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    # the whole grant is gone: its newest refresh token and its access tokens too
    assert _refresh(url, rotated["refresh_token"]).json()["error"] == "invalid_grant"
    assert _companies(url, rotated["access_token"]).status_code == 401
    assert _companies(url, first["access_token"]).status_code == 401
    (grant,) = nmbrs_sandbox.auth.grants()
    assert grant["revoked"] and grant["reason"] == "refresh token reused"
    refreshes = [c for c in nmbrs_sandbox.calls() if c.get("grant_type") == "refresh_token"]
    assert [c["reuse_detected"] for c in refreshes] == [False, True, False]


def test_the_client_must_authenticate(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    tokens = login(url)
    wrong = token(
        url, (CLIENT[0], "wrong"), grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    in_form = requests.post(
        f"{url}/connect/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT[0],
            "client_secret": CLIENT[1],
        },
        timeout=10,
    )
    assert in_form.status_code == 200


def test_denied_consent_and_bad_password(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    params = authorize_params(secrets.token_urlsafe(48))
    assert redirect_query(consent(url, params, consent="deny"))["error"] == "access_denied"
    bad = consent(url, params, ("demo@example.com", "wrong"))
    assert bad.status_code == 200 and "Invalid username or password" in bad.text


def test_scopes_left_out_at_consent_give_403_with_the_spec_error(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    granted = "company.info.read offline_access"
    tokens = login(url, granted_scopes=granted)
    assert tokens["scope"] == granted
    api = Rest(url, tokens["access_token"])
    assert api.get("/api/companies").status_code == 200
    company = api.get("/api/companies").json()["data"][0]["companyId"]
    denied = api.get(f"/api/companies/{company}/hourcodes")
    assert denied.status_code == 403
    assert denied.json()["type"] == "authenticationError" and denied.json()["code"] == 40301
    assert "company.payrollsettings.read" in denied.json()["detail"]


def test_a_client_may_only_ask_for_its_scopes(nmbrs_sandbox: Sandbox) -> None:
    nmbrs_sandbox.auth.register_client(
        "reader", "reader-secret", [REDIRECT_URI], scopes=["company.info.read"]
    )
    params = authorize_params(secrets.token_urlsafe(48), client_id="reader")
    assert redirect_query(consent(nmbrs_sandbox.url, params))["error"] == "invalid_scope"


def test_expired_access_tokens_answer_401_and_a_refresh_helps(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    nmbrs_sandbox.set_knobs(access_token_lifetime_s=120)
    tokens = login(url)
    assert tokens["expires_in"] == 120
    nmbrs_sandbox.auth.expire_access_tokens()
    expired = _companies(url, tokens["access_token"])
    assert expired.status_code == 401 and expired.json()["code"] == 40102
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")
    fresh = _refresh(url, tokens["refresh_token"]).json()
    assert _companies(url, fresh["access_token"]).status_code == 200


def test_revoking_a_grant_ends_its_tokens(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    tokens = login(url)
    answer = requests.post(
        f"{url}/_sandbox/rest/revoke", json={"username": "demo@example.com"}, timeout=10
    )
    assert answer.json() == {"revoked": 1}
    assert _refresh(url, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert _companies(url, tokens["access_token"]).status_code == 401


def test_the_revocation_endpoint_revokes_a_refresh_token(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    tokens = login(url)
    answer = requests.post(
        f"{url}/connect/revocation",
        data={"token": tokens["refresh_token"]},
        auth=CLIENT,
        timeout=10,
    )
    assert answer.status_code == 200
    assert _companies(url, tokens["access_token"]).status_code == 401


def test_missing_token_and_subscription_key(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    missing = requests.get(f"{url}/api/companies", timeout=10)
    assert missing.status_code == 401 and missing.json()["code"] == 40101
    access = login(url)["access_token"]
    nmbrs_sandbox.set_knobs(subscription_key="sub-key-1")
    assert Rest(url, access).get("/api/companies").status_code == 401
    assert Rest(url, access, "sub-key-1").get("/api/companies").status_code == 200


def test_control_endpoints_register_clients_users_and_auto_login(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    client = {"client_id": "app-2", "client_secret": "s2", "redirect_uris": [REDIRECT_URI]}
    user = {"username": "eva@example.com", "password": "pw", "companies": [54614]}
    for action, body in (("clients", client), ("users", user)):
        assert requests.post(f"{url}/_sandbox/rest/{action}", json=body, timeout=10).ok
    requests.post(
        f"{url}/_sandbox/rest/auto_login", json={"username": user["username"]}, timeout=10
    )
    verifier = secrets.token_urlsafe(48)
    params = authorize_params(verifier, client_id="app-2")
    query = redirect_query(
        requests.get(f"{url}/connect/authorize", params=params, allow_redirects=False, timeout=10)
    )
    answer = token(
        url,
        ("app-2", "s2"),
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    companies = _companies(url, answer.json()["access_token"]).json()["data"]
    assert [c["name"] for c in companies] == ["Acme Events BV"]


def test_no_token_or_secret_reaches_the_call_log(nmbrs_sandbox: Sandbox) -> None:
    url = nmbrs_sandbox.url
    tokens = login(url)
    rotated = _refresh(url, tokens["refresh_token"]).json()
    _companies(url, rotated["access_token"])
    logged = json.dumps(nmbrs_sandbox.calls()) + json.dumps(nmbrs_sandbox.auth.grants())
    for secret in (*tokens.values(), *rotated.values(), CLIENT[1], "sandbox-demo-token"):
        if isinstance(secret, str) and len(secret) > 20:
            assert secret not in logged
