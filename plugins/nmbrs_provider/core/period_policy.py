"""What a run may write, given its period and the company's current period in Nmbrs."""

from __future__ import annotations

from dataclasses import dataclass

from .periods import PayrollPeriod

WRITE, RETRO, SKIP = "write", "retro", "skip"


class PastPeriodError(ValueError):
    """The period is before the company's current period and the policy is ``fail``."""


class FuturePeriodError(ValueError):
    """Nmbrs has not reached the period yet."""


class PeriodTypeMismatch(ValueError):
    """The run's period type is not the company's."""


@dataclass(frozen=True)
class PeriodDecision:
    """``action`` is write (current period), retro (past, UnprotectedMode) or skip."""

    action: str
    period: PayrollPeriod
    current: PayrollPeriod
    reason: str

    @property
    def unprotected(self) -> bool:
        """Whether writes need Nmbrs' UnprotectedMode."""
        return self.action == RETRO


def decide_period(
    company_id: int, period: PayrollPeriod, current: PayrollPeriod, policy: str
) -> PeriodDecision:
    """Apply the past-period policy (``fail``, ``retro`` or ``skip``)."""
    if period.type != current.type:
        raise PeriodTypeMismatch(
            f"Company {company_id} has {current.type.name.lower()} periods in Nmbrs "
            f"(current {current}), but the run asks for {period}: set period_type "
            f"{current.type.value} for it in the config or run the DAG of that type."
        )
    if period == current:
        return PeriodDecision(WRITE, period, current, f"{period} is the current period")
    if period > current:
        raise FuturePeriodError(
            f"Company {company_id}: Nmbrs is still in period {current}; {period} cannot be "
            "written yet. Run it again once Nmbrs has moved on (after the payroll run of "
            f"{current})."
        )
    if policy == SKIP:
        return PeriodDecision(SKIP, period, current, f"{period} is before current {current}")
    if policy == RETRO:
        return PeriodDecision(
            RETRO,
            period,
            current,
            f"{period} is before current {current}: writing a retroactive correction "
            "(UnprotectedMode), processed in Nmbrs' next payroll run",
        )
    raise PastPeriodError(
        f"Company {company_id}: period {period} is before Nmbrs' current period {current} and "
        "past_period_policy is 'fail'. To correct it anyway as a retroactive correction, set "
        "past_period_policy: retro; to leave closed periods alone, set skip; or run the "
        f"current period ({current})."
    )
