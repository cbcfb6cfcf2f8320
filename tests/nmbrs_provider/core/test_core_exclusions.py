from __future__ import annotations

import pandas as pd
import pytest

from nmbrs_provider.core.exclusions import REASONS, Exclusions, Reason, summarise_exclusions


def rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [11, 11, 12, 13],
            "hours": [8.0, 2.0, 4.0, 1.0],
            "company_id": pd.array([54613, 54613, None, 60000], dtype="Int64"),
        }
    )


def test_first_reason_wins_and_kept_plus_excluded_is_the_input():
    ex = Exclusions(rows())
    assert ex.exclude([False, True, True, False], Reason.ONGOING, "timer running") == 2
    assert (
        ex.exclude(
            [True, True, False, False], Reason.BREAK, lambda r: "break " + r["user_id"].astype(str)
        )
        == 1
    )
    kept, excluded = ex.split()
    assert kept["hours"].tolist() == [1.0]
    assert excluded[["hours", "reason", "detail"]].values.tolist() == [
        [8.0, "break", "break 11"],
        [2.0, "ongoing", "timer running"],
        [4.0, "ongoing", "timer running"],
    ]
    assert excluded["company_id"].tolist()[:2] == [54613, 54613]
    assert excluded["company_id"].isna().tolist() == [False, False, True]


def test_unknown_reason_is_refused():
    with pytest.raises(ValueError, match="no_reason"):
        Exclusions(rows()).exclude([True] * 4, "no_reason", "x")


def test_every_reason_code_is_snake_case_and_described():
    codes = [v for k, v in vars(Reason).items() if k.isupper()]
    assert sorted(codes) == sorted(REASONS)
    assert all(code == code.lower() and " " not in code for code in codes)


def test_summary_groups_hours_per_company_and_reason_including_unknown_company():
    ex = Exclusions(rows())
    ex.exclude([True, True, False, False], Reason.NOT_APPROVED, "pending")
    ex.exclude([False, False, True, True], Reason.UNROUTED, "no rule")
    _, excluded = ex.split()
    summary = summarise_exclusions(excluded)
    assert summary[["reason", "rows", "users", "hours"]].values.tolist() == [
        ["not_approved", 2, 1, 10.0],
        ["unrouted", 1, 1, 4.0],
        ["unrouted", 1, 1, 1.0],
    ]
    assert summary["company_id"].isna().tolist() == [False, True, False]
    assert summarise_exclusions(excluded.iloc[:0]).empty
