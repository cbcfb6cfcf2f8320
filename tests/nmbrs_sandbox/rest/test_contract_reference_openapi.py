"""The sandbox's REST half against the Nmbrs OpenAPI spec in ../shared/reference.

Every route the sandbox serves is a path, method and operationId of the spec, and real
requests to the sandbox (answers 2xx and the errors 400/401/403/404/429/503) validate, request
and response, with openapi-core against the spec whose ``servers`` point at the sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.exceptions import OpenAPIError

from nmbrs_sandbox import Sandbox
from nmbrs_sandbox.rest import company_uuid, employee_uuid, routes
from tests import openapi_reference as reference
from tests.nmbrs_sandbox.rest.rest_api import Rest, login

reference.skip_without_spec("the REST contract tests need")

# openapi-core does not check oauth2 security schemes; the sandbox's own tests do.
pytestmark = reference.MARKS

ACME = company_uuid(54613)
ANNA = employee_uuid(500001)
NOVEMBER = {"period": {"year": 2026, "period": 11}, "unprotectedMode": False}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rest_throttle_limit=0).start() as started:
        yield started


@pytest.fixture(scope="module")
def openapi(sandbox: Sandbox) -> OpenAPI:
    return reference.openapi(reference.mended(reference.spec()), sandbox.url)


@pytest.fixture(scope="module")
def api(sandbox: Sandbox) -> Rest:
    return Rest(sandbox.url, login(sandbox.url)["access_token"])


def _check(
    openapi: OpenAPI, answer: requests.Response, status: int, valid_request: bool = True
) -> None:
    """The answer has ``status`` and validates; so does the request unless it is meant to be
    invalid (a page size of 500 breaks the spec on purpose, and the spec says so)."""
    assert answer.status_code == status, answer.text
    request = RequestsOpenAPIRequest(answer.request)
    if valid_request:
        openapi.validate_request(request)
    else:
        with pytest.raises(OpenAPIError):
            openapi.validate_request(request)
    openapi.validate_response(request, RequestsOpenAPIResponse(answer))


def test_every_sandbox_route_is_an_operation_of_the_spec() -> None:
    spec_paths = reference.spec()["paths"]  # as published
    for route in routes.ROUTES:
        template = re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"{\1}", route.pattern.pattern[1:-3])
        assert template in spec_paths, template
        operation = spec_paths[template][route.method.lower()]
        assert operation.get("operationId", route.operation) == route.operation, template
        spec_scopes = {s for item in operation.get("security", ()) for s in item.get("Bearer", ())}
        assert spec_scopes and set(route.scopes) <= spec_scopes, (template, spec_scopes)


READS = [
    "/api/companies",
    f"/api/companies/{ACME}/period",
    f"/api/companies/{ACME}/employees",
    f"/api/companies/{ACME}/employees/personalinfo",
    f"/api/companies/{ACME}/employees/schedules",
    f"/api/companies/{ACME}/employees/salaries",
    f"/api/companies/{ACME}/employees/contracts",
    f"/api/companies/{ACME}/employees/employments",
    f"/api/companies/{ACME}/hourcodes",
    f"/api/employees/{employee_uuid(500004)}/variablehours",
    f"/api/employees/{employee_uuid(500004)}/variabledays",
]


@pytest.mark.parametrize("path", READS)
def test_reads_validate_against_the_spec(openapi: OpenAPI, api: Rest, path: str) -> None:
    _check(openapi, api.get(path), 200)
    _check(openapi, api.get(path, pageNumber=1, pageSize=2), 200)


def test_period_queries_validate(openapi: OpenAPI, api: Rest) -> None:
    _check(openapi, api.get(f"/api/employees/{ANNA}/variablehours", year=2026, period=10), 200)
    _check(openapi, api.get(f"/api/employees/{ANNA}/variabledays", year=2026, period=11), 200)


def test_writes_validate_against_the_spec(openapi: OpenAPI, api: Rest) -> None:
    path = f"/api/employees/{ANNA}/variablehours"
    body = {"hourCode": 2100, "hours": 7.5, "comment": "contract", "periodDetails": NOVEMBER}
    created = api.post(path, body)
    _check(openapi, created, 201)
    component = created.json()["hourComponentId"]
    update = {"hourComponentId": component, "hours": 6.0, "periodDetails": NOVEMBER}
    _check(openapi, api.call("PUT", path, json=update), 200)
    _check(openapi, api.get(path), 200)
    _check(openapi, api.call("DELETE", f"/api/employees/{ANNA}/hours/{component}"), 204)
    days = {"days": 4, "daysForWageComponentsPerDay": 0, "periodDetails": NOVEMBER}
    _check(openapi, api.post(f"/api/employees/{ANNA}/variabledays", days), 201)


def test_errors_validate_against_the_spec(openapi: OpenAPI, sandbox: Sandbox, api: Rest) -> None:
    hours = f"/api/employees/{ANNA}/variablehours"
    past = {"period": {"year": 2026, "period": 10}}
    _check(openapi, api.post(hours, {"hourCode": 2100, "hours": 1, "periodDetails": past}), 400)
    _check(openapi, api.get(f"/api/companies/{ACME}/employees", pageSize=500), 400, False)
    _check(openapi, Rest(sandbox.url, "not-a-token").get("/api/companies"), 401)
    narrow = login(sandbox.url, ("company.info.read",))["access_token"]
    _check(openapi, Rest(sandbox.url, narrow).get(f"/api/companies/{ACME}/employees"), 403)
    _check(openapi, api.get(f"/api/companies/{company_uuid(1)}/hourcodes"), 404)
    sandbox.inject("getCompanies", kind="http_503")
    _check(openapi, api.get("/api/companies"), 503)
    sandbox.set_knobs(rest_throttle_limit=1, rest_throttle_window_s=600)
    try:
        api.get("/api/companies")
        throttled = api.get("/api/companies")
        _check(openapi, throttled, 429)
        assert int(throttled.headers["Retry-After"]) >= 1
    finally:
        sandbox.set_knobs(rest_throttle_limit=0)
