"""The spec's error object ``{type, httpStatus, code, title, detail, invalid-params}``.

Codes the spec shows are used as shown (40101, 40102, 40303, 40401, 40404, 42908, 50001,
50301, 40033); 40301 (missing scope), 40103 (subscription key), 40000 (unreadable body)
and 40040 (protected period) are the sandbox's own, as the spec names none for them.
"""

from __future__ import annotations

import json
from typing import Any

from nmbrs_sandbox.gateway import Reply

DOC_URL = "https://developer.nmbrs.com/api/docs/errors"


class ApiError(Exception):
    """An answer in the spec's error shape."""

    def __init__(
        self,
        status: int,
        kind: str,
        code: int,
        title: str,
        detail: str,
        invalid_params: list[dict[str, str]] | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.status, self.kind, self.code, self.title = status, kind, code, title
        self.detail, self.invalid_params, self.headers = detail, invalid_params, headers
        super().__init__(f"{status} {code} {title}: {detail}")

    def body(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "type": self.kind,
            "httpStatus": self.status,
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "docUrl": DOC_URL,
        }
        if self.invalid_params:
            value["invalid-params"] = self.invalid_params
        return value

    def reply(self) -> Reply:
        return Reply(
            self.status,
            json.dumps(self.body()).encode(),
            "application/json; charset=utf-8",
            headers=self.headers,
        )


def missing_token() -> ApiError:
    return ApiError(
        401,
        "authenticationError",
        40101,
        "Missing_Token",
        "Token is missing on the authentication",
        headers=(("WWW-Authenticate", "Bearer"),),
    )


def invalid_token() -> ApiError:
    return ApiError(
        401,
        "authenticationError",
        40102,
        "Invalid_Token",
        "Token is invalid.",
        headers=(("WWW-Authenticate", 'Bearer error="invalid_token"'),),
    )


def invalid_subscription_key() -> ApiError:
    return ApiError(
        401,
        "authenticationError",
        40103,
        "Invalid_Subscription_Key",
        "The X-Subscription-Key header is missing or wrong.",
    )


def missing_scope(needed: tuple[str, ...]) -> ApiError:
    return ApiError(
        403,
        "authenticationError",
        40301,
        "Insufficient_Scope",
        f"The access token lacks a scope this call needs: one of {', '.join(needed)}.",
        headers=(("WWW-Authenticate", f'Bearer error="insufficient_scope", scope="{needed[0]}"'),),
    )


def no_access(what: str) -> ApiError:
    return ApiError(
        403,
        "authenticationError",
        40303,
        "Unauthorized_AccessData",
        f"You do not have access for the {what} you are trying to reach.",
    )


def not_found(detail: str = "The requested resource could not be found.") -> ApiError:
    return ApiError(404, "invalidRequestError", 40401, "Not_Found", detail)


def invalid_company() -> ApiError:
    return ApiError(
        404,
        "invalidRequestError",
        40404,
        "Invalid_Company",
        "Company not found. Check if the company Id is correct.",
    )


def invalid_param(name: str, reason: str) -> ApiError:
    return ApiError(
        400,
        "validationError",
        40033,
        "Parameter_Invalid",
        "Invalid parameter.",
        [{"name": name, "reason": reason}],
    )


def bad_body(detail: str) -> ApiError:
    return ApiError(400, "invalidRequestError", 40000, "Invalid_Body", detail)


def protected_period() -> ApiError:
    return ApiError(
        400,
        "validationError",
        40040,
        "Protected_Mode",
        "Protected mode, cannot change data in the past. Set periodDetails.unprotectedMode.",
    )


def too_many_calls(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "throttlingError",
        42908,
        "Too_Many_Calls",
        "The amount of calls is above the threshold for your subscription plan.",
        headers=(("Retry-After", str(retry_after)),),
    )


def unknown_error() -> ApiError:
    return ApiError(500, "apiError", 50001, "Unkown", "An unexpected error has occurred.")


def unavailable() -> ApiError:
    return ApiError(
        503,
        "apiError",
        50301,
        "Service_Unavailable",
        "The API is not available, it can be because of an update or an unexpected error.",
    )
