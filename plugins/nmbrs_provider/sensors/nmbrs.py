"""Sensors that wait on Nmbrs: for a company's payroll to move to a given period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowSensorTimeout

if TYPE_CHECKING:
    from airflow.sdk import Context


class NmbrsPeriodSensor(BaseSensorOperator):
    """Wait until a company's current period in Nmbrs has reached ``period``.

    Nmbrs moves a company to its next period when the payroll administrator processes the run
    of the current one, so this tells a DAG that a period has closed in Nmbrs (for example
    before sending hours of the next one, or before reporting on a closed period).

    :param company_id: the Nmbrs company id.
    :param period: the period to wait for, e.g. ``2026-12-M`` (templated); a current period of
        a later period of the same type also counts as reached.
    :param nmbrs_conn_id: the company's ``nmbrs`` connection.
    :param deferrable: wait in the triggerer (default), holding no worker slot; ``False`` pokes
        from the worker every ``poke_interval`` seconds (or reschedules, with
        ``mode="reschedule"``).

    The sensor fails at ``timeout`` seconds (BaseSensorOperator's, default 7 days) naming the
    period Nmbrs is still in. It returns that current period, e.g. ``"2027-1-M"``.
    """

    template_fields: Sequence[str] = ("company_id", "period")
    ui_color = "#fdf1e8"

    def __init__(
        self,
        *,
        company_id: Any,
        period: Any,
        nmbrs_conn_id: str = "nmbrs_default",
        deferrable: bool = True,
        poke_interval: float = 300.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        self.company_id = company_id
        self.period = period
        self.nmbrs_conn_id = nmbrs_conn_id
        self.deferrable = deferrable
        self._current: str | None = None

    def _wanted(self):
        from nmbrs_provider.core.periods import PayrollPeriod

        return PayrollPeriod.parse(str(self.period))

    def poke(self, context: Context) -> bool:
        """Whether Nmbrs' current period of the company is at or past ``period``."""
        from nmbrs_provider.backends import as_company_id, backend_for

        wanted = self._wanted()
        current = backend_for(self.nmbrs_conn_id).get_current_period(as_company_id(self.company_id))
        if current.type != wanted.type:
            raise ValueError(
                f"Company {self.company_id} has {current.type} periods in Nmbrs (now {current}); "
                f"cannot wait for the {wanted.type} period {wanted}"
            )
        self._current = str(current)
        if current >= wanted:
            self.log.info(
                "Company %s: Nmbrs is in %s, at or past %s", self.company_id, current, wanted
            )
            return True
        self.log.info(
            "Company %s: Nmbrs is in %s, waiting for %s", self.company_id, current, wanted
        )
        return False

    def execute(self, context: Context) -> str | None:
        if not self.deferrable:
            super().execute(context)
            return self._current
        if self.poke(context):
            return self._current
        from nmbrs_provider.triggers.nmbrs import NmbrsCurrentPeriodTrigger

        timeout = dt.timedelta(seconds=float(self.timeout))
        self.defer(
            trigger=NmbrsCurrentPeriodTrigger(
                nmbrs_conn_id=self.nmbrs_conn_id,
                company_id=int(self.company_id),
                period=str(self._wanted()),
                deadline=(dt.datetime.now(dt.timezone.utc) + timeout).isoformat(),
                poll_interval=float(self.poke_interval),
            ),
            method_name="execute_complete",
            timeout=timeout + dt.timedelta(minutes=10),
        )
        return None  # not reached: defer raises

    def execute_complete(self, context: Context, event: dict[str, Any]) -> str:
        """Resume in the worker once the trigger fired."""
        if event["status"] != "reached":
            raise AirflowSensorTimeout(
                f"Company {event['company_id']}: Nmbrs is still in {event['current']}, not in "
                f"{event['period']}, after {dt.timedelta(seconds=float(self.timeout))}"
            )
        self.log.info("Nmbrs reached %s (current %s)", event["period"], event["current"])
        return event["current"]
