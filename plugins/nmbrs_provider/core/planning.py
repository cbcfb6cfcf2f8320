"""Desired Nmbrs state for one company and period, and the changes that reach it.

Desired state, per flexible employee:

* hours: per owned hour code, the sum of the employee's matched hours, rounded half up to
  2 decimals (:func:`round_hours`); codes that round to 0 get no component;
* days worked: the number of distinct dates with at least one matched row of purpose ``work``
  and hours > 0 (project and task overrides count; leave, sick leave, trips do not).

A flexible employee is planned when they have matched hours or currently hold components of an
owned code; one with owned components but no hours now goes to zero (components removed,
days 0). Other flexible employees, every non-flexible employee and every component of a code
the company does not own are left alone.

Per owned code, an employee whose components of that code are exactly one component with the
desired hours keeps it; otherwise the plan holds a :class:`~.holdings.CodeChange` to the desired
hours (the backend decides the calls). Days are set when desired days differ from the current
days (None counts as 0). An employee with nothing to change is ``unchanged``.

Strategy ``correct`` (a period Nmbrs has closed, where nothing can be deleted) plans, per owned
code whose total in Nmbrs differs from the desired hours, a correction: one component with the
difference (negative to lower it) on top of what Nmbrs holds.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from .balance import BalanceError, check_balance
from .config import FrozenMap
from .holdings import (
    ChangeSet,
    CodeChange,
    CompanyId,
    EmployeeChange,
    EmployeeId,
    Holding,
    HourComponent,
)
from .periods import PayrollPeriod

__all__ = [
    "BalanceError",
    "CompanyPlan",
    "EmployeePlan",
    "check_balance",
    "id_order",
    "plain_id",
    "plan_company",
    "round_hours",
]

CENT = Decimal("0.01")
_NOISE = Decimal("1e-9")
STRATEGIES = ("replace", "correct")
_HOURS_COLUMNS = ("employee_id", "hour_code", "work_date", "hours", "purpose")


def round_hours(value: Any) -> Decimal:
    """Round hours half up to 2 decimals, ignoring binary float noise (1.005 -> 1.01)."""
    if isinstance(value, Decimal):
        number = value
    else:
        as_float = float(value)
        if not math.isfinite(as_float):
            raise ValueError(f"hours must be a finite number, got {value!r}")
        number = Decimal(repr(as_float))
    return number.quantize(_NOISE, ROUND_HALF_EVEN).quantize(CENT, ROUND_HALF_UP)


def plain_id(value: Any) -> EmployeeId:
    """An id out of a frame as a plain ``int`` or ``str`` (numpy integers become ``int``)."""
    if isinstance(value, str):
        return value
    return int(value)


def id_order(value: EmployeeId) -> tuple[bool, Any]:
    """Sort key of ids: numbers, then strings."""
    return isinstance(value, str), value


@dataclass(frozen=True)
class EmployeePlan:
    """What to change for one flexible employee; ``held``: what Nmbrs holds before."""

    employee_id: EmployeeId
    number: str
    name: str
    owned_codes: frozenset[int]
    held: Holding
    desired: Mapping[int, Decimal]
    desired_days: int
    strategy: str  # "unchanged" | "replace" | "correct"
    changes: tuple[CodeChange, ...] = ()
    set_days: int | None = None

    @property
    def unchanged(self) -> bool:
        return self.strategy == "unchanged"

    @property
    def current(self) -> tuple[HourComponent, ...]:
        """The components Nmbrs holds before the change."""
        return self.held.components

    @property
    def current_days(self) -> int | None:
        return self.held.days

    def current_hours(self, hour_code: int) -> Decimal:
        """Total hours Nmbrs currently holds for ``hour_code``."""
        return sum((c.hours for c in self.current if c.hour_code == hour_code), Decimal(0))

    def change(self) -> EmployeeChange:
        """The employee's part of the change set."""
        return EmployeeChange(self.employee_id, self.changes, self.set_days)

    @property
    def actions(self) -> list[str]:
        """Readable list of changes, empty when unchanged."""
        out = []
        for c in self.changes:
            if c.correction:
                out.append(f"correct {c.hour_code}: {c.difference:+} h to {c.hours} h")
            else:
                out.append(f"set {c.hour_code} from {c.held_hours} h to {c.hours} h")
        if self.set_days is not None:
            out.append(f"set days worked to {self.set_days}")
        return out


@dataclass(frozen=True)
class CompanyPlan:
    """Plan of one company and period.

    ``hours_in`` = matched hours + ``hours_excluded``; ``hours_planned`` is the rounded total
    of the desired components; ``rounding`` = ``hours_planned`` - matched hours.
    """

    company_id: CompanyId
    period: PayrollPeriod
    employees: tuple[EmployeePlan, ...]
    hours_in: float
    hours_planned: float
    hours_excluded: float
    rounding: float
    excluded: pd.DataFrame = field(repr=False, compare=False)

    @property
    def changed(self) -> tuple[EmployeePlan, ...]:
        return tuple(e for e in self.employees if not e.unchanged)

    @property
    def code_changes(self) -> tuple[tuple[EmployeeId, CodeChange], ...]:
        """Every code change, with its employee."""
        return tuple((e.employee_id, c) for e in self.employees for c in e.changes)

    @property
    def days(self) -> dict[EmployeeId, int]:
        """Days worked to set, for employees whose days change."""
        return {e.employee_id: e.set_days for e in self.employees if e.set_days is not None}

    def change_set(self, *, unprotected: bool = False) -> ChangeSet:
        """What a backend writes for this plan."""
        return ChangeSet(
            self.company_id, self.period, tuple(e.change() for e in self.changed), unprotected
        )

    def to_frame(self) -> pd.DataFrame:
        """Readable dry-run table: one row per employee and hour code, and one for days."""
        from .plan_table import plan_frame

        return plan_frame(self)

    def summary(self) -> str:
        """One line for the task log."""
        corrections = sum(1 for _, c in self.code_changes if c.correction)
        return (
            f"company {self.company_id} {self.period}: {len(self.employees)} employees planned, "
            f"{len(self.employees) - len(self.changed)} unchanged; "
            f"{len(self.code_changes) - corrections} code changes, {corrections} corrections, "
            f"{len(self.days)} days; "
            f"hours in {self.hours_in:.2f} = planned {self.hours_planned:.2f} + excluded "
            f"{self.hours_excluded:.2f} - rounding {self.rounding:+.2f}"
        )


def plan_company(
    company_id: CompanyId,
    period: PayrollPeriod,
    hours: pd.DataFrame,
    employees: pd.DataFrame,
    owned_codes: Collection[int],
    hour_model: Collection[int],
    holdings: Mapping[EmployeeId, Holding],
    *,
    comment: str | None = None,
    excluded: pd.DataFrame | None = None,
    strategy: str = "replace",
) -> CompanyPlan:
    """Plan the changes that make Nmbrs hold the desired state (see module docstring).

    ``hours``: matched rows of flexible employees (``employee_id``, ``hour_code``,
    ``work_date``, ``hours``, ``purpose``), e.g. ``MatchResult.matched``. ``employees``:
    classified employees (``employee_id``, ``number``, ``name``, ``contract``).
    ``holdings``: what Nmbrs holds per employee in the period (absent: nothing).
    ``excluded``: the company's excluded rows so far, for the totals. ``strategy``:
    ``replace`` (default) or ``correct`` (correction components only; for a period Nmbrs has
    closed).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    owned = frozenset(int(c) for c in owned_codes)
    staff = _employees_by_id(employees)
    rows = _checked_hours(hours, staff, owned, {int(c) for c in hour_model})
    text = f"Keeping {period}" if comment is None else comment

    per_code = rows.groupby(["employee_id", "hour_code"], sort=True)["hours"].sum()
    worked = rows.loc[rows["purpose"].eq("work") & rows["hours"].gt(0)]
    days = worked.groupby("employee_id")["work_date"].nunique()
    desired: dict[EmployeeId, dict[int, Decimal]] = {}
    for (employee_id, code), total in per_code.items():
        rounded = round_hours(total)
        if rounded > 0:
            desired.setdefault(plain_id(employee_id), {})[int(code)] = rounded

    flexible = {e for e, info in staff.items() if info["contract"] == "flexible"}
    holders = {e for e, h in holdings.items() if any(c.hour_code in owned for c in h.components)}
    hour_holders = {plain_id(e) for e in rows["employee_id"].unique()}
    planned_ids = sorted((hour_holders | holders) & flexible, key=id_order)
    plans = [
        _plan_employee(
            employee_id,
            staff[employee_id],
            owned,
            holdings.get(employee_id, Holding()),
            desired.get(employee_id, {}),
            int(days.get(employee_id, 0)),
            text,
            strategy,
        )
        for employee_id in planned_ids
    ]
    matched_hours = float(rows["hours"].sum())
    hours_excluded = 0.0 if excluded is None else float(excluded["hours"].fillna(0.0).sum())
    hours_planned = float(sum((d for m in desired.values() for d in m.values()), Decimal(0)))
    return CompanyPlan(
        company_id=company_id,
        period=period,
        employees=tuple(plans),
        hours_in=matched_hours + hours_excluded,
        hours_planned=hours_planned,
        hours_excluded=hours_excluded,
        rounding=hours_planned - matched_hours,
        excluded=excluded if excluded is not None else pd.DataFrame(),
    )


def _plan_employee(
    employee_id: EmployeeId,
    info: Mapping[str, Any],
    owned: frozenset[int],
    held: Holding,
    desired: dict[int, Decimal],
    desired_days: int,
    comment: str,
    strategy: str,
) -> EmployeePlan:
    if strategy == "correct":
        changes = _corrections(held, desired, owned, comment)
    else:
        changes = _replacements(held, desired, owned, comment)
    set_days = desired_days if desired_days != (held.days or 0) else None
    return EmployeePlan(
        employee_id=employee_id,
        number=str(info["number"]),
        name=str(info["name"]),
        owned_codes=owned,
        held=held,
        desired=FrozenMap(desired),
        desired_days=desired_days,
        strategy=strategy if changes or set_days is not None else "unchanged",
        changes=changes,
        set_days=set_days,
    )


def _replacements(
    held: Holding, desired: Mapping[int, Decimal], owned: frozenset[int], comment: str
) -> tuple[CodeChange, ...]:
    changes = []
    for code in sorted(owned):
        existing = held.of_code(code)
        want = desired.get(code, Decimal(0))
        if len(existing) == 1 and want > 0 and round_hours(existing[0].hours) == want:
            continue
        if existing or want > 0:
            changes.append(CodeChange(code, existing, want, comment))
    return tuple(changes)


def _corrections(
    held: Holding, desired: Mapping[int, Decimal], owned: frozenset[int], comment: str
) -> tuple[CodeChange, ...]:
    changes = []
    for code in sorted(owned):
        change = CodeChange(code, held.of_code(code), desired.get(code, Decimal(0)), comment, True)
        if change.difference:
            text = f"{comment} (correction)" if change.held_hours else comment
            changes.append(CodeChange(code, change.held, change.hours, text, True))
    return tuple(changes)


def _employees_by_id(employees: pd.DataFrame) -> dict[EmployeeId, dict[str, Any]]:
    missing = [c for c in ("employee_id", "number", "name", "contract") if c not in employees]
    if missing:
        raise ValueError(f"employees frame lacks {missing}: pass it through classify_contracts")
    ids = employees["employee_id"]
    if ids.duplicated().any():
        raise ValueError(
            f"employees frame repeats employee ids {sorted(set(ids[ids.duplicated()]))}"
        )
    return {
        plain_id(r.employee_id): {"number": r.number, "name": r.name, "contract": r.contract}
        for r in employees.itertuples(index=False)
    }


def _checked_hours(
    hours: pd.DataFrame,
    staff: Mapping[EmployeeId, Mapping[str, Any]],
    owned: frozenset[int],
    hour_model: set[int],
) -> pd.DataFrame:
    missing = [c for c in _HOURS_COLUMNS if c not in hours.columns]
    if missing:
        raise ValueError(f"hours frame lacks {missing}; expected {_HOURS_COLUMNS}")
    rows = hours.loc[:, list(_HOURS_COLUMNS)].copy()
    ids = rows["employee_id"]
    # SOAP ids stay int64 (fast to group); REST's UUID strings are kept as they are.
    numeric = pd.api.types.is_numeric_dtype(ids) and not pd.api.types.is_bool_dtype(ids)
    rows["employee_id"] = ids.astype("int64") if numeric else ids.map(plain_id).astype(object)
    rows["hour_code"] = rows["hour_code"].astype("int64")
    rows["hours"] = pd.to_numeric(rows["hours"]).astype("float64")
    problems = []
    present = set(rows["employee_id"])
    unknown = sorted(present - set(staff), key=id_order)
    if unknown:
        problems.append(f"employees {unknown} are not in the employees frame")
    not_flexible = sorted(
        (e for e in present - set(unknown) if staff[e]["contract"] != "flexible"), key=id_order
    )
    if not_flexible:
        problems.append(f"employees {not_flexible} are not flexible")
    codes = set(rows["hour_code"])
    if codes - owned:
        problems.append(f"hour codes {sorted(codes - owned)} are not owned by the company")
    if codes - hour_model:
        problems.append(f"hour codes {sorted(codes - hour_model)} are not in the hour model")
    bad = rows["hours"].isna() | rows["hours"].le(0)
    if bad.any():
        problems.append(f"{int(bad.sum())} rows have no or non-positive hours")
    if problems:
        raise ValueError(
            "hours to plan must be matched rows of flexible employees (match_employees): "
            + "; ".join(problems)
        )
    return rows
