"""Turn Nmbrs SOAP faults into typed errors that say what to do."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nmbrs_provider.exceptions import (
    NmbrsAuthenticationError,
    NmbrsCompanyAccessError,
    NmbrsError,
    NmbrsFaultError,
    NmbrsInvalidHourCodeError,
    NmbrsInvalidPeriodError,
    NmbrsPermissionError,
    NmbrsProtectedPeriodError,
    NmbrsSubscriptionError,
    NmbrsTransientError,
    NmbrsUnknownEmployeeError,
    NmbrsWageTaxDeclarationSentError,
)

_CODE = re.compile(r"(?:--->\s*)?\b(\d{4})\s*:\s*(.*)", re.DOTALL)
_PROTECTION_WORDS = re.compile(r"protect|twk|unprotected", re.IGNORECASE)
#: Writes with no UnprotectedMode parameter: they can never change a period before the current.
_WITHOUT_UNPROTECTED_MODE = frozenset({"HourComponent_Delete"})


def parse_fault_code(message: str) -> tuple[int | None, str]:
    """Split an ASMX faultstring into (code, text); ``(None, message)`` when it has no code."""
    tail = message.split("--->")[-1]
    match = _CODE.search(tail)
    if not match:
        return None, message.strip()
    return int(match.group(1)), match.group(2).strip()


def translate_fault(
    message: str,
    *,
    service: str,
    operation: str,
    args: Mapping[str, Any],
    username: str,
    domain: str,
) -> NmbrsError:
    """Map a fault to the typed error of its code, with a message naming the fix."""
    code, text = parse_fault_code(message)
    where = dict(service=service, operation=operation)
    call = f"{service}.{operation}"
    company = args.get("CompanyId", args.get("CompanyID"))
    employee = args.get("EmployeeId")
    period = _period_text(args)
    if code == 1001:
        return NmbrsAuthenticationError(
            f"Nmbrs refused the credentials calling {call} (fault 1001: {text}). Nmbrs checks "
            f"three things: the e-mail (login {username!r}), the API token (password) and the "
            f"domain ({domain!r}). Check that the login is the API user's e-mail, that the token "
            "is that user's current token (regenerating it invalidates the old one), and that "
            "the domain is your environment's subdomain only.",
            code=code,
            **where,
        )
    if code == 1002:
        return NmbrsPermissionError(
            f"API user {username!r} may not call {call} (fault 1002: {text}). In Nmbrs, tick "
            f"{service} > {operation} in the API user's template, or run "
            "`python -m nmbrs_provider check` to list every missing permission.",
            code=code,
            **where,
        )
    if code in (1003, 2004):
        return NmbrsCompanyAccessError(
            f"Company {company} is unknown or not visible to API user {username!r} "
            f"(fault {code}: {text}) calling {call}. Check the company ID in the sync config "
            "(`python -m nmbrs_provider companies` lists the visible ones) and the API user's "
            "company rights.",
            code=code,
            **where,
        )
    if code == 1004:
        return NmbrsSubscriptionError(
            f"Nmbrs reports no valid subscription (fault 1004: {text}) calling {call}: ask your "
            "Nmbrs administrator to enable the API for this environment.",
            **where,
        )
    if code == 1006:
        return NmbrsTransientError(
            f"Nmbrs login security failure (fault 1006: {text}) calling {call}; retrying later "
            "usually passes.",
            code=code,
            **where,
        )
    if code == 2001:
        return NmbrsInvalidHourCodeError(
            f"An hour code is not in the hour model of the employee's company (fault 2001: "
            f"{text}) calling {call}{_employees(args)}. Add the code to the company's hour model "
            "in Nmbrs or map the hours to a code it has (`hour_codes` in the sync config).",
            **where,
        )
    if code == 2003:
        return NmbrsUnknownEmployeeError(
            f"Employee {employee if employee is not None else _employees(args)} is unknown or "
            f"not visible to API user {username!r} (fault 2003: {text}) calling {call}.",
            **where,
        )
    if code == 2006:
        return NmbrsInvalidPeriodError(
            f"Period {period} does not exist for the company's period type (fault 2006: {text}) "
            f"calling {call}.",
            **where,
        )
    if code == 2011 or (code == 9999 and _PROTECTION_WORDS.search(text)):
        return NmbrsProtectedPeriodError(
            _protected_message(call, operation, period, f"fault {code}: {text}", args),
            code=code,
            **where,
        )
    if code == 2012:
        return NmbrsWageTaxDeclarationSentError(
            f"The wage tax declaration of period {period} has already been sent (fault 2012: "
            f"{text}) calling {call}: Nmbrs accepts no more changes for it.",
            **where,
        )
    return NmbrsFaultError(
        f"Nmbrs answered {call} with fault {code if code is not None else '(no code)'}: {text}",
        code=code,
        **where,
    )


def _protected_message(
    call: str, operation: str, period: str, fault: str, args: Mapping[str, Any]
) -> str:
    """What to do about a protected period depends on whether UnprotectedMode was sent."""
    if args.get("UnprotectedMode"):
        return (
            f"Nmbrs refused {call} for period {period} even in UnprotectedMode ({fault}); "
            "past_period_policy is already retro. Nmbrs no longer accepts retroactive changes "
            "to this period: check in Nmbrs whether it is closed for corrections."
        )
    if "UnprotectedMode" not in args and operation in _WITHOUT_UNPROTECTED_MODE:
        return (
            f"Nmbrs refused {call} ({fault}): the component is in a period before the "
            f"company's current period, and {operation} takes no UnprotectedMode, so no "
            "policy lets it change a closed period. Nmbrs probably closed the period while "
            "the run was writing: run it again; under past_period_policy: retro the sync "
            "then corrects the closed period with correction components instead."
        )
    return (
        f"Period {period} is protected in Nmbrs ({fault}) calling {call}: it is before the "
        "company's current period. Sync the current period, or set past_period_policy: retro "
        "to write a retroactive correction (UnprotectedMode)."
    )


def _period_text(args: Mapping[str, Any]) -> str:
    if args.get("Period") is not None and args.get("Year") is not None:
        return f"{args['Year']}-{args['Period']}"
    return "(current)"


def _employees(args: Mapping[str, Any]) -> str:
    ids = sorted(set(args.get("EmployeeIds") or ()))
    if not ids:
        return ""
    shown = ", ".join(str(i) for i in ids[:10]) + (" ..." if len(ids) > 10 else "")
    return f" for employees {shown}"
