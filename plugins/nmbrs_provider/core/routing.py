"""Route Keeping hours to Nmbrs companies and exclude what must not be paid, with a reason.

Input is the warehouse frame (:data:`HOURS_COLUMNS`), one row per (organisation, user, date,
purpose, project, task, approval status, entry state). Every row ends up in exactly one of
``RoutingResult.routed`` (with ``company_id`` and ``hour_code``) or ``RoutingResult.excluded``
(with ``company_id`` when known, ``hour_code`` when known, ``reason``, ``detail``).

A row's company is decided by the most specific selector that matches it: task > project >
user > organisation > the default company. Checks, in order (the first that applies is the
row's reason): ``other_run``, ``outside_period``, ``ongoing`` / ``missing_hours`` /
``negative_hours`` / ``zero_hours``, ``break``, ``more_than_24_hours_in_a_day``,
``unrouted`` / ``ambiguous_route``, ``not_approved``, ``purpose_not_mapped``,
``user_without_code``, ``duplicate_user_code`` (:mod:`.user_codes`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import SyncConfig
from .exclusions import Exclusions, Reason
from .hour_codes import assign_hour_codes
from .ids import company_dtype, id_key
from .periods import PayrollPeriod
from .routing_checks import (
    exclude_entry_states,
    exclude_long_days,
    not_approved_detail,
    other_run,
    outside_period,
    purpose_detail,
    unrouted_detail,
)
from .user_codes import blank_user_codes, no_code_detail, shared_user_codes

__all__ = [
    "ENTRY_STATES",
    "HOURS_COLUMNS",
    "RoutingError",
    "RoutingResult",
    "normalise_hours",
    "route_hours",
]

HOURS_COLUMNS = (
    "organisation_id",
    "user_id",
    "user_code",
    "user_name",
    "user_state",
    "work_date",
    "purpose",
    "project_id",
    "task_id",
    "approval_status",
    "entry_state",
    "hours",
    "entries",
)
ENTRY_STATES = ("ok", "ongoing", "missing_hours", "negative_hours", "zero_hours")
_LEVELS = (
    ("tasks", "task_id", "task"),
    ("projects", "project_id", "project"),
    ("users", "user_id", "user"),
    ("organisations", "organisation_id", "organisation"),
)
_ERROR_LINES = 20


class RoutingError(ValueError):
    """Hours that a ``fail`` routing policy does not allow; ``offending`` has them per user."""

    def __init__(self, offending: pd.DataFrame) -> None:
        self.offending = offending
        total = float(offending["hours"].sum())
        lines = [
            f"  {row.reason}: user {row.user_id} {row.user_name} (organisation "
            f"{row.organisation_id}): {row.hours:.2f} h in {row.rows} rows - {row.detail}"
            for row in offending.head(_ERROR_LINES).itertuples()
        ]
        if len(offending) > _ERROR_LINES:
            lines.append(f"  ... and {len(offending) - _ERROR_LINES} more users")
        super().__init__(
            f"{total:.2f} hours of {offending['user_id'].nunique()} users cannot be sent "
            "and the routing policy is 'fail' (set routing.unmatched / routing.ambiguous to "
            "'exclude' to send the rest):\n" + "\n".join(lines)
        )


@dataclass(frozen=True)
class RoutingResult:
    """Routed and excluded rows of one run; ``hours_in`` is the total of the input rows."""

    routed: pd.DataFrame
    excluded: pd.DataFrame
    company_ids: tuple[int, ...]
    hours_in: float
    rows_in: int

    @property
    def hours_routed(self) -> float:
        return float(self.routed["hours"].sum())

    @property
    def hours_excluded(self) -> float:
        return float(self.excluded["hours"].fillna(0.0).sum())

    def for_company(self, company_id: int) -> pd.DataFrame:
        """Routed rows of ``company_id``."""
        return self.routed.loc[self.routed["company_id"] == company_id].reset_index(drop=True)

    def excluded_for(self, company_id: int) -> pd.DataFrame:
        """Excluded rows whose company is ``company_id``."""
        mask = self.excluded["company_id"].eq(company_id).fillna(False).to_numpy(dtype=bool)
        return self.excluded.loc[mask].reset_index(drop=True)

    def check(self) -> None:
        """Raise ValueError unless routed + excluded rows and hours equal the input."""
        if len(self.routed) + len(self.excluded) != self.rows_in:
            raise ValueError(
                f"routing lost rows: {self.rows_in} in, {len(self.routed)} routed, "
                f"{len(self.excluded)} excluded"
            )
        if abs(self.hours_in - self.hours_routed - self.hours_excluded) > 0.005:
            raise ValueError(
                f"routing lost hours: {self.hours_in:.2f} in, {self.hours_routed:.2f} routed, "
                f"{self.hours_excluded:.2f} excluded"
            )


def normalise_hours(hours: pd.DataFrame) -> pd.DataFrame:
    """Validate the warehouse frame and give its columns predictable dtypes (copy).

    ``work_date`` becomes datetime64[ns], ids int64 (``project_id``/``task_id`` Int64),
    ``hours`` float64 (NaN kept: it becomes ``missing_hours``).
    """
    missing = [c for c in HOURS_COLUMNS if c not in hours.columns]
    if missing:
        raise ValueError(f"hours frame lacks columns {missing}; expected {HOURS_COLUMNS}")
    out = hours.reset_index(drop=True).copy()
    problems = []
    for col in ("organisation_id", "user_id"):
        if out[col].isna().any():
            problems.append(f"{col} has {int(out[col].isna().sum())} empty values")
    if out["work_date"].isna().any():
        problems.append(f"work_date has {int(out['work_date'].isna().sum())} empty values")
    unknown = sorted(set(out["entry_state"].dropna().unique()) - set(ENTRY_STATES))
    if out["entry_state"].isna().any():
        unknown.append("<empty>")
    if unknown:
        problems.append(f"entry_state has unknown values {unknown}; expected {ENTRY_STATES}")
    if problems:
        raise ValueError("hours frame is invalid: " + "; ".join(problems))
    out["organisation_id"] = out["organisation_id"].astype("int64")
    out["user_id"] = out["user_id"].astype("int64")
    out["project_id"] = pd.to_numeric(out["project_id"]).astype("Int64")
    out["task_id"] = pd.to_numeric(out["task_id"]).astype("Int64")
    try:
        dates = pd.to_datetime(out["work_date"])
        hours_values = pd.to_numeric(out["hours"]).astype("float64")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"hours frame is invalid: work_date or hours unreadable ({exc})") from None
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        raise ValueError(
            "hours frame is invalid: work_date must be calendar dates as the warehouse records "
            "them, got timezone-aware timestamps; convert them to local dates first"
        )
    if not np.isfinite(hours_values.fillna(0.0)).all():
        raise ValueError("hours frame is invalid: hours holds infinite values")
    out["work_date"] = dates.astype("datetime64[ns]").dt.normalize()
    out["hours"] = hours_values
    out["entries"] = pd.to_numeric(out["entries"]).fillna(0).astype("int64")
    return out


def route_hours(
    hours: pd.DataFrame,
    config: SyncConfig,
    *,
    period: PayrollPeriod | None = None,
    company_ids: Collection[int] | None = None,
) -> RoutingResult:
    """Route ``hours`` to the companies of this run and exclude the rest with reasons.

    The run's companies are ``company_ids`` if given, else the companies of ``period``'s type,
    else all configured companies. Rows routed to other configured companies are excluded as
    ``other_run``. With ``period`` given, dates outside it are excluded as ``outside_period``.
    Raises :class:`RoutingError` when ``routing.unmatched`` / ``routing.ambiguous`` is ``fail``
    and such rows (for ``ambiguous`` also rows of users sharing a code) would otherwise be sent.
    """
    frame = normalise_hours(hours)
    run = _run_companies(config, period, company_ids)
    company, ambiguous = _route(frame, config)
    frame["company_id"] = company
    frame["hour_code"] = assign_hour_codes(frame, config)
    hours_in = float(frame["hours"].fillna(0.0).sum())

    ex = Exclusions(frame)
    in_run = company.isin(run).fillna(False).to_numpy(dtype=bool)
    ex.exclude(company.notna().to_numpy(dtype=bool) & ~in_run, Reason.OTHER_RUN, other_run(config))
    if period is not None:
        dates = frame["work_date"]
        outside = (dates < pd.Timestamp(period.start)) | (dates > pd.Timestamp(period.end))
        ex.exclude(outside, Reason.OUTSIDE_PERIOD, outside_period(period))
    exclude_entry_states(ex, frame)
    ex.exclude(frame["purpose"].eq("break"), Reason.BREAK, "breaks are never paid")
    exclude_long_days(ex, frame)

    unrouted = company.isna().to_numpy(dtype=bool) & ambiguous.isna().to_numpy(dtype=bool)
    is_ambiguous = ambiguous.notna().to_numpy(dtype=bool)
    _enforce_policies(ex, frame, config, unrouted, is_ambiguous, ambiguous)
    ex.exclude(unrouted, Reason.UNROUTED, unrouted_detail)
    ex.exclude(is_ambiguous, Reason.AMBIGUOUS_ROUTE, lambda rows: ambiguous.loc[rows.index])

    if config.approved_only:
        approved = frame["approval_status"].eq("approved").fillna(False).to_numpy(dtype=bool)
        ex.exclude(~approved, Reason.NOT_APPROVED, not_approved_detail)
    ex.exclude(frame["hour_code"].isna(), Reason.PURPOSE_NOT_MAPPED, purpose_detail)
    ex.exclude(blank_user_codes(frame), Reason.USER_WITHOUT_CODE, no_code_detail)
    shared = shared_user_codes(frame)
    is_shared = shared.notna().to_numpy(dtype=bool)
    if config.routing.ambiguous == "fail":
        rows = frame.loc[is_shared & ex.pending]
        _raise_if_any(rows.assign(reason=Reason.DUPLICATE_USER_CODE, detail=shared[rows.index]))
    ex.exclude(is_shared, Reason.DUPLICATE_USER_CODE, lambda rows: shared.loc[rows.index])

    routed, excluded = ex.split()
    if company_dtype(c.company_id for c in config.companies) == "Int64":
        routed["company_id"] = routed["company_id"].astype("int64")
    routed["hour_code"] = routed["hour_code"].astype("int64")
    result = RoutingResult(routed, excluded, tuple(sorted(run, key=id_key)), hours_in, len(frame))
    result.check()
    return result


# --------------------------------------------------------------------------- routing


def _run_companies(
    config: SyncConfig, period: PayrollPeriod | None, company_ids: Collection[int] | None
) -> set[int]:
    configured = {c.company_id for c in config.companies}
    if company_ids is not None:
        unknown = sorted(set(company_ids) - configured, key=id_key)
        if unknown:
            raise ValueError(f"companies {unknown} are not in {config.source}")
        return set(company_ids)
    if period is not None:
        return {c.company_id for c in config.companies_of_type(period.type)}
    return configured


def _route(frame: pd.DataFrame, config: SyncConfig) -> tuple[pd.Series, pd.Series]:
    """(company_id Int64 or <NA>, ambiguity detail or <NA>) per row, most specific level wins."""
    size = len(frame)
    dtype = company_dtype(c.company_id for c in config.companies)
    company = pd.Series(pd.NA, index=frame.index, dtype=dtype)
    ambiguous = pd.Series(None, index=frame.index, dtype=object)
    decided = np.zeros(size, dtype=bool)
    for selector, column, label in _LEVELS:
        owners: dict[int, list[int | str]] = {}
        for cfg in config.companies:
            for key in getattr(cfg, selector):
                owners.setdefault(key, []).append(cfg.company_id)
        if not owners:
            continue
        unique = pd.Series({k: v[0] for k, v in owners.items() if len(v) == 1}, dtype=dtype)
        clash = pd.Series(
            {
                k: f"{label} {k} is routed to companies "
                f"{', '.join(sorted(map(str, v), key=lambda t: (len(t), t)))}"
                for k, v in owners.items()
                if len(v) > 1
            },
            dtype=object,
        )
        keys = frame[column]
        hit = keys.map(unique).astype(dtype)
        clash_hit = keys.map(clash).astype(object)
        new_unique = ~decided & hit.notna().to_numpy(dtype=bool)
        new_clash = ~decided & clash_hit.notna().to_numpy(dtype=bool)
        company.loc[new_unique] = hit.loc[new_unique]
        ambiguous.loc[new_clash] = clash_hit.loc[new_clash]
        decided |= new_unique | new_clash
    default = config.default_company
    if default is not None:
        company.loc[~decided] = default.company_id
    return company, ambiguous


def _enforce_policies(
    ex: Exclusions,
    frame: pd.DataFrame,
    config: SyncConfig,
    unrouted: np.ndarray,
    is_ambiguous: np.ndarray,
    ambiguous: pd.Series,
) -> None:
    pending = ex.pending
    parts = []
    if config.routing.unmatched == "fail":
        rows = frame.loc[unrouted & pending]
        parts.append(rows.assign(reason=Reason.UNROUTED, detail=unrouted_detail(rows)))
    if config.routing.ambiguous == "fail":
        rows = frame.loc[is_ambiguous & pending]
        parts.append(rows.assign(reason=Reason.AMBIGUOUS_ROUTE, detail=ambiguous.loc[rows.index]))
    _raise_if_any(pd.concat(parts) if parts else frame.iloc[:0])


def _raise_if_any(offending: pd.DataFrame) -> None:
    """Raise :class:`RoutingError` for ``offending`` rows (with ``reason``, ``detail``), if any."""
    if offending.empty:
        return
    per_user = (
        offending.groupby(["reason", "organisation_id", "user_id"], sort=True)
        .agg(
            user_name=("user_name", "first"),
            rows=("hours", "size"),
            hours=("hours", "sum"),
            detail=("detail", "first"),
        )
        .reset_index()
        .sort_values("hours", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    raise RoutingError(per_user)
