"""Per employee: variable hour components and variable days (the same rows SOAP reads/writes).

Writes follow the SOAP sandbox's rules: a period before the company's current one needs
``periodDetails.unprotectedMode: true`` (a delete never can), the hour code must be in the
company's hour model, POST creates (twice: two components), days overwrite.
"""

from __future__ import annotations

from typing import Any

from nmbrs_sandbox.rest import errors, ids
from nmbrs_sandbox.rest.common import Call, checked_period
from nmbrs_sandbox.scenario import Company, Employee
from nmbrs_sandbox.state import Period

Answer = tuple[int, Any]


def _object(call: Call) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise errors.bad_body("The request body must be a JSON object.")
    return call.body


def _number(body: dict[str, Any], name: str, kind: type, required: bool) -> Any:
    value = body.get(name)
    if value is None:
        if required:
            raise errors.invalid_param(name, "The field is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise errors.invalid_param(name, f"The field must be a {kind.__name__}.")
    return float(value) if kind is float else value


def _target(call: Call, company: Company, body: dict[str, Any]) -> tuple[Period, bool]:
    """The period and unprotected mode of a write's ``periodDetails`` (default: current)."""
    details = body.get("periodDetails") or {}
    if not isinstance(details, dict):
        raise errors.invalid_param("periodDetails", "The field must be an object.")
    unprotected = details.get("unprotectedMode")
    if unprotected is not None and not isinstance(unprotected, bool):
        raise errors.invalid_param("periodDetails.unprotectedMode", "The field must be a boolean.")
    given = details.get("period")
    if given is None:
        return call.world.current[company.id], bool(unprotected)
    if not isinstance(given, dict):
        raise errors.invalid_param("periodDetails.period", "The field must be an object.")
    return checked_period(company, given.get("year"), given.get("period")), bool(unprotected)


def _writable(call: Call, company: Company, period: Period, unprotected: bool) -> None:
    if period < call.world.current[company.id] and not unprotected:
        raise errors.protected_period()


def _hour_code(company: Company, code: int | None) -> None:
    if code is not None and code not in company.hour_codes:
        raise errors.invalid_param(
            "hourCode", f"Hour code {code} is not in the company's hour model."
        )


def _view(company: Company, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "hourComponentId": ids.component_uuid(row["Id"]),
        "hourCode": row["HourCode"],
        "hourCodeDescription": company.hour_codes.get(row["HourCode"]),
        "hours": row["Hours"],
        "costCenterId": None,
        "costUnitId": None,
        "comment": row["Comment"],
    }


def list_hours(call: Call) -> Answer:
    employee = call.employee()
    company = call.world.company_of(employee.id)
    period = call.query_period(company)
    rows = call.world.components[employee.id].get(period, [])
    return 200, call.page([_view(company, row) for row in rows])


def create_hours(call: Call) -> Answer:
    employee = call.employee()
    company = call.world.company_of(employee.id)
    body = _object(call)
    code = _number(body, "hourCode", int, required=True)
    hours = _number(body, "hours", float, required=True)
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise errors.invalid_param("comment", "The field must be a string.")
    period, unprotected = _target(call, company, body)
    _writable(call, company, period, unprotected)
    _hour_code(company, code)
    row = call.world.new_component(code, hours, comment)
    call.world.components_in(employee.id, period).append(row)
    return 201, {"hourComponentId": ids.component_uuid(row["Id"])}


def _find(call: Call, employee: Employee, component: str) -> tuple[Period, dict[str, Any]]:
    wanted = ids.normalized(component)
    if wanted is None:
        raise errors.invalid_param(
            "hourComponentId", "The parameter is invalid. It needs to be a UUID."
        )
    for period, rows in call.world.components[employee.id].items():
        for row in rows:
            if ids.component_uuid(row["Id"]) == wanted:
                return period, row
    raise errors.not_found("Hour component not found for this employee.")


def update_hours(call: Call) -> Answer:
    employee = call.employee()
    company = call.world.company_of(employee.id)
    body = _object(call)
    component = body.get("hourComponentId")
    if not isinstance(component, str):
        raise errors.invalid_param("hourComponentId", "The field is required.")
    code = _number(body, "hourCode", int, required=False)
    hours = _number(body, "hours", float, required=False)
    period, row = _find(call, employee, component)
    target, unprotected = _target(call, company, body)
    if (body.get("periodDetails") or {}).get("period") is not None and target != period:
        raise errors.not_found("Hour component not found in that period.")
    _writable(call, company, period, unprotected)
    _hour_code(company, code)
    if code is not None:
        row["HourCode"] = code
    if hours is not None:
        row["Hours"] = hours
    if "comment" in body:
        row["Comment"] = body["comment"]
    return 200, {"hourComponentId": ids.component_uuid(row["Id"])}


def delete_hours(call: Call) -> Answer:
    employee = call.employee()
    company = call.world.company_of(employee.id)
    period, row = _find(call, employee, call.params["hourcomponentId"])
    _writable(call, company, period, unprotected=False)
    call.world.components[employee.id][period].remove(row)
    return 204, None


def get_days(call: Call) -> Answer:
    employee = call.employee()
    period = call.query_period(call.world.company_of(employee.id))
    days = call.world.days_var[employee.id].get(period, 0)
    return 200, call.page([{"days": days, "daysForWageComponentsPerDay": 0}])


def set_days(call: Call) -> Answer:
    employee = call.employee()
    company = call.world.company_of(employee.id)
    body = _object(call)
    days = _number(body, "days", int, required=True)
    _number(body, "daysForWageComponentsPerDay", int, required=False)
    period, unprotected = _target(call, company, body)
    _writable(call, company, period, unprotected)
    call.world.days_var[employee.id][period] = days
    return 201, None
