"""Give routed Keeping hours their Nmbrs hour code, following each company's mapping.

Worked hours (purpose ``work``) get the task override, else the project override, else the
company's ``worked`` code. Other purposes get ``hour_codes.purposes[purpose]``; a purpose
without a code (``break`` never has one) gets <NA>.
"""

from __future__ import annotations

import pandas as pd

from .config import HourCodes, SyncConfig

__all__ = ["assign_hour_codes", "codes_for_company"]


def codes_for_company(rows: pd.DataFrame, codes: HourCodes) -> pd.Series:
    """Hour codes (Int64, <NA> = not mapped) for ``rows`` of one company.

    ``rows`` needs ``purpose``, ``project_id`` and ``task_id``.
    """
    is_work = rows["purpose"].eq("work").fillna(False).to_numpy(dtype=bool)
    result = pd.Series(pd.NA, index=rows.index, dtype="Int64")
    if is_work.any():
        work = rows.loc[is_work]
        code = _lookup(work["task_id"], codes.tasks)
        code = code.fillna(_lookup(work["project_id"], codes.projects)).fillna(codes.worked)
        result.loc[is_work] = code
    others = ~is_work
    if others.any() and codes.purposes:
        mapped = rows.loc[others, "purpose"].map(dict(codes.purposes))
        result.loc[others] = pd.array(mapped, dtype="Int64")
    return result


def assign_hour_codes(frame: pd.DataFrame, config: SyncConfig) -> pd.Series:
    """Hour codes (Int64) for rows of ``frame`` by their ``company_id`` (<NA> when the row has
    no company or its purpose is not mapped)."""
    result = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    company = frame["company_id"]
    for cfg in config.companies:
        mask = company.eq(cfg.company_id).fillna(False).to_numpy(dtype=bool)
        if mask.any():
            result.loc[mask] = codes_for_company(frame.loc[mask], cfg.hour_codes)
    return result


def _lookup(ids: pd.Series, mapping: object) -> pd.Series:
    if not mapping:
        return pd.Series(pd.NA, index=ids.index, dtype="Int64")
    table = pd.Series(dict(mapping), dtype="Int64")  # type: ignore[call-overload]
    return ids.map(table).astype("Int64")
