"""Match one company's routed hours to its Nmbrs employees by personnel number.

Keeping's user code is the Nmbrs personnel number (compared as stripped text). Checks, in
order: ``no_matching_employee`` / ``ambiguous_employee``, ``outside_employment``,
``fixed_hour_contract`` / ``disputed_contract`` / ``unknown_contract``,
``hour_code_not_in_hour_model``. Only rows of flexible employees remain.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from .contracts import normalise_number
from .exclusions import Exclusions, Reason
from .ids import plain_id

__all__ = ["MatchResult", "match_employees"]

_MATCHED_COLUMNS = ("employee_id", "employee_number", "employee_name", "contract")
_CLASSIFIED_COLUMNS = (
    "employee_id",
    "number",
    "name",
    "start_date",
    "end_date",
    "contract",
    "contract_reason",
)


@dataclass(frozen=True)
class MatchResult:
    """Rows of flexible employees (``matched``) and the rest with reasons (``excluded``)."""

    matched: pd.DataFrame
    excluded: pd.DataFrame
    company_id: int
    hours_in: float

    @property
    def hours_matched(self) -> float:
        return float(self.matched["hours"].sum())

    @property
    def hours_excluded(self) -> float:
        return float(self.excluded["hours"].fillna(0.0).sum())


def match_employees(
    routed: pd.DataFrame,
    employees: pd.DataFrame,
    *,
    company_id: int,
    hour_model: Collection[int],
) -> MatchResult:
    """Attach ``employee_id``, ``employee_number``, ``employee_name``, ``contract`` to the
    routed rows of ``company_id`` and exclude rows that must not be sent.

    ``routed`` are rows of ``RoutingResult.for_company(company_id)``; ``employees`` is the
    output of :func:`~nmbrs_provider.core.contracts.classify_contracts` for that company;
    ``hour_model`` the company's valid hour codes.
    """
    missing = [c for c in _CLASSIFIED_COLUMNS if c not in employees.columns]
    if missing:
        raise ValueError(f"employees frame lacks {missing}: pass it through classify_contracts")
    others = routed["company_id"].ne(company_id)
    if others.any():
        found = sorted(routed.loc[others, "company_id"].unique().tolist())
        raise ValueError(f"routed rows for company {company_id} include companies {found}")
    frame = routed.reset_index(drop=True).copy()
    frame["_number"] = frame["user_code"].map(normalise_number).astype(object)
    staff = employees.assign(_number=employees["number"].map(normalise_number).astype(object))
    staff = staff.loc[staff["_number"].notna()]
    counts = staff.groupby("_number")["employee_id"].agg(list)
    shared = counts[counts.map(len) > 1]
    single = staff.loc[~staff["_number"].isin(shared.index)].set_index("_number")
    hours_in = float(frame["hours"].sum())

    joined = frame.join(
        single[
            ["employee_id", "name", "start_date", "end_date", "contract", "contract_reason"]
        ].rename(columns={"name": "employee_name"}),
        on="_number",
    )
    ex = Exclusions(joined)
    in_shared = joined["_number"].isin(shared.index)
    ex.exclude(in_shared, Reason.AMBIGUOUS_EMPLOYEE, _shared_detail(shared, company_id))
    ex.exclude(
        joined["employee_id"].isna(),
        Reason.NO_MATCHING_EMPLOYEE,
        lambda rows: (
            "no employee with personnel number '"
            + rows["_number"].astype(str)
            + f"' in company {company_id}"
        ),
    )
    start = pd.to_datetime(joined["start_date"]).astype("datetime64[ns]")
    end = pd.to_datetime(joined["end_date"]).astype("datetime64[ns]")
    date = joined["work_date"]
    ex.exclude(date.lt(start), Reason.OUTSIDE_EMPLOYMENT, _employment_detail("before", start))
    ex.exclude(date.gt(end), Reason.OUTSIDE_EMPLOYMENT, _employment_detail("after", end))
    contract = joined["contract"]
    ex.exclude(
        contract.eq("fixed"),
        Reason.FIXED_HOUR_CONTRACT,
        lambda rows: (
            "fixed-hour contract ("
            + rows["contract_reason"].astype(str)
            + "): sending would pay twice"
        ),
    )
    ex.exclude(contract.eq("disputed"), Reason.DISPUTED_CONTRACT, lambda r: r["contract_reason"])
    ex.exclude(
        contract.ne("flexible"),
        Reason.UNKNOWN_CONTRACT,
        lambda r: r["contract_reason"].astype(object).fillna("contract not classified"),
    )
    valid = {int(c) for c in hour_model}
    ex.exclude(
        ~joined["hour_code"].isin(valid),
        Reason.HOUR_CODE_NOT_IN_HOUR_MODEL,
        lambda rows: (
            "hour code "
            + rows["hour_code"].astype(str)
            + f" is not in the hour model of company {company_id}"
        ),
    )
    matched, excluded = ex.split()
    matched = matched.rename(columns={"_number": "employee_number"})
    ids = matched["employee_id"]
    # SOAP ids as int64 (fast to group); REST's UUIDs stay text
    numeric = pd.api.types.is_numeric_dtype(ids) and not pd.api.types.is_bool_dtype(ids)
    matched["employee_id"] = ids.astype("int64") if numeric else ids.map(plain_id).astype(object)
    matched = matched[[*frame.columns.drop("_number"), *_MATCHED_COLUMNS]]
    excluded = excluded[[*frame.columns.drop("_number"), "reason", "detail"]].copy()
    excluded["hour_code"] = excluded["hour_code"].astype("Int64")
    return MatchResult(matched, excluded, company_id, hours_in)


def _shared_detail(shared: pd.Series, company_id: int):
    text = {
        number: f"employees {', '.join(map(str, sorted(ids)))} of company {company_id} share "
        f"personnel number '{number}'"
        for number, ids in shared.items()
    }

    def detail(rows: pd.DataFrame) -> pd.Series:
        return rows["_number"].map(text)

    return detail


def _employment_detail(side: str, bound: pd.Series):
    word = "start" if side == "before" else "end"

    def detail(rows: pd.DataFrame) -> pd.Series:
        return (
            rows["work_date"].dt.strftime("%Y-%m-%d")
            + f" is {side} the employment {word} "
            + bound.loc[rows.index].dt.strftime("%Y-%m-%d")
        )

    return detail
