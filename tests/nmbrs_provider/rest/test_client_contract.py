"""The REST client against the Nmbrs OpenAPI spec in ../shared/reference: what it really sends.

The project's pipeline (``sync_company``, through ``bench/sync_load.py``) syncs two companies on
an ``nmbrs_rest`` connection against the sandbox: reads, creates, updates, deletes and days.
The sandbox records every request as it arrived (``Sandbox.recording_rest``), and each
``/api`` request is checked against the spec with openapi-core: path, method, path and query
parameters, the JSON body (stricter than the spec: no property the spec does not declare, so a
misnamed optional field is caught), and the answer it got. By hand, what openapi-core does
not check: the bearer token of the spec's OAuth 2 scheme, the subscription key header, and
that no query parameter is undeclared.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections import Counter
from typing import Any

import pytest
import requests
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from requests.structures import CaseInsensitiveDict

from bench.rest_load import REST_CONN_ID, authorize_once, rest_conn
from bench.scenario import PERIOD, USERNAME, generate
from bench.sync_load import WAREHOUSE_CONN_ID, load_warehouse, run_project
from nmbrs_provider.core.config import LoadConfig
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_sandbox import Sandbox
from tests import openapi_reference as reference

reference.skip_without_spec("the REST client's contract test needs")

# openapi-core does not check oauth2 security schemes: the bearer token is checked by hand.
pytestmark = reference.MARKS
SUBSCRIPTION_KEY = "contract-subscription-key"  # public test data of the local sandbox
WRITES = {"createVariableHourComponent", "updateEmployeeVariableHours", "deleteEmployeeHours",
          "CreateVariableWorkedDays"}  # fmt: skip


@functools.cache
def _spec() -> dict[str, Any]:
    return reference.mended(reference.spec())


def _ref(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = functools.reduce(dict.__getitem__, node["$ref"][2:].split("/"), spec)
    return node


def _closed_request_bodies(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with every object schema under a request body closed (additionalProperties
    false): a body field the spec does not declare fails instead of being ignored."""
    spec = copy.deepcopy(spec)
    seen: set[int] = set()

    def close(node: Any) -> None:
        if not isinstance(node, dict):
            return
        node = _ref(spec, node)
        if id(node) in seen:
            return
        seen.add(id(node))
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for key in ("properties", "items", "allOf", "oneOf", "anyOf"):
            value = node.get(key)
            children = value.values() if isinstance(value, dict) and key == "properties" else value
            for child in [children] if isinstance(children, dict) else children or ():
                close(child)

    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                for media in operation["requestBody"].get("content", {}).values():
                    close(media.get("schema"))
    return spec


@functools.cache
def _operations() -> list[tuple[str, str, re.Pattern[str], dict[str, Any], list[dict[str, Any]]]]:
    """(method, template, path pattern, operation, its parameters) of every spec operation."""
    spec = _spec()
    found = []
    for template, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "/?$")
        shared = [_ref(spec, p) for p in item.get("parameters", ())]
        for method, operation in item.items():
            if method == "parameters":
                continue
            own = [_ref(spec, p) for p in operation.get("parameters", ())]
            found.append((method.upper(), template, pattern, operation, shared + own))
    return found


def _operation(method: str, path: str) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """The spec's name (operationId), operation and parameters of ``method path``."""
    matches = [found for found in _operations() if found[0] == method and found[2].match(path)]
    assert matches, f"{method} {path} is no operation of the spec"
    # A literal segment beats a template (/employees/schedules before /employees/{id}).
    _, template, _, operation, parameters = min(matches, key=lambda f: f[1].count("{"))
    return operation.get("operationId", f"{method} {template}"), operation, parameters


@pytest.fixture
def synced(warehouse_db, monkeypatch):
    """Two companies synced over REST (first run: every kind of write); the exchanges."""
    from cryptography.fernet import Fernet

    bench = generate(100, 2, seed=1)
    load_warehouse(warehouse_db, bench)
    sandbox = Sandbox(bench.scenario, rest_throttle_limit=0, subscription_key=SUBSCRIPTION_KEY)
    with sandbox.start():
        conn = rest_conn(sandbox.url, WAREHOUSE_CONN_ID, 1000, 8)
        conn["extra"]["subscription_key"] = SUBSCRIPTION_KEY
        env = {
            f"AIRFLOW_CONN_{REST_CONN_ID.upper()}": json.dumps(conn),
            f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": warehouse_db.airflow_conn_json(),
            "NMBRS_TOKEN_KEY": Fernet.generate_key().decode(),
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        authorize_once(sandbox, USERNAME, env)
        with sandbox.recording_rest() as exchanges:
            run_project(REST_CONN_ID, bench, PayrollPeriod.parse(PERIOD), LoadConfig(), api="rest")
        yield sandbox, list(exchanges)


def test_every_request_the_client_sent_follows_the_spec(synced) -> None:
    sandbox, exchanges = synced
    api = [(q, r) for q, r in exchanges if q.path.startswith("/api/")]
    operations = Counter(_operation(q.method, q.path)[0] for q, _ in api)
    assert set(operations) >= WRITES, operations  # the sync wrote every kind it can
    assert {"getEmployeesByCompany", "getVariableHourComponentsByEmployee"} <= set(operations)
    plain = reference.openapi(_spec(), sandbox.url)
    strict = reference.openapi(_closed_request_bodies(_spec()), sandbox.url)
    problems = []
    for request, reply in api:
        name, operation, parameters = _operation(request.method, request.path)
        what = f"{request.method} {request.path} ({name})"
        sent = requests.Request(
            request.method,
            request.base_url + request.path,
            params=request.query,
            headers=dict(request.headers.items()),
            data=request.body or None,
        ).prepare()
        answer = requests.Response()
        answer.status_code, answer._content, answer.request = reply.status, reply.body, sent
        answer.headers = CaseInsensitiveDict(
            {"Content-Type": reply.content_type, **dict(reply.headers)}
        )
        try:
            strict.validate_request(RequestsOpenAPIRequest(sent))
            plain.validate_response(RequestsOpenAPIRequest(sent), RequestsOpenAPIResponse(answer))
        except Exception as exc:  # every finding is reported, not only the first
            problems.append(f"{what}: {type(exc).__name__}: {exc.__cause__ or exc}")
            continue
        declared = {p["name"] for p in parameters if p["in"] == "query"}
        if set(request.query) - declared:
            problems.append(f"{what}: undeclared query parameters {set(request.query) - declared}")
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme != "Bearer" or not token or "Bearer" not in _security(operation):
            problems.append(f"{what}: no bearer token of the spec's OAuth 2 scheme")
        headers = {p["name"] for p in parameters if p["in"] == "header"}
        if "X-Subscription-Key" not in headers:
            problems.append(f"{what}: the spec declares no X-Subscription-Key here")
        elif request.headers.get("X-Subscription-Key") != SUBSCRIPTION_KEY:
            problems.append(f"{what}: no X-Subscription-Key")
        if not 200 <= (reply.status or 0) < 300:
            problems.append(f"{what}: answered {reply.status}")
    assert not problems, "\n".join(problems)


def _security(operation: dict[str, Any]) -> set[str]:
    return {
        name for item in operation.get("security") or _spec().get("security", ()) for name in item
    }
