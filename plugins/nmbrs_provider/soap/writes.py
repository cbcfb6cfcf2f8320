"""The SOAP backend's writes: a change set as deletes, batch inserts and days, never doubling.

SOAP has no update: a code change deletes every component the employee holds of the code
(``HourComponent_Delete``, one call each, side by side) and inserts one with the new hours
(``HourComponentVar_Insert_Batch``); a correction only inserts the difference. Days worked go
out in ``DaysVar_Set_Batch`` beside the inserts. Inserts and days are cut into batches of the
hook's ``batch_size`` here, and only here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from nmbrs_provider.core.batching import chunked
from nmbrs_provider.core.holdings import (
    ChangeSet,
    CodeChange,
    EmployeeId,
    HourComponent,
    LostAdd,
    WriteCounts,
    lost_add_state,
)
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.exceptions import NmbrsError, NmbrsTransientError

if TYPE_CHECKING:
    from nmbrs_provider.hooks.nmbrs import NmbrsHook

log = logging.getLogger(__name__)

Addition = tuple[EmployeeId, CodeChange]


def apply_changes(hook: NmbrsHook, changes: ChangeSet) -> WriteCounts:
    """Delete, insert and set days as ``changes`` asks (see the module docstring).

    Deletes and days are idempotent and retried by the client. A batch insert whose answer
    was lost is never resent blindly: the employees of the batch are read back first and only
    the components Nmbrs does not hold yet are sent again.
    """
    period, unprotected = changes.period, changes.unprotected
    deletes = [
        (e.employee_id, held)
        for e in changes.employees
        for c in e.codes
        if not c.correction
        for held in c.held
    ]
    hook.map_concurrently(lambda d: _delete(hook, d[0], d[1].id, period), deletes)
    additions: list[Addition] = [
        (e.employee_id, c)
        for e in changes.employees
        for c in e.codes
        if (c.difference if c.correction else c.hours)
    ]
    days = {e.employee_id: e.days for e in changes.employees if e.days is not None}
    batch = hook.batch_size

    def insert_all() -> None:
        for chunk in chunked(additions, batch):
            _insert_chunk(hook, chunk, period, unprotected)

    def set_days() -> None:
        for chunk in chunked(list(days.items()), batch):
            hook.set_days_worked(dict(chunk), period, unprotected=unprotected)

    # Days worked do not depend on the components: both go out side by side.
    hook.map_concurrently(lambda write: write(), [insert_all, set_days])
    return WriteCounts(removed=len(deletes), added=len(additions), days_set=len(days))


def _component(change: CodeChange) -> HourComponent:
    """The component an addition inserts (Nmbrs assigns the id)."""
    hours = change.difference if change.correction else change.hours
    return HourComponent(0, change.hour_code, hours, change.comment)


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
    hook: NmbrsHook, chunk: Sequence[Addition], period: PayrollPeriod, unprotected: bool
) -> None:
    pending = list(chunk)
    for attempt in range(1, hook.insert_attempts + 1):
        try:
            hook.insert_hour_components(
                [(e, _component(c)) for e, c in pending], period, unprotected=unprotected
            )
            return
        except NmbrsTransientError as exc:
            if attempt == hook.insert_attempts:
                raise
            log.warning("Insert of %d components failed (%s); reading back", len(pending), exc)
            time.sleep(hook.backoff_seconds * 2 ** (attempt - 1))
            if exc.maybe_applied:
                pending = _not_yet_held(hook, pending, period)
                if not pending:
                    log.info("The lost insert had been applied; nothing to resend")
                    return


def _not_yet_held(
    hook: NmbrsHook, additions: Sequence[Addition], period: PayrollPeriod
) -> list[Addition]:
    """The additions Nmbrs has not applied yet, read back from Nmbrs (:func:`lost_add_state`);
    a correction whose code someone else changed meanwhile stops the run, sending nothing."""
    employees = sorted({e for e, _ in additions})
    found = hook.map_concurrently(lambda e: hook.get_hour_components(e, period), employees)
    now = dict(zip(employees, found, strict=True))
    pending = []
    for employee_id, change in additions:
        state = lost_add_state(change, now[employee_id])
        if state is LostAdd.PENDING:
            pending.append((employee_id, change))
        elif state is LostAdd.CONFLICT:
            total = sum((c.hours for c in now[employee_id] if c.hour_code == change.hour_code),
                        Decimal(0))  # fmt: skip
            raise NmbrsError(
                f"Employee {employee_id}, hour code {change.hour_code}: after a lost answer "
                f"Nmbrs holds {total} h in {period}, neither the {change.held_hours} h before "
                f"the correction of {change.difference:+} h nor the total after it; something "
                "else changed it meanwhile. Nothing was resent: run the period again."
            )
    return pending
