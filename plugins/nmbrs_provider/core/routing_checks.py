"""The exclusion checks of routing and the detail text of each excluded row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import SyncConfig
from .exclusions import Exclusions, Reason
from .ids import plain_id
from .periods import PayrollPeriod

MAX_HOURS_PER_DAY = 24.0


def exclude_entry_states(ex: Exclusions, frame: pd.DataFrame) -> None:
    state = frame["entry_state"]
    hours = frame["hours"]
    ex.exclude(state.eq("ongoing"), Reason.ONGOING, "timer still running in Keeping")
    ex.exclude(state.eq("missing_hours") | hours.isna(), Reason.MISSING_HOURS, "entry has no hours")
    ex.exclude(
        state.eq("negative_hours") | hours.lt(0),
        Reason.NEGATIVE_HOURS,
        lambda rows: rows["hours"].map(lambda h: f"negative hours ({h:.2f} h)"),
    )
    ex.exclude(state.eq("zero_hours") | hours.eq(0), Reason.ZERO_HOURS, "recorded with 0 hours")


def exclude_long_days(ex: Exclusions, frame: pd.DataFrame) -> None:
    pending = ex.pending
    if not pending.any():
        return
    keys = ["organisation_id", "user_id", "work_date"]
    counted = frame.loc[pending, [*keys, "hours"]]
    day_total = counted.groupby(keys, sort=False)["hours"].transform("sum")
    too_long = pd.Series(False, index=frame.index)
    too_long.loc[counted.index] = day_total.gt(MAX_HOURS_PER_DAY + 1e-9)
    if not too_long.any():
        return
    totals = pd.Series(np.nan, index=frame.index)
    totals.loc[counted.index] = day_total

    def detail(rows: pd.DataFrame) -> pd.Series:
        return (
            rows["user_name"].astype(object).fillna("?").astype(str)
            + " recorded "
            + totals.loc[rows.index].map("{:.2f}".format)
            + " h on "
            + rows["work_date"].dt.strftime("%Y-%m-%d")
            + " (more than 24 h): the whole day is held back"
        )

    ex.exclude(too_long, Reason.MORE_THAN_24_HOURS_IN_A_DAY, detail)


def other_run(config: SyncConfig):
    types = {c.company_id: str(c.period_type) for c in config.companies}

    def detail(rows: pd.DataFrame) -> pd.Series:
        ids = rows["company_id"].map(plain_id)
        return (
            "company "
            + ids.astype(str)
            + " (period type "
            + ids.map(types).astype(str)
            + ") is synced by another run"
        )

    return detail


def outside_period(period: PayrollPeriod):
    span = f"{period} ({period.start:%Y-%m-%d}..{period.end:%Y-%m-%d})"

    def detail(rows: pd.DataFrame) -> pd.Series:
        return rows["work_date"].dt.strftime("%Y-%m-%d") + f" is outside {span}"

    return detail


def ids_text(rows: pd.DataFrame) -> pd.Series:
    text = (
        "organisation "
        + rows["organisation_id"].astype(str)
        + ", user "
        + rows["user_id"].astype(str)
    )
    for column, label in (("project_id", "project"), ("task_id", "task")):
        ids = rows[column]
        part = (f", {label} " + ids.astype(str)).where(ids.notna(), "")
        text = text + part
    return text


def unrouted_detail(rows: pd.DataFrame) -> pd.Series:
    return "no company routes " + ids_text(rows) + " and there is no default company"


def not_approved_detail(rows: pd.DataFrame) -> pd.Series:
    status = rows["approval_status"].astype(object)
    text = "approval status '" + status.fillna("").astype(str) + "'"
    return text.where(status.notna(), "no approval status").astype(object)


def purpose_detail(rows: pd.DataFrame) -> pd.Series:
    purpose = rows["purpose"].astype(object).fillna("(none)").astype(str)
    return (
        "purpose '"
        + purpose
        + "' has no hour code for company "
        + rows["company_id"].map(plain_id).astype(str)
        + " (hour_codes.purposes)"
    )
