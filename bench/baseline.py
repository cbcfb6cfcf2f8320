"""The naive client the project is compared with.

Sequential, one employee at a time, one call per thing: for every flexible employee
``HourComponentVar_Get``, ``HourComponentVar_ClearCurrent``, one single-item
``HourComponentVar_Insert_Batch`` per component, and one single-item ``DaysVar_Set_Batch``.

It is given the flexible employees by the generator: it reads no contracts, plans nothing and
verifies nothing, so its call count is a lower bound for a per-employee client.
"""

from __future__ import annotations

from bench.scenario import HOUR_CODE, BenchScenario
from nmbrs_provider.core.holdings import HourComponent
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.hooks.nmbrs import NmbrsHook


def run_baseline(conn_id: str, bench: BenchScenario, period: PayrollPeriod) -> int:
    """Write every flexible employee's desired state; return the employees handled."""
    hook = NmbrsHook(conn_id)
    comment = f"Keeping {period}"
    handled = 0
    for company_id in bench.company_ids:
        for employee_id in bench.flexible[company_id]:
            hours, days = bench.desired[employee_id]
            hook.get_hour_components(employee_id, period)
            hook.client.call(
                "EmployeeService", "HourComponentVar_ClearCurrent", EmployeeId=employee_id
            )
            if hours > 0:
                component = HourComponent(0, HOUR_CODE, hours, comment)
                hook.insert_hour_components([(employee_id, component)], period)
            hook.set_days_worked({employee_id: days}, period)
            handled += 1
    return handled
