"""The REST backend's permission checks: which scopes the grant lacks and which endpoints answer
403, without writing anything.

A scope is one of a spec operation's accepted scopes (a write scope also covers its
``.read``). The grant's scopes are what the identity server granted at authorize or refresh
time (kept with the grant in the token store); read endpoints are also probed, so a scope the
server dropped later shows as its endpoints' 403.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nmbrs_provider.core.holdings import ChangeSet
from nmbrs_provider.exceptions import NmbrsError, NmbrsPermissionError, NmbrsTransientError
from nmbrs_provider.rest.errors import authorize_command

if TYPE_CHECKING:
    from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook


@dataclass(frozen=True)
class ScopeNeed:
    """A scope (any of ``accepted``), what the sync needs it for and the endpoints needing it."""

    name: str
    accepted: tuple[str, ...]
    needed_for: str
    endpoints: tuple[str, ...]
    required: bool = True


SCOPES = (
    ScopeNeed("company.info.read", ("company.info.read", "company.info"),
              "list companies and their current period",
              ("GET /api/companies", "GET /api/companies/{companyId}/period")),
    ScopeNeed("employee.info.read", ("employee.info.read", "employee.info"),
              "employees with personnel number and name",
              ("GET /api/companies/{companyId}/employees",)),
    ScopeNeed("employee.employment.read", ("employee.employment.read", "employee.employment"),
              "schedules, salaries and employments (which employee is paid by the hour)",
              ("GET /api/companies/{companyId}/employees/schedules",
               "GET /api/companies/{companyId}/employees/salaries",
               "GET /api/companies/{companyId}/employees/employments")),
    ScopeNeed("employee.payment", ("employee.payment",),
              "read and write variable hours and days",
              ("GET /api/employees/{employeeId}/variablehours",
               "POST/PUT /api/employees/{employeeId}/variablehours",
               "DELETE /api/employees/{employeeId}/hours/{hourcomponentId}",
               "GET/POST /api/employees/{employeeId}/variabledays")),
    ScopeNeed("company.payrollsettings.read", ("company.payrollsettings.read",),
              "the hour model's codes (checked before writing)",
              ("GET /api/companies/{companyId}/hourcodes",), required=False),
)  # fmt: skip
WRITE_SCOPE = "employee.payment"
#: The scope each operation the sync calls needs (the name of its :data:`SCOPES` entry).
OPERATION_SCOPES = {
    **dict.fromkeys(("getCompanies", "getCurrentPeriod"), "company.info.read"),
    "getEmployeesByCompany": "employee.info.read",
    **dict.fromkeys(
        ("getSchedulesByCompany", "getSalariesByCompany", "getEmploymentsByCompany"),
        "employee.employment.read",
    ),
    "getHourCodesByCompany": "company.payrollsettings.read",
    **dict.fromkeys(
        ("getVariableHourComponentsByEmployee", "GetVariableWorkedDays",
         "createVariableHourComponent", "updateEmployeeVariableHours", "deleteEmployeeHours",
         "CreateVariableWorkedDays"),
        WRITE_SCOPE,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class RestPermissionReport:
    """Scopes granted and missing, and read endpoints that answered 403."""

    client_id: str
    granted: tuple[str, ...]
    missing: tuple[str, ...]
    optional_missing: tuple[str, ...]
    forbidden: dict[str, str] = field(default_factory=dict)  # endpoint -> scope
    unchecked: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every required scope is granted and no required endpoint answered 403."""
        optional = {s.name for s in SCOPES if not s.required}
        forbidden = [scope for scope in self.forbidden.values() if scope not in optional]
        return not self.missing and not forbidden and not self.unchecked

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.client_id,
            "api": "rest",
            "ok": self.ok,
            "missing": list(self.missing),
            "optional_missing": list(self.optional_missing),
            "granted": list(self.granted),
            "forbidden_endpoints": dict(self.forbidden),
            "unchecked": dict(self.unchecked),
            "needed_for": {s.name: s.needed_for for s in SCOPES},
            "endpoints": {s.name: list(s.endpoints) for s in SCOPES},
        }

    def render(self, conn_id: str) -> str:
        needs = {s.name: s for s in SCOPES}
        lines = [f"OAuth client {self.client_id}: {len(self.granted)} of {len(SCOPES)} "
                 "scopes the sync uses are granted."]  # fmt: skip
        for title, names in (
            ("Missing (the sync cannot run without them):", self.missing),
            ("Missing, optional (the sync works around them):", self.optional_missing),
        ):
            if names:
                lines.append(title)
                for name in names:
                    lines.append(f"  - {name}  ({needs[name].needed_for})")
                    lines += [f"      {endpoint}" for endpoint in needs[name].endpoints]
        if self.forbidden:
            lines.append("Endpoints that answered 403:")
            lines += [f"  - {e}  (scope {s})" for e, s in self.forbidden.items()]
        if self.unchecked:
            lines.append("Could not be checked (Nmbrs did not answer):")
            lines += [f"  - {e}: {why}" for e, why in self.unchecked.items()]
        if not self.ok:
            lines.append(
                "Fix: add the scopes to the connection's scopes (and the app's registration), "
                f"then run {authorize_command(conn_id)}"
            )
        else:
            lines.append("All required scopes are granted.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return json.dumps(self.as_dict())


def granted_scopes(hook: NmbrsRestHook) -> frozenset[str]:
    """The scopes of the connection's grant (a token is fetched first, so they are current)."""
    hook.tokens.access_token()
    grant = hook.tokens.store.read(hook.settings.conn_id)
    return frozenset((grant.scopes if grant else "").split())


def _has(scopes: frozenset[str], need: ScopeNeed) -> bool:
    return bool(scopes & set(need.accepted))


def check_write_access(hook: NmbrsRestHook, changes: ChangeSet) -> None:
    """Raise :class:`NmbrsPermissionError` when the grant lacks the write scope; no call writes."""
    if not changes:
        return
    scopes = granted_scopes(hook)
    if WRITE_SCOPE not in scopes:
        raise NmbrsPermissionError(
            f"Nmbrs REST connection {hook.settings.conn_id!r}: the grant lacks the scope "
            f"{WRITE_SCOPE} (POST/PUT/DELETE of variable hours, POST of variable days). Nothing "
            f"was written. Add it to the connection's scopes and run "
            f"{authorize_command(hook.settings.conn_id)}",
            service="REST",
            operation="createVariableHourComponent",
        )


def permission_report(hook: NmbrsRestHook) -> RestPermissionReport:
    """Compare the grant's scopes with what the sync needs and probe the read endpoints of the
    first visible company (GET only: nothing is written)."""
    scopes = granted_scopes(hook)
    granted = tuple(s.name for s in SCOPES if _has(scopes, s))
    missing = tuple(s.name for s in SCOPES if s.required and not _has(scopes, s))
    optional = tuple(s.name for s in SCOPES if not s.required and not _has(scopes, s))
    forbidden: dict[str, str] = {}
    unchecked: dict[str, str] = {}
    probes = _probes(hook, forbidden, unchecked)

    def probe(item: tuple[str, str, str, str]) -> None:
        endpoint, scope, operation, path = item
        try:
            # the period has no page parameters in the spec; the lists take pageSize
            params = None if operation == "getCurrentPeriod" else {"pageSize": 1}
            hook.calls.call(operation, "GET", path, params=params)
        except NmbrsPermissionError:
            forbidden[endpoint] = scope
        except NmbrsTransientError as exc:
            unchecked[endpoint] = str(exc)
        except NmbrsError:
            pass  # refused for another reason: the scope itself is there

    hook.map_concurrently(probe, probes)
    return RestPermissionReport(
        hook.settings.client_id, granted, missing, optional, forbidden, unchecked
    )


def _probes(
    hook: NmbrsRestHook, forbidden: dict[str, str], unchecked: dict[str, str]
) -> list[tuple[str, str, str, str]]:
    try:
        body = hook.calls.call("getCompanies", "GET", "/api/companies", params={"pageSize": 1})
    except NmbrsPermissionError:
        forbidden["GET /api/companies"] = "company.info.read"
        return []
    except NmbrsTransientError as exc:
        unchecked["GET /api/companies"] = str(exc)
        return []
    rows = (body or {}).get("data") or []
    if not rows:
        return []
    base = f"/api/companies/{rows[0]['companyId']}"
    probes = [
        ("GET /api/companies/{companyId}/period", "company.info.read", "getCurrentPeriod",
         f"{base}/period"),
        ("GET /api/companies/{companyId}/employees", "employee.info.read",
         "getEmployeesByCompany", f"{base}/employees"),
        ("GET /api/companies/{companyId}/employees/schedules", "employee.employment.read",
         "getSchedulesByCompany", f"{base}/employees/schedules"),
        ("GET /api/companies/{companyId}/employees/salaries", "employee.employment.read",
         "getSalariesByCompany", f"{base}/employees/salaries"),
        ("GET /api/companies/{companyId}/employees/employments", "employee.employment.read",
         "getEmploymentsByCompany", f"{base}/employees/employments"),
        ("GET /api/companies/{companyId}/hourcodes", "company.payrollsettings.read",
         "getHourCodesByCompany", f"{base}/hourcodes"),
    ]  # fmt: skip
    return probes
