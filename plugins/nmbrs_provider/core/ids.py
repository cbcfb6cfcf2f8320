"""Nmbrs ids out of pandas: SOAP's integers as ``int`` (also when a frame made them floats or
numpy numbers), REST's UUIDs as ``str``."""

from __future__ import annotations

import numbers
from typing import Any


def plain_id(value: Any) -> int | str:
    """``54613``, ``54613.0``, ``np.int64(54613)`` -> ``54613``; a UUID (or ``np.str_``) -> its
    text. Never converts a UUID to a number."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(value)
    return str(value)


def company_dtype(company_ids: object) -> str | type:
    """The frame dtype of a column of these company ids: ``Int64`` while every id is a SOAP
    integer (fast, and as before REST), else ``object`` (REST UUIDs, or both APIs at once)."""
    ids = list(company_ids)  # type: ignore[call-overload]
    return "Int64" if all(isinstance(i, int) and not isinstance(i, bool) for i in ids) else object


def nullable_ids(series: Any) -> Any:
    """``series`` as ``Int64`` when it holds only integers (and gaps), else as ``object``."""
    try:
        return series.astype("Int64")
    except (TypeError, ValueError):
        return series.astype(object).where(series.notna(), None)


def id_key(value: int | str) -> tuple[bool, Any]:
    """Sort key of ids of both APIs: SOAP numbers first, then REST UUIDs."""
    return isinstance(value, str), value
