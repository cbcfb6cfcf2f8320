"""Exclusion reasons and the bookkeeping that gives every excluded hour exactly one reason.

An excluded row keeps its input columns and gains ``company_id`` (nullable: unknown when the
row was excluded before a company could be determined), ``reason`` (a stable snake_case code
from :data:`REASONS`) and ``detail`` (human text).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .ids import nullable_ids

__all__ = [
    "EXCLUSION_COLUMNS",
    "REASONS",
    "Exclusions",
    "Reason",
    "empty_exclusions",
    "summarise_exclusions",
]

EXCLUSION_COLUMNS = ("company_id", "reason", "detail")


class Reason:
    """Stable exclusion reason codes, in the order they are checked."""

    OTHER_RUN = "other_run"
    OUTSIDE_PERIOD = "outside_period"
    ONGOING = "ongoing"
    MISSING_HOURS = "missing_hours"
    NEGATIVE_HOURS = "negative_hours"
    ZERO_HOURS = "zero_hours"
    BREAK = "break"
    MORE_THAN_24_HOURS_IN_A_DAY = "more_than_24_hours_in_a_day"
    UNROUTED = "unrouted"
    AMBIGUOUS_ROUTE = "ambiguous_route"
    NOT_APPROVED = "not_approved"
    PURPOSE_NOT_MAPPED = "purpose_not_mapped"
    USER_WITHOUT_CODE = "user_without_code"
    DUPLICATE_USER_CODE = "duplicate_user_code"
    NO_MATCHING_EMPLOYEE = "no_matching_employee"
    AMBIGUOUS_EMPLOYEE = "ambiguous_employee"
    OUTSIDE_EMPLOYMENT = "outside_employment"
    FIXED_HOUR_CONTRACT = "fixed_hour_contract"
    DISPUTED_CONTRACT = "disputed_contract"
    UNKNOWN_CONTRACT = "unknown_contract"
    HOUR_CODE_NOT_IN_HOUR_MODEL = "hour_code_not_in_hour_model"


REASONS: dict[str, str] = {
    Reason.OTHER_RUN: "routed to a company of another period type or outside this run",
    Reason.OUTSIDE_PERIOD: "date outside the payroll period",
    Reason.ONGOING: "timer still running in Keeping",
    Reason.MISSING_HOURS: "entry without hours",
    Reason.NEGATIVE_HOURS: "negative hours",
    Reason.ZERO_HOURS: "recorded with 0 hours (nothing to pay)",
    Reason.BREAK: "breaks are never paid",
    Reason.MORE_THAN_24_HOURS_IN_A_DAY: "more than 24 hours on one day: whole day held back",
    Reason.UNROUTED: "no company rule matches and there is no default company",
    Reason.AMBIGUOUS_ROUTE: "two companies match at the same, most specific level",
    Reason.NOT_APPROVED: "not approved while approved_only is on",
    Reason.PURPOSE_NOT_MAPPED: "purpose has no hour code",
    Reason.USER_WITHOUT_CODE: "Keeping user has no user code (personnel number)",
    Reason.DUPLICATE_USER_CODE: "several Keeping users of one organisation share the user code",
    Reason.NO_MATCHING_EMPLOYEE: "no employee with that personnel number in the company",
    Reason.AMBIGUOUS_EMPLOYEE: "several employees of the company share the personnel number",
    Reason.OUTSIDE_EMPLOYMENT: "date outside the employment",
    Reason.FIXED_HOUR_CONTRACT: "fixed-hour contract: sending would pay twice",
    Reason.DISPUTED_CONTRACT: "contract signals disagree: add a contract override",
    Reason.UNKNOWN_CONTRACT: "contract cannot be determined: add a contract override",
    Reason.HOUR_CODE_NOT_IN_HOUR_MODEL: "hour code not in the company's hour model",
}

Detail = str | Callable[[pd.DataFrame], "pd.Series | str"]


class Exclusions:
    """Gives rows of ``frame`` their first applicable exclusion reason.

    ``exclude`` only touches rows that have no reason yet, so the order of calls is the order
    of precedence. ``split`` returns the kept rows and the excluded rows; together they are
    exactly the input rows.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame.reset_index(drop=True)
        size = len(self.frame)
        self._reason = np.full(size, None, dtype=object)
        self._detail = np.full(size, None, dtype=object)

    @property
    def pending(self) -> np.ndarray:
        """Boolean mask of rows without a reason so far."""
        return pd.isna(self._reason)

    def exclude(
        self,
        mask: pd.Series | np.ndarray,
        reason: str,
        detail: Detail,
    ) -> int:
        """Exclude pending rows where ``mask`` holds; return how many were excluded.

        ``mask`` is aligned with the frame by position; ``detail`` is a text or a function of
        the affected rows returning one text per row.
        """
        if reason not in REASONS:
            raise ValueError(f"unknown exclusion reason {reason!r}")
        flags = pd.Series(np.asarray(mask)).astype("boolean").fillna(False)
        hit = flags.to_numpy(dtype=bool) & self.pending
        if not hit.any():
            return 0
        rows = self.frame.loc[hit]
        text = detail(rows) if callable(detail) else detail
        self._reason[hit] = reason
        self._detail[hit] = np.asarray(text, dtype=object) if not isinstance(text, str) else text
        return int(hit.sum())

    def split(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(kept rows, excluded rows with ``company_id``, ``reason``, ``detail``).

        The excluded rows keep the frame's ``company_id`` (nullable) or get an empty one.
        """
        pending = self.pending
        kept = self.frame.loc[pending].reset_index(drop=True)
        excluded = self.frame.loc[~pending].copy()
        if "company_id" in excluded.columns:
            excluded["company_id"] = nullable_ids(excluded["company_id"])
        else:
            excluded["company_id"] = pd.array([pd.NA] * len(excluded), dtype="Int64")
        excluded["reason"] = pd.Series(self._reason[~pending], index=excluded.index, dtype=object)
        excluded["detail"] = pd.Series(self._detail[~pending], index=excluded.index, dtype=object)
        return kept, excluded.reset_index(drop=True)


def empty_exclusions(columns: list[str] | pd.Index) -> pd.DataFrame:
    """An empty excluded frame with ``columns`` plus the exclusion columns."""
    cols = [c for c in columns if c not in EXCLUSION_COLUMNS]
    frame = pd.DataFrame(columns=[*cols, *EXCLUSION_COLUMNS])
    frame["company_id"] = frame["company_id"].astype("Int64")
    return frame


def summarise_exclusions(excluded: pd.DataFrame) -> pd.DataFrame:
    """Excluded hours per company and reason: ``company_id``, ``reason``, ``description``,
    ``rows``, ``users``, ``hours``; largest hours first."""
    if excluded.empty:
        return pd.DataFrame(
            {
                "company_id": pd.array([], dtype="Int64"),
                "reason": pd.Series([], dtype=object),
                "description": pd.Series([], dtype=object),
                "rows": pd.Series([], dtype="int64"),
                "users": pd.Series([], dtype="int64"),
                "hours": pd.Series([], dtype="float64"),
            }
        )
    grouped = (
        excluded.assign(hours=excluded["hours"].fillna(0.0))
        .groupby(["company_id", "reason"], dropna=False, sort=True)
        .agg(rows=("reason", "size"), users=("user_id", "nunique"), hours=("hours", "sum"))
        .reset_index()
    )
    grouped.insert(2, "description", grouped["reason"].map(REASONS))
    return grouped.sort_values(["hours", "rows"], ascending=False, kind="stable").reset_index(
        drop=True
    )
