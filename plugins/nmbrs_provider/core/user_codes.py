"""Keeping user codes that point several accounts at one Nmbrs personnel number.

A Keeping user code is the Nmbrs personnel number. Codes compare here exactly as employee
matching compares them (:func:`~nmbrs_provider.core.contracts.normalise_number`: stripped
text, case-sensitive, ``7.0`` as ``7``; blank codes are ``user_without_code``), so the users
found are exactly those whose hours would reach one employee.

* Users of **one organisation** routed to one company with one code are a duplicated account
  or a typo: :func:`shared_user_codes` names them; routing excludes every hour of theirs
  (``duplicate_user_code``) or fails (``routing.ambiguous: fail``). Personnel numbers are per
  Nmbrs company, so users of one organisation routed to *different* companies may share one.
* Users of **different organisations** routed to one company with one code are one person with
  an account in each: their hours add up for that employee, and :func:`merged_accounts` lists
  them for the run report.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .contracts import normalise_number
from .ids import plain_id

__all__ = [
    "blank_user_codes",
    "describe_merged",
    "merged_accounts",
    "no_code_detail",
    "shared_user_codes",
    "user_numbers",
]

_KEYS = ["company_id", "organisation_id", "_number"]


def blank_user_codes(frame: pd.DataFrame) -> np.ndarray:
    """Mask of rows whose user has no code (missing or only whitespace)."""
    return user_numbers(frame["user_code"]).isna().to_numpy(dtype=bool)


def user_numbers(codes: pd.Series) -> pd.Series:
    """:func:`~nmbrs_provider.core.contracts.normalise_number` of each code (None when blank),
    computed once per distinct code."""
    index, uniques = pd.factorize(codes.astype(object), use_na_sentinel=True)
    table = np.array([*(normalise_number(u) for u in uniques), None], dtype=object)
    return pd.Series(table[index], index=codes.index, dtype=object)


def no_code_detail(rows: pd.DataFrame) -> pd.Series:
    """Detail of ``user_without_code`` rows."""
    return (
        "Keeping user "
        + rows["user_id"].astype(str)
        + " ("
        + rows["user_name"].astype(object).fillna("?").astype(str)
        + ") has no user code: set it to the Nmbrs personnel number"
    )


def shared_user_codes(frame: pd.DataFrame) -> pd.Series:
    """Per row of ``frame``: a detail naming the users when the row's user shares its code with
    another user of the same organisation routed to the same company, else None.

    ``frame`` has ``company_id`` (nullable; rows without a company are never shared),
    ``organisation_id``, ``user_id``, ``user_code`` and ``user_name``. Every row of such a
    user counts, whatever else is wrong with it, so the finding does not depend on which of
    their entries happen to be sendable.
    """
    result = pd.Series(None, index=frame.index, dtype=object)
    if frame.empty:
        return result
    keyed = frame[["company_id", "organisation_id", "user_id", "user_name"]].assign(
        _number=user_numbers(frame["user_code"])
    )
    keyed = keyed.loc[keyed["company_id"].notna() & keyed["_number"].notna()]
    users = keyed.drop_duplicates([*_KEYS, "user_id"])
    users = users.loc[users.groupby(_KEYS, sort=False)["user_id"].transform("size").gt(1)]
    if users.empty:
        return result
    texts = pd.DataFrame(
        [
            (*key, _shared_text(plain_id(key[0]), int(key[1]), str(key[2]), group))
            for key, group in users.sort_values("user_id").groupby(_KEYS, sort=True)
        ],
        columns=[*_KEYS, "detail"],
    )
    hit = keyed[_KEYS].reset_index(names="_row").merge(texts, on=_KEYS, how="inner")
    result.loc[hit["_row"].to_numpy()] = hit["detail"].to_numpy()
    return result


def _shared_text(
    company_id: int | str, organisation_id: int, code: str, users: pd.DataFrame
) -> str:
    names = [f"{int(u.user_id)} ({_name(u.user_name)})" for u in users.itertuples(index=False)]
    return (
        f"Keeping users {', '.join(names[:-1])} and {names[-1]} of organisation "
        f"{organisation_id} share user code '{code}' (one personnel number in company "
        f"{company_id}): none of their hours are sent until each has their own code"
    )


def merged_accounts(matched: pd.DataFrame) -> pd.DataFrame:
    """Per Nmbrs employee whose hours come from more than one Keeping user: one row per user
    with ``employee_id``, ``employee_number``, ``employee_name``, ``organisation_id``,
    ``user_id``, ``user_name``, ``hours`` (the user's matched hours), ordered by employee and
    user.

    ``matched`` is ``MatchResult.matched``. Within an organisation a shared code never gets
    this far (``duplicate_user_code``), so these are one person's accounts in different
    organisations, whose hours add up.
    """
    columns = [
        "employee_id",
        "employee_number",
        "employee_name",
        "organisation_id",
        "user_id",
        "user_name",
        "hours",
    ]
    if matched.empty:
        return pd.DataFrame(columns=columns)
    per_user = (
        matched.groupby(["employee_id", "organisation_id", "user_id"], sort=True)
        .agg(
            employee_number=("employee_number", "first"),
            employee_name=("employee_name", "first"),
            user_name=("user_name", "first"),
            hours=("hours", "sum"),
        )
        .reset_index()
    )
    several = per_user.groupby("employee_id")["user_id"].transform("size").gt(1)
    return per_user.loc[several, columns].reset_index(drop=True)


def describe_merged(merged: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready summary of :func:`merged_accounts`: one entry per employee with
    ``employee_id``, ``employee_number``, ``employee_name``, ``hours`` (their total) and
    ``accounts`` (``organisation_id``, ``user_id``, ``user_name``, ``hours`` each)."""
    out = []
    for employee_id, group in merged.groupby("employee_id", sort=True):
        first = group.iloc[0]
        accounts = [
            {
                "organisation_id": int(u.organisation_id),
                "user_id": int(u.user_id),
                "user_name": _name(u.user_name),
                "hours": round(float(u.hours), 2),
            }
            for u in group.itertuples(index=False)
        ]
        out.append(
            {
                "employee_id": plain_id(employee_id),
                "employee_number": str(first["employee_number"]),
                "employee_name": _name(first["employee_name"]),
                "hours": round(float(group["hours"].sum()), 2),
                "accounts": accounts,
            }
        )
    return out


def _name(value: Any) -> str:
    return "?" if value is None or pd.isna(value) else str(value)
