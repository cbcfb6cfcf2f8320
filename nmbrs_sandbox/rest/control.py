"""``/_sandbox/rest/...``: steer the identity server over HTTP (tests in other processes)."""

from __future__ import annotations

from typing import Any

from nmbrs_sandbox.rest.oauth import AuthServer

GET_ACTIONS = frozenset({"grants", "clients", "users"})


def control(auth: AuthServer, action: str, payload: dict[str, Any]) -> Any:
    """Run one control action; ValueError/TypeError for bad ones (the server answers 400)."""
    if action == "grants":
        return auth.grants()
    if action == "clients":
        if payload:
            registered = auth.register_client(**payload)
            return {"registered": registered.client_id}
        return sorted(auth.clients)
    if action == "users":
        if payload:
            return {"registered": auth.register_user(**payload).username}
        return sorted(auth.users)
    if action == "auto_login":
        auth.set_auto_login(payload.get("username"), payload.get("scopes"))
        return {"auto_login": payload.get("username")}
    if action == "revoke":
        return {"revoked": auth.revoke_grants(payload.get("username"), payload.get("client_id"))}
    if action == "expire_tokens":
        return {"expired": auth.expire_access_tokens()}
    if action == "reset":
        auth.reset()
        return {"reset": True}
    raise ValueError(f"unknown action {action!r}")
