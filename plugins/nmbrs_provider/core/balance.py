"""Every hour read is either sent or excluded: the check that closes each company's run."""

from __future__ import annotations

__all__ = ["BalanceError", "check_balance"]


class BalanceError(ValueError):
    """Hours read do not equal hours sent plus hours excluded."""

    def __init__(self, hours_read: float, hours_sent: float, hours_excluded: float, gap: float):
        self.hours_read = hours_read
        self.hours_sent = hours_sent
        self.hours_excluded = hours_excluded
        self.gap = gap
        super().__init__(
            f"hours do not balance: read {hours_read:.2f} h, sent {hours_sent:.2f} h, "
            f"excluded {hours_excluded:.2f} h; {gap:+.2f} h unaccounted for"
        )


def check_balance(
    hours_read: float,
    hours_sent: float,
    hours_excluded: float,
    *,
    rounding: float = 0.0,
    tolerance: float = 0.005,
) -> None:
    """Raise :class:`BalanceError` unless ``hours_read + rounding`` equals ``hours_sent +
    hours_excluded`` within ``tolerance``. ``rounding`` is the planned rounding difference
    (:attr:`~nmbrs_provider.core.planning.CompanyPlan.rounding`), so rounding to cents is not
    mistaken for lost hours."""
    gap = float(hours_read) + float(rounding) - float(hours_sent) - float(hours_excluded)
    if abs(gap) > tolerance:
        raise BalanceError(float(hours_read), float(hours_sent), float(hours_excluded), gap)
