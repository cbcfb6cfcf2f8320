"""Write a company plan to Nmbrs without ever doubling an hour, then verify it."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import CompanyPlan, Insert, verify
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
    """Delete, clear, insert and set days as planned; read back and verify.

    Deletes, clears and days are idempotent and retried by the hook. A batch insert whose answer
    was lost is never resent blindly: the employees of the batch are read back first and only
    the components Nmbrs does not hold yet are sent again.
    """
    settings = settings or LoadSettings()
    result = LoadResult()
    for delete in plan.deletes:
        _delete(hook, delete.employee_id, delete.component_id, period)
        result.deleted += 1
    for employee_id in plan.clears:
        hook.clear_current_hour_components(employee_id)
        result.cleared += 1
    for chunk in plan.chunks(settings.chunk_size):
        result.inserted += _insert_chunk(hook, chunk, period, unprotected, settings)
    days = [DaysWorked(d.employee_id, d.days) for d in plan.days]
    if days:
        result.days_set = hook.set_days_worked(
            days, period, unprotected=unprotected, chunk_size=settings.chunk_size
        )
    # Read back and verify the employees written to; the others were found matching already.
    written = dataclasses.replace(plan, employees=plan.changed)
    result.read_back = read_holdings(hook, [e.employee_id for e in written.employees], period)
    problems = verify(written, result.read_back.components, result.read_back.days)
    if problems:
        raise VerificationError(
            f"Company {plan.company_id}, period {period}: Nmbrs does not hold what was sent:\n- "
            + "\n- ".join(problems[:20])
        )
    return result


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
    """Inserts whose (employee, hour code) Nmbrs holds no component of.

    Before inserting, the plan removed every component of an inserted code, so a component of
    that code now present can only come from this very insert.
    """
    employees = {i.employee_id for i in inserts}
    held = {(e, c.hour_code) for e in employees for c in hook.get_hour_components(e, period)}
    return [i for i in inserts if (i.employee_id, i.hour_code) not in held]
