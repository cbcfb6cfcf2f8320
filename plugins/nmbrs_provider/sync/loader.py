"""Write a company plan to Nmbrs without ever doubling an hour, then verify it."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nmbrs_provider.core.config import LoadConfig
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import CompanyPlan, Insert, round_hours, verify
from nmbrs_provider.exceptions import NmbrsError, NmbrsTransientError
from nmbrs_provider.models import DaysWorked, NewHourComponent
from nmbrs_provider.sync.nmbrs_state import NmbrsHoldings, read_holdings

if TYPE_CHECKING:
    from nmbrs_provider.hooks.nmbrs import NmbrsHook

log = logging.getLogger(__name__)


class VerificationError(NmbrsError):
    """Nmbrs does not hold what was planned after writing."""


@dataclass
class LoadSettings:
    """How the plan is written."""

    chunk_size: int = 500
    insert_attempts: int = 5
    backoff_seconds: float = 0.5
    verify: str = "sample"  # sample | all | none: which written employees are read back
    verify_sample: int = 3

    @classmethod
    def from_config(cls, load: LoadConfig, *, chunk_size: int | None = None) -> LoadSettings:
        """The settings of the config's ``load`` section (``chunk_size`` overrides)."""
        return cls(
            chunk_size=chunk_size or load.chunk_size,
            verify=load.verify,
            verify_sample=load.verify_sample,
        )


@dataclass
class LoadResult:
    """What was written, and what Nmbrs holds afterwards."""

    deleted: int = 0
    cleared: int = 0
    inserted: int = 0
    days_set: int = 0
    read_back: NmbrsHoldings | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)


def apply_plan(
    hook: NmbrsHook,
    plan: CompanyPlan,
    period: PayrollPeriod,
    *,
    unprotected: bool,
    settings: LoadSettings | None = None,
) -> LoadResult:
    """Delete, clear, insert (components or corrections) and set days as planned; read back
    and verify.

    Deletes, clears and days are idempotent and retried by the hook; deletes and clears (one
    call each, Nmbrs has no batch for them) go out side by side. A batch insert whose answer
    was lost is never resent blindly: the employees of the batch are read back first and only
    the components Nmbrs does not hold yet are sent again.
    """
    settings = settings or LoadSettings()
    result = LoadResult()
    hook.map_concurrently(
        lambda d: _delete(hook, d.employee_id, d.component_id, period), plan.deletes
    )
    result.deleted = len(plan.deletes)
    hook.map_concurrently(hook.clear_current_hour_components, plan.clears)
    result.cleared = len(plan.clears)
    days = [DaysWorked(d.employee_id, d.days) for d in plan.days]

    def insert_all() -> None:
        for chunk in plan.chunks(settings.chunk_size):
            result.inserted += _insert_chunk(hook, chunk, period, unprotected, settings)

    def set_days() -> None:
        if days:
            result.days_set = hook.set_days_worked(
                days, period, unprotected=unprotected, chunk_size=settings.chunk_size
            )

    # Days worked do not depend on the components: both go out side by side.
    hook.map_concurrently(lambda write: write(), [insert_all, set_days])
    # Read back and verify (some of) the employees written to; the others matched already.
    written = dataclasses.replace(plan, employees=to_verify(plan.changed, settings))
    result.read_back = read_holdings(hook, [e.employee_id for e in written.employees], period)
    problems = verify(written, result.read_back.components, result.read_back.days)
    if problems:
        raise VerificationError(
            f"Company {plan.company_id}, period {period}: Nmbrs does not hold what was sent:\n- "
            + "\n- ".join(problems[:20])
        )
    return result


def to_verify(changed: Sequence[Any], settings: LoadSettings) -> tuple[Any, ...]:
    """The written employees to read back: all, none, or an even spread of ``verify_sample``.

    A sample catches what goes wrong for a whole batch (a write ignored, the wrong period) at a
    constant cost per company; the next run reads every employee again before planning, so a
    single employee's difference is still found and corrected then.
    """
    if settings.verify == "all":
        return tuple(changed)
    if settings.verify == "none" or settings.verify_sample <= 0 or not changed:
        return ()
    if len(changed) <= settings.verify_sample:
        return tuple(changed)
    step = len(changed) / settings.verify_sample
    return tuple(changed[int(i * step)] for i in range(settings.verify_sample))


def _delete(hook: NmbrsHook, employee_id: int, component_id: int, period: PayrollPeriod) -> None:
    try:
        hook.delete_hour_component(employee_id, component_id)
    except NmbrsError as exc:
        # A delete whose answer was lost and that was retried finds nothing left to delete.
        held = {c.id for c in hook.get_hour_components(employee_id, period)}
        if component_id in held:
            raise
        log.info("Component %s of employee %s already gone (%s)", component_id, employee_id, exc)


def _insert_chunk(
    hook: NmbrsHook,
    chunk: Sequence[Insert],
    period: PayrollPeriod,
    unprotected: bool,
    settings: LoadSettings,
) -> int:
    pending = list(chunk)
    for attempt in range(1, settings.insert_attempts + 1):
        try:
            hook.insert_hour_components(
                [NewHourComponent(i.employee_id, i.hour_code, i.hours, i.comment) for i in pending],
                period,
                unprotected=unprotected,
                chunk_size=len(pending),
            )
            return len(chunk)
        except NmbrsTransientError as exc:
            if attempt == settings.insert_attempts:
                raise
            log.warning("Insert of %d components failed (%s); reading back", len(pending), exc)
            time.sleep(settings.backoff_seconds * 2 ** (attempt - 1))
            if exc.maybe_applied:
                pending = _not_yet_held(hook, pending, period)
                if not pending:
                    log.info("The lost insert had been applied; nothing to resend")
                    return len(chunk)
    return len(chunk)


def _not_yet_held(
    hook: NmbrsHook, inserts: Sequence[Insert], period: PayrollPeriod
) -> list[Insert]:
    """The inserts Nmbrs has not applied yet, read back from Nmbrs.

    A plain insert: Nmbrs holds no component of its (employee, hour code); the plan removed
    every one before inserting, so one now present can only come from this very insert. A
    correction: the code's total in Nmbrs is still ``held_before`` (at ``held_before + hours``
    it was applied; any other total means someone else changed it, and nothing is resent).
    """
    employees = sorted({i.employee_id for i in inserts})
    found = hook.map_concurrently(lambda e: hook.get_hour_components(e, period), employees)
    totals: dict[tuple[int, int], Decimal] = {}
    for employee_id, components in zip(employees, found, strict=True):
        for c in components:
            key = (employee_id, c.hour_code)
            totals[key] = totals.get(key, Decimal(0)) + c.hours
    pending = []
    for i in inserts:
        total = totals.get((i.employee_id, i.hour_code))
        if i.held_before is None:
            if total is None:
                pending.append(i)
        elif round_hours(total or 0) == i.held_before:
            pending.append(i)
        elif round_hours(total or 0) != i.held_before + i.hours:
            raise NmbrsError(
                f"Employee {i.employee_id}, hour code {i.hour_code}: after a lost answer Nmbrs "
                f"holds {round_hours(total or 0)} h in {period}, neither the {i.held_before} h "
                f"before the correction of {i.hours:+} h nor the total after it; something "
                "else changed it meanwhile. Nothing was resent: run the period again."
            )
    return pending
