"""The REST backend's writes: a change set in the fewest calls, never doubling an hour.

Per hour code that changes (one employee and one component per call; the API has no batch):

* a replacement with a target above 0 and components held: ``PUT`` one held component to the
  target (skipped when one already is exactly that) and ``DELETE`` the others;
* a replacement to 0: ``DELETE`` every held component;
* a replacement with nothing held: ``POST`` one component;
* a correction (a closed period): ``POST`` the difference.

Days worked: ``POST .../variabledays`` (it overwrites), only for employees whose days change.
Every write carries ``periodDetails {period, unprotectedMode}``. ``PUT``, ``DELETE`` and days set
a value and are retried by the client; a ``POST`` whose answer was lost is sent again only
after the employee's components were read back and show it missing
(:func:`~nmbrs_provider.core.holdings.lost_add_state`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nmbrs_provider.core.holdings import (
    ChangeSet,
    CodeChange,
    EmployeeChange,
    EmployeeId,
    HourComponent,
    LostAdd,
    WriteCounts,
    lost_add_state,
)
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.exceptions import NmbrsError, NmbrsTransientError
from nmbrs_provider.rest.company_read import employee_path, read_components

if TYPE_CHECKING:
    from nmbrs_provider.hooks.nmbrs_rest import NmbrsRestHook

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Writer:
    hook: NmbrsRestHook
    period: PayrollPeriod
    unprotected: bool

    @property
    def details(self) -> dict[str, Any]:
        return {
            "period": {"year": self.period.year, "period": self.period.number},
            "unprotectedMode": self.unprotected,
        }

    def employee(self, change: EmployeeChange) -> WriteCounts:
        removed = updated = added = 0
        for code in change.codes:
            r, u, a = self.code(change.employee_id, code)
            removed, updated, added = removed + r, updated + u, added + a
        days_set = 0
        if change.days is not None:
            self.hook.calls.call(
                "CreateVariableWorkedDays",
                "POST",
                f"{employee_path(change.employee_id)}/variabledays",
                json={"days": int(change.days), "periodDetails": self.details},
            )
            days_set = 1
        return WriteCounts(removed, updated, added, days_set)

    def code(self, employee_id: EmployeeId, change: CodeChange) -> tuple[int, int, int]:
        """Removed, updated and added components for one hour code."""
        if change.correction:
            if not change.difference:
                return 0, 0, 0
            self.create(employee_id, change, change.difference)
            return 0, 0, 1
        if not change.hours:
            for held in change.held:
                self.delete(employee_id, held)
            return len(change.held), 0, 0
        if not change.held:
            self.create(employee_id, change, change.hours)
            return 0, 0, 1
        keep = next((h for h in change.held if h.hours == change.hours), change.held[0])
        updated = 0
        if keep.hours != change.hours or (keep.comment or "") != (change.comment or ""):
            self.hook.calls.call(
                "updateEmployeeVariableHours",
                "PUT",
                f"{employee_path(employee_id)}/variablehours",
                json={
                    "hourComponentId": str(keep.id),
                    "hourCode": change.hour_code,
                    "hours": float(change.hours),
                    "comment": change.comment,
                    "periodDetails": self.details,
                },
            )
            updated = 1
        others = [h for h in change.held if h is not keep]
        for held in others:
            self.delete(employee_id, held)
        return len(others), updated, 0

    def delete(self, employee_id: EmployeeId, held: HourComponent) -> None:
        try:
            self.hook.calls.call(
                "deleteEmployeeHours", "DELETE", f"{employee_path(employee_id)}/hours/{held.id}"
            )
        except NmbrsError as exc:
            # A retried delete whose first answer was lost finds nothing left to delete.
            if held.id in {c.id for c in read_components(self.hook, employee_id, self.period)}:
                raise
            log.info("Component %s of employee %s already gone (%s)", held.id, employee_id, exc)

    def create(self, employee_id: EmployeeId, change: CodeChange, hours: Decimal) -> None:
        """``POST`` one component; after a lost answer read back before anything is resent."""
        body = {
            "hourCode": change.hour_code,
            "hours": float(hours),
            "comment": change.comment,
            "periodDetails": self.details,
        }
        hook = self.hook
        for attempt in range(1, hook.write_attempts + 1):
            try:
                hook.calls.call(
                    "createVariableHourComponent",
                    "POST",
                    f"{employee_path(employee_id)}/variablehours",
                    json=body,
                    retry_lost=False,
                )
                return
            except NmbrsTransientError as exc:
                if attempt == hook.write_attempts:
                    raise
                log.warning(
                    "Creating hour code %s for employee %s failed (%s); reading back",
                    change.hour_code, employee_id, exc,
                )  # fmt: skip
                time.sleep(hook.backoff_seconds * 2 ** (attempt - 1))
                if not exc.maybe_applied:
                    continue
                now = read_components(hook, employee_id, self.period)
                state = lost_add_state(change, now)
                if state is LostAdd.APPLIED:
                    log.info("The lost create had been applied; nothing to resend")
                    return
                if state is LostAdd.CONFLICT:
                    raise NmbrsError(
                        f"Employee {employee_id}, hour code {change.hour_code}: after a lost "
                        f"answer Nmbrs holds neither the {change.held_hours} h before the "
                        f"correction of {change.difference:+} h nor the total after it in "
                        f"{self.period}; something else changed it. Nothing was resent: run "
                        "the period again."
                    ) from None


def apply_changes(hook: NmbrsRestHook, changes: ChangeSet) -> WriteCounts:
    """Write ``changes`` (see the module docstring); employees side by side, each employee's
    calls one after another."""
    writer = _Writer(hook, changes.period, changes.unprotected)
    counts = hook.map_concurrently(writer.employee, changes.employees)
    return WriteCounts(
        removed=sum(c.removed for c in counts),
        updated=sum(c.updated for c in counts),
        added=sum(c.added for c in counts),
        days_set=sum(c.days_set for c in counts),
    )
