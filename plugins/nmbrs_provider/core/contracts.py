"""Classify Nmbrs employees as flexible (zero-hour), fixed, disputed or unknown.

Nmbrs has no "zero-hour contract" field; the signals are the work schedule, the salary type and
the fixed days. Only ``flexible`` employees ever get hours sent: sending worked hours for a
fixed-hour employee pays them twice.

Rules, first match wins:

1. a ``contract_overrides`` entry for the personnel number settles it (``flexible``/``fixed``);
2. no schedule (NaN) or a negative one -> ``unknown``;
3. schedule > 0 hours -> ``fixed``;
4. zero schedule, salary type hourly or unknown, fixed days 0 or unknown -> ``flexible``;
5. zero schedule with a non-hourly salary type or fixed days > 0 -> ``disputed``
   (negative fixed days -> ``unknown``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = [
    "CONTRACTS",
    "EMPLOYEE_COLUMNS",
    "HOURLY_SALARY_TYPES",
    "classify_contracts",
    "normalise_number",
    "unused_overrides",
]

CONTRACTS = ("flexible", "fixed", "disputed", "unknown")
EMPLOYEE_COLUMNS = (
    "employee_id",
    "number",
    "name",
    "schedule_hours",
    "salary_type",
    "days_fixed",
    "start_date",
    "end_date",
)
HOURLY_SALARY_TYPES = frozenset(
    {"Bruto_Uurloon", "Netto_Uurloon_excl_looncomp", "Netto_Uurloon_incl_looncomp"}
)
_UNKNOWN_SALARY = frozenset({"", "None"})
_ADD_OVERRIDE = "add a contract override"


def normalise_number(value: Any) -> str | None:
    """A personnel number or Keeping user code as comparable text (stripped); None if blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def classify_contracts(
    employees: pd.DataFrame, overrides: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Return a copy of ``employees`` with ``contract`` and ``contract_reason`` columns.

    ``employees`` has one row per employee of one company with :data:`EMPLOYEE_COLUMNS`;
    ``overrides`` maps personnel number to ``flexible`` or ``fixed``.
    """
    missing = [c for c in EMPLOYEE_COLUMNS if c not in employees.columns]
    if missing:
        raise ValueError(f"employees frame lacks columns {missing}; expected {EMPLOYEE_COLUMNS}")
    checked = _check_overrides(overrides or {})
    out = employees.copy()
    results = [
        _classify_one(
            checked.get(normalise_number(number) or ""),
            _as_float(schedule),
            salary,
            _as_float(days),
        )
        for number, schedule, salary, days in zip(
            out["number"], out["schedule_hours"], out["salary_type"], out["days_fixed"], strict=True
        )
    ]
    out["contract"] = pd.Series([r[0] for r in results], index=out.index, dtype=object)
    out["contract_reason"] = pd.Series([r[1] for r in results], index=out.index, dtype=object)
    return out


def unused_overrides(employees: pd.DataFrame, overrides: Mapping[str, str]) -> list[str]:
    """Personnel numbers in ``overrides`` that match no employee (likely typos)."""
    numbers = {normalise_number(n) for n in employees["number"]}
    return sorted(str(n) for n in overrides if normalise_number(n) not in numbers)


def _check_overrides(overrides: Mapping[str, str]) -> dict[str, str]:
    checked: dict[str, str] = {}
    for number, contract in overrides.items():
        if contract not in ("flexible", "fixed"):
            raise ValueError(
                f"contract override for personnel number {number!r} is {contract!r}; "
                "expected 'flexible' or 'fixed'"
            )
        key = normalise_number(number)
        if key is None:
            raise ValueError(f"contract override has an empty personnel number: {number!r}")
        checked[key] = contract
    return checked


def _as_float(value: Any) -> float:
    if value is None or value is pd.NA:
        return math.nan
    return float(value)


def _classify_one(
    override: str | None, schedule: float, salary: Any, days: float
) -> tuple[str, str]:
    if override is not None:
        return override, f"override in config: {override}"
    if math.isnan(schedule):
        return "unknown", f"no schedule in Nmbrs for the period: {_ADD_OVERRIDE}"
    if schedule < 0:
        return "unknown", f"schedule has negative hours ({schedule:.1f}): {_ADD_OVERRIDE}"
    if schedule > 0:
        return "fixed", f"schedule has {schedule:.1f} h/2 weeks"
    salary_text = normalise_number(salary)
    salary_known = salary_text is not None and salary_text not in _UNKNOWN_SALARY
    if not math.isnan(days) and days < 0:
        return "unknown", f"zero schedule but negative fixed days ({days:g}): {_ADD_OVERRIDE}"
    against = []
    if salary_known and salary_text not in HOURLY_SALARY_TYPES:
        against.append(f"salary type {salary_text}")
    if not math.isnan(days) and days > 0:
        against.append(f"{days:g} fixed days")
    if against:
        return "disputed", f"zero schedule but {' and '.join(against)}: {_ADD_OVERRIDE}"
    salary_part = "hourly wage" if salary_known else "salary type unknown"
    days_part = "fixed days unknown" if math.isnan(days) else "no fixed days"
    return "flexible", f"zero schedule, {salary_part}, {days_part}"
