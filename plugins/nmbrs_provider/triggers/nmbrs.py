"""Triggers that wait on Nmbrs without holding a worker slot."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


class NmbrsCurrentPeriodTrigger(BaseTrigger):
    """Fire once a company's current period in Nmbrs has reached ``period``.

    Polls ``Company_GetCurrentPeriod`` every ``poll_interval`` seconds. At ``deadline`` (an ISO
    timestamp) it fires with status ``timeout`` so the task can fail with a clear message.
    """

    def __init__(
        self,
        *,
        nmbrs_conn_id: str,
        company_id: int,
        period: str,
        deadline: str,
        poll_interval: float = 300.0,
    ) -> None:
        super().__init__()
        self.nmbrs_conn_id = nmbrs_conn_id
        self.company_id = company_id
        self.period = period
        self.deadline = deadline
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and arguments, as the triggerer stores them."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "nmbrs_conn_id": self.nmbrs_conn_id,
                "company_id": self.company_id,
                "period": self.period,
                "deadline": self.deadline,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until Nmbrs reaches the period or the deadline passes."""
        from nmbrs_provider.backends import backend_for
        from nmbrs_provider.core.periods import PayrollPeriod

        wanted = PayrollPeriod.parse(self.period)
        deadline = dt.datetime.fromisoformat(self.deadline)
        hook = await asyncio.to_thread(backend_for, self.nmbrs_conn_id)
        while True:
            current = await asyncio.to_thread(hook.get_current_period, self.company_id)
            event = {"company_id": self.company_id, "period": self.period, "current": str(current)}
            if current >= wanted:
                yield TriggerEvent({**event, "status": "reached"})
                return
            if dt.datetime.now(dt.timezone.utc) >= deadline:
                yield TriggerEvent({**event, "status": "timeout"})
                return
            self.log.info(
                "Company %s: Nmbrs is in %s, waiting for %s", self.company_id, current, wanted
            )
            await asyncio.sleep(self.poll_interval)
