"""Desired Nmbrs state for one company and period, and the writes that reach it.

Desired state, per flexible employee:

* hours: per owned hour code, the sum of the employee's matched hours, rounded half up to
  2 decimals (:func:`round_hours`); codes that round to 0 get no component;
* days worked: the number of distinct dates with at least one matched row of purpose ``work``
  and hours > 0 (project and task overrides count; leave, sick leave, trips do not).

A flexible employee is planned when they have matched hours or currently hold components of an
owned code; one with owned components but no hours now goes to zero (components removed,
days 0). Other flexible employees, every non-flexible employee and every component of a code
the company does not own are left alone.

Per owned code, an employee whose existing components of that code are exactly one component
with the desired hours keeps it; otherwise all components of that code are deleted and one
with the desired hours is inserted (if > 0). ``set_days`` is planned when desired days differ
from the current days (None counts as 0). An employee with nothing to write is ``unchanged``.

Strategy ``correct`` (a period Nmbrs has closed, where ``HourComponent_Delete`` cannot reach)
deletes and clears nothing: per owned code whose total in Nmbrs differs from the desired hours it
inserts one component with the difference (negative to lower it) on top of what Nmbrs holds.

Strategy ``auto`` may instead clear the employee's period (``HourComponentVar_ClearCurrent``,
current period only) and insert the owned components again, when that takes fewer write
operations and the employee has no components of other codes (or ``restore_non_owned`` is on:
then those are re-inserted with their code and hours; their comment cannot be read and is lost).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from .balance import BalanceError, check_balance
from .batching import chunked
from .config import FrozenMap
from .periods import PayrollPeriod

__all__ = [
    "BalanceError",
    "CompanyPlan",
    "Component",
    "Delete",
    "EmployeePlan",
    "Insert",
    "SetDays",
    "check_balance",
    "chunked",
    "components_frame",
    "plan_company",
    "round_hours",
    "sent_hours",
    "strategy_costs",
    "verify",
]

CENT = Decimal("0.01")
_NOISE = Decimal("1e-9")
STRATEGIES = ("delete", "auto", "correct")
_HOURS_COLUMNS = ("employee_id", "hour_code", "work_date", "hours", "purpose")
_COMPONENT_COLUMNS = ("employee_id", "component_id", "hour_code", "hours")


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


@dataclass(frozen=True)
class Component:
    """A variable hour component as Nmbrs holds it."""

    component_id: int
    hour_code: int
    hours: Decimal


@dataclass(frozen=True)
class Delete:
    """``HourComponent_Delete(employee_id, component_id)``."""

    employee_id: int
    component_id: int
    hour_code: int
    hours: Decimal


@dataclass(frozen=True)
class Insert:
    """One item of ``HourComponentVar_Insert_Batch``; ``restored``: a non-owned component put
    back after a clear; ``held_before``: a correction's code total in Nmbrs before it (None:
    the plan removed every component of the code before inserting)."""

    employee_id: int
    hour_code: int
    hours: Decimal
    comment: str | None
    restored: bool = False
    held_before: Decimal | None = None


@dataclass(frozen=True)
class SetDays:
    """One item of ``DaysVar_Set_Batch``: days worked of an employee in the period."""

    employee_id: int
    days: int


@dataclass(frozen=True)
class EmployeePlan:
    """What to write for one flexible employee."""

    employee_id: int
    number: str
    name: str
    owned_codes: frozenset[int]
    current: tuple[Component, ...]
    desired: Mapping[int, Decimal]
    current_days: int | None
    desired_days: int
    strategy: str  # "unchanged" | "delete" | "clear_and_restore" | "correct"
    deletes: tuple[Delete, ...] = ()
    clear: bool = False
    inserts: tuple[Insert, ...] = ()
    set_days: int | None = None

    @property
    def unchanged(self) -> bool:
        return self.strategy == "unchanged"

    @property
    def non_owned(self) -> tuple[Component, ...]:
        return tuple(c for c in self.current if c.hour_code not in self.owned_codes)

    def current_hours(self, hour_code: int) -> Decimal:
        """Total hours Nmbrs currently holds for ``hour_code``."""
        return sum((c.hours for c in self.current if c.hour_code == hour_code), Decimal(0))

    @property
    def actions(self) -> list[str]:
        """Readable list of writes, empty when unchanged."""
        out = [f"clear all components of employee {self.employee_id}"] if self.clear else []
        out += [
            f"delete component {d.component_id} ({d.hour_code}: {d.hours} h)" for d in self.deletes
        ]
        out += [
            f"{'restore' if i.restored else 'insert'} {i.hour_code}: {i.hours} h"
            for i in self.inserts
        ]
        if self.set_days is not None:
            out.append(f"set days worked to {self.set_days}")
        return out


def strategy_costs(plan: EmployeePlan) -> dict[str, int]:
    """Write operations each strategy needs for ``plan``'s employee: delete calls, clear calls
    and inserted items (days are the same for both and not counted)."""
    by_delete = _diff_by_code(plan.employee_id, plan.current, plan.desired, plan.owned_codes, "")
    deletes, inserts = by_delete
    positive = sum(1 for hours in plan.desired.values() if hours > 0)
    return {
        "delete": len(deletes) + len(inserts),
        "clear_and_restore": 1 + len(plan.non_owned) + positive,
    }


@dataclass(frozen=True)
class CompanyPlan:
    """Plan of one company and period.

    ``hours_in`` = matched hours + ``hours_excluded``; ``hours_planned`` is the rounded total
    of the desired components; ``rounding`` = ``hours_planned`` - matched hours.
    """

    company_id: int
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
    def inserts(self) -> tuple[Insert, ...]:
        return tuple(i for e in self.employees for i in e.inserts)

    @property
    def deletes(self) -> tuple[Delete, ...]:
        return tuple(d for e in self.employees for d in e.deletes)

    @property
    def clears(self) -> tuple[int, ...]:
        """Employee ids to clear with ``HourComponentVar_ClearCurrent`` before inserting."""
        return tuple(e.employee_id for e in self.employees if e.clear)

    @property
    def days(self) -> tuple[SetDays, ...]:
        """Days worked to set (``DaysVar_Set_Batch``), for employees whose days change."""
        return tuple(
            SetDays(e.employee_id, e.set_days) for e in self.employees if e.set_days is not None
        )

    def chunks(self, size: int) -> list[tuple[Insert, ...]]:
        """The inserts in batches of at most ``size``."""
        return chunked(self.inserts, size)

    def summary(self) -> str:
        """One line for the task log."""
        return (
            f"company {self.company_id} {self.period}: {len(self.employees)} employees planned, "
            f"{len(self.employees) - len(self.changed)} unchanged; {len(self.clears)} clears, "
            f"{len(self.deletes)} deletes, {len(self.inserts)} inserts, {len(self.days)} days; "
            f"hours in {self.hours_in:.2f} = planned {self.hours_planned:.2f} + excluded "
            f"{self.hours_excluded:.2f} - rounding {self.rounding:+.2f}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Readable dry-run table: one row per employee and hour code, and one for days."""
        rows: list[dict[str, Any]] = []
        for emp in self.employees:
            codes = sorted({c.hour_code for c in emp.current} | set(emp.desired))
            deleted = {d.hour_code for d in emp.deletes}
            inserted = {i.hour_code for i in emp.inserts if not i.restored}
            for code in codes:
                owned = code in emp.owned_codes
                current = float(emp.current_hours(code))
                desired = float(emp.desired.get(code, Decimal(0))) if owned else math.nan
                rows.append(
                    {
                        "employee_id": emp.employee_id,
                        "employee_number": emp.number,
                        "employee_name": emp.name,
                        "hour_code": code,
                        "current_hours": current,
                        "desired_hours": desired,
                        "action": _code_action(emp, code, owned, deleted, inserted),
                    }
                )
            rows.append(
                {
                    "employee_id": emp.employee_id,
                    "employee_number": emp.number,
                    "employee_name": emp.name,
                    "hour_code": pd.NA,
                    "current_hours": math.nan if emp.current_days is None else emp.current_days,
                    "desired_hours": float(emp.desired_days),
                    "action": "set days" if emp.set_days is not None else "keep days",
                }
            )
        frame = pd.DataFrame(
            rows,
            columns=[
                "employee_id",
                "employee_number",
                "employee_name",
                "hour_code",
                "current_hours",
                "desired_hours",
                "action",
            ],
        )
        frame["hour_code"] = frame["hour_code"].astype("Int64")
        return frame


def _code_action(
    emp: EmployeePlan, code: int, owned: bool, deleted: set[int], inserted: set[int]
) -> str:
    if not owned:
        return "clear + restore" if emp.clear else "untouched (code not owned)"
    if emp.strategy == "correct":
        return "correct" if code in inserted else "keep"
    if emp.clear:
        return "clear + insert" if code in inserted else "clear"
    if code in deleted:
        return "replace" if code in inserted else "delete"
    return "insert" if code in inserted else "keep"


def plan_company(
    company_id: int,
    period: PayrollPeriod,
    hours: pd.DataFrame,
    employees: pd.DataFrame,
    owned_codes: Collection[int],
    hour_model: Collection[int],
    current_components: pd.DataFrame,
    current_days: Mapping[int, int | None],
    *,
    comment: str | None = None,
    excluded: pd.DataFrame | None = None,
    strategy: str = "delete",
    restore_non_owned: bool = False,
) -> CompanyPlan:
    """Plan the writes that make Nmbrs hold the desired state (see module docstring).

    ``hours``: matched rows of flexible employees (``employee_id``, ``hour_code``,
    ``work_date``, ``hours``, ``purpose``), e.g. ``MatchResult.matched``. ``employees``:
    classified employees (``employee_id``, ``number``, ``name``, ``contract``).
    ``current_components``: ``employee_id``, ``component_id``, ``hour_code``, ``hours`` for the
    period. ``current_days``: employee_id -> days worked now (None or absent = not set).
    ``excluded``: the company's excluded rows so far, for the totals. ``strategy``: ``delete``
    (default), ``auto`` (may clear; only for the company's current period) or ``correct``
    (correction components only; for a period Nmbrs has closed).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    owned = frozenset(int(c) for c in owned_codes)
    staff = _employees_by_id(employees)
    rows = _checked_hours(hours, staff, owned, {int(c) for c in hour_model})
    components = _components_by_employee(current_components)
    text = f"Keeping {period}" if comment is None else comment

    per_code = rows.groupby(["employee_id", "hour_code"], sort=True)["hours"].sum()
    worked = rows.loc[rows["purpose"].eq("work") & rows["hours"].gt(0)]
    days = worked.groupby("employee_id")["work_date"].nunique()
    desired: dict[int, dict[int, Decimal]] = {}
    for (employee_id, code), total in per_code.items():
        rounded = round_hours(total)
        if rounded > 0:
            desired.setdefault(int(employee_id), {})[int(code)] = rounded

    flexible = {e for e, info in staff.items() if info["contract"] == "flexible"}
    holders = {e for e, comps in components.items() if any(c.hour_code in owned for c in comps)}
    planned_ids = sorted((set(rows["employee_id"].astype(int)) | holders) & flexible)
    plans = []
    for employee_id in planned_ids:
        info = staff[employee_id]
        plans.append(
            _plan_employee(
                employee_id,
                str(info["number"]),
                str(info["name"]),
                owned,
                components.get(employee_id, ()),
                desired.get(employee_id, {}),
                current_days.get(employee_id),
                int(days.get(employee_id, 0)),
                text,
                strategy,
                restore_non_owned,
            )
        )
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
    employee_id: int,
    number: str,
    name: str,
    owned: frozenset[int],
    current: tuple[Component, ...],
    desired: dict[int, Decimal],
    current_days: int | None,
    desired_days: int,
    comment: str,
    strategy: str,
    restore_non_owned: bool,
) -> EmployeePlan:
    if strategy == "correct":
        deletes, inserts = (), _corrections(employee_id, current, desired, owned, comment)
    else:
        deletes, inserts = _diff_by_code(employee_id, current, desired, owned, comment)
    set_days = desired_days if desired_days != (current_days or 0) else None
    base = EmployeePlan(
        employee_id=employee_id,
        number=number,
        name=name,
        owned_codes=owned,
        current=current,
        desired=FrozenMap(desired),
        current_days=current_days,
        desired_days=desired_days,
        strategy="correct" if strategy == "correct" else "delete",
        deletes=deletes,
        inserts=inserts,
        set_days=set_days,
    )
    if not deletes and not inserts and set_days is None:
        return replace(base, strategy="unchanged")
    if strategy == "auto" and (restore_non_owned or not base.non_owned):
        costs = strategy_costs(base)
        if costs["clear_and_restore"] < costs["delete"]:
            restored = tuple(
                Insert(employee_id, c.hour_code, c.hours, None, restored=True)
                for c in base.non_owned
            )
            fresh = tuple(
                Insert(employee_id, code, hours, comment) for code, hours in sorted(desired.items())
            )
            return replace(
                base,
                strategy="clear_and_restore",
                clear=True,
                deletes=(),
                inserts=restored + fresh,
            )
    return base


def _diff_by_code(
    employee_id: int,
    current: tuple[Component, ...],
    desired: Mapping[int, Decimal],
    owned: frozenset[int],
    comment: str,
) -> tuple[tuple[Delete, ...], tuple[Insert, ...]]:
    deletes: list[Delete] = []
    inserts: list[Insert] = []
    for code in sorted(owned):
        existing = [c for c in current if c.hour_code == code]
        want = desired.get(code, Decimal(0))
        if len(existing) == 1 and want > 0 and round_hours(existing[0].hours) == want:
            continue
        deletes += [Delete(employee_id, c.component_id, code, c.hours) for c in existing]
        if want > 0:
            inserts.append(Insert(employee_id, code, want, comment))
    return tuple(deletes), tuple(inserts)


def _corrections(
    employee_id: int,
    current: tuple[Component, ...],
    desired: Mapping[int, Decimal],
    owned: frozenset[int],
    comment: str,
) -> tuple[Insert, ...]:
    inserts = []
    for code in sorted(owned):
        held = round_hours(sum((c.hours for c in current if c.hour_code == code), Decimal(0)))
        difference = desired.get(code, Decimal(0)) - held
        if difference:
            text = f"{comment} (correction)" if held else comment
            inserts.append(Insert(employee_id, code, difference, text, held_before=held))
    return tuple(inserts)


def _employees_by_id(employees: pd.DataFrame) -> dict[int, dict[str, Any]]:
    missing = [c for c in ("employee_id", "number", "name", "contract") if c not in employees]
    if missing:
        raise ValueError(f"employees frame lacks {missing}: pass it through classify_contracts")
    ids = employees["employee_id"]
    if ids.duplicated().any():
        raise ValueError(
            f"employees frame repeats employee ids {sorted(set(ids[ids.duplicated()]))}"
        )
    return {
        int(r.employee_id): {"number": r.number, "name": r.name, "contract": r.contract}
        for r in employees.itertuples(index=False)
    }


def _checked_hours(
    hours: pd.DataFrame,
    staff: Mapping[int, Mapping[str, Any]],
    owned: frozenset[int],
    hour_model: set[int],
) -> pd.DataFrame:
    missing = [c for c in _HOURS_COLUMNS if c not in hours.columns]
    if missing:
        raise ValueError(f"hours frame lacks {missing}; expected {_HOURS_COLUMNS}")
    rows = hours.loc[:, list(_HOURS_COLUMNS)].copy()
    rows["employee_id"] = rows["employee_id"].astype("int64")
    rows["hour_code"] = rows["hour_code"].astype("int64")
    rows["hours"] = pd.to_numeric(rows["hours"]).astype("float64")
    problems = []
    unknown = sorted(set(rows["employee_id"]) - set(staff))
    if unknown:
        problems.append(f"employees {unknown} are not in the employees frame")
    not_flexible = sorted(
        e for e in set(rows["employee_id"]) - set(unknown) if staff[e]["contract"] != "flexible"
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


def _components_by_employee(current: pd.DataFrame) -> dict[int, tuple[Component, ...]]:
    missing = [c for c in _COMPONENT_COLUMNS if c not in current.columns]
    if missing:
        raise ValueError(f"current_components lacks {missing}; expected {_COMPONENT_COLUMNS}")
    ids = current["component_id"]
    if ids.duplicated().any():
        raise ValueError(
            f"current_components repeats component ids {sorted(set(ids[ids.duplicated()]))}"
        )
    result: dict[int, list[Component]] = {}
    for r in current.itertuples(index=False):
        result.setdefault(int(r.employee_id), []).append(
            Component(int(r.component_id), int(r.hour_code), _as_decimal(r.hours))
        )
    return {e: tuple(comps) for e, comps in result.items()}


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(float(value))).quantize(_NOISE, ROUND_HALF_EVEN).normalize()


def components_frame(by_employee: Mapping[int, Iterable[Any]]) -> pd.DataFrame:
    """``current_components`` / read-back frame from ``{employee_id: [component, ...]}``, each
    component having ``id`` (or ``component_id``), ``hour_code`` and ``hours``."""
    rows = [
        (
            int(employee_id),
            int(getattr(c, "component_id", None) or c.id),
            int(c.hour_code),
            c.hours,
        )
        for employee_id, comps in by_employee.items()
        for c in comps or ()
    ]
    return pd.DataFrame(rows, columns=list(_COMPONENT_COLUMNS))


def sent_hours(plan: CompanyPlan, read_back_components: pd.DataFrame) -> float:
    """Hours of owned codes that Nmbrs holds for the plan's employees: the ``hours_sent`` of
    :func:`check_balance` after writing (other employees and codes are not counted)."""
    after = _components_by_employee(read_back_components)
    total = Decimal(0)
    for emp in plan.employees:
        total += sum(
            (c.hours for c in after.get(emp.employee_id, ()) if c.hour_code in emp.owned_codes),
            Decimal(0),
        )
    return float(total)


def verify(
    plan: CompanyPlan,
    read_back_components: pd.DataFrame,
    read_back_days: Mapping[int, int | None],
) -> list[str]:
    """Compare what Nmbrs holds after writing with the plan; return mismatches (empty = ok).

    Per planned employee: each owned code's total must equal the desired hours, each other
    code's total must equal what it was before, and days worked must equal the desired days.
    """
    after = _components_by_employee(read_back_components)
    problems: list[str] = []
    for emp in plan.employees:
        comps = after.get(emp.employee_id, ())
        who = f"employee {emp.number} ({emp.name}, id {emp.employee_id})"
        totals: dict[int, Decimal] = {}
        for c in comps:
            totals[c.hour_code] = totals.get(c.hour_code, Decimal(0)) + c.hours
        before = {c.hour_code for c in emp.current}
        for code in sorted(set(totals) | before | set(emp.desired)):
            now = round_hours(totals.get(code, Decimal(0)))
            if code in emp.owned_codes:
                want = emp.desired.get(code, Decimal(0))
                if now != want:
                    problems.append(
                        f"{who}: hour code {code} holds {now} h in Nmbrs, planned {want} h"
                    )
            else:
                was = round_hours(emp.current_hours(code))
                if now != was:
                    problems.append(
                        f"{who}: hour code {code} (not owned) changed from {was} h to {now} h"
                    )
        days_now = read_back_days.get(emp.employee_id)
        if (days_now or 0) != emp.desired_days:
            problems.append(
                f"{who}: days worked is {days_now} in Nmbrs, planned {emp.desired_days}"
            )
    return problems
