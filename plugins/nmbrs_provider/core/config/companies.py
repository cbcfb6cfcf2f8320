"""Validators of the ``companies`` list: each company, its selectors, overrides and comment."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from ..periods import PeriodError, PeriodType
from .checks import Checker, describe
from .model import (
    COMMENT_FIELDS,
    COMPANY_KEYS,
    CONTRACT_CHOICES,
    SELECTORS,
    CompanyConfig,
    FrozenMap,
    HourCodes,
)
from .sections import check_hour_codes


def check_companies(check: Checker, value: Any, defaults: HourCodes) -> list[CompanyConfig]:
    if not isinstance(value, list) or not value:
        check.fail("companies", f"expected a non-empty list of companies, got {describe(value)}")
        return []
    companies: list[CompanyConfig] = []
    first_seen: dict[int, int] = {}
    defaults_at: list[int] = []
    for i, raw in enumerate(value):
        key = f"companies[{i}]"
        company = check_company(check, raw, key, defaults)
        if company is None:
            continue
        if company.company_id in first_seen:
            check.fail(
                f"{key}.company_id",
                f"company {company.company_id} is already configured at "
                f"companies[{first_seen[company.company_id]}]",
            )
        first_seen.setdefault(company.company_id, i)
        if company.default:
            defaults_at.append(i)
        companies.append(company)
    if len(defaults_at) > 1:
        where = ", ".join(f"companies[{i}]" for i in defaults_at)
        check.fail("companies", f"at most one company can be the default, found {where}")
    return companies


def check_company(
    check: Checker, value: Any, key: str, defaults: HourCodes
) -> CompanyConfig | None:
    before = len(check.problems)
    raw = check.mapping(value, key, COMPANY_KEYS)
    if raw is None:
        return None
    company_id = None
    if "company_id" not in raw:
        check.fail(f"{key}.company_id", "missing: the Nmbrs company ID is required")
    else:
        company_id = check.company_id(raw["company_id"], f"{key}.company_id")
    kwargs: dict[str, Any] = {}
    if "nmbrs_conn_id" in raw:
        kwargs["nmbrs_conn_id"] = check.conn_id(raw["nmbrs_conn_id"], f"{key}.nmbrs_conn_id")
    if "period_type" in raw:
        try:
            kwargs["period_type"] = PeriodType.parse(raw["period_type"])
        except PeriodError as err:
            check.fail(f"{key}.period_type", str(err))
    for name in SELECTORS:
        kwargs[name] = check.id_list(raw.get(name), f"{key}.{name}")
    if "default" in raw:
        kwargs["default"] = check.boolean(raw["default"], f"{key}.default")
    if not kwargs.get("default") and not any(kwargs[name] for name in SELECTORS):
        check.fail(
            key,
            "routes no hours: give at least one of organisations, users, projects, tasks "
            "or set default: true",
        )
    kwargs["hour_codes"] = check_hour_codes(
        check, raw.get("hour_codes"), f"{key}.hour_codes", defaults
    )
    kwargs["contract_overrides"] = check_overrides(
        check, raw.get("contract_overrides"), f"{key}.contract_overrides"
    )
    if "comment" in raw:
        kwargs["comment"] = check_comment(check, raw["comment"], f"{key}.comment")
    if len(check.problems) > before or company_id is None:
        return None
    return CompanyConfig(company_id=company_id, **kwargs)


def check_overrides(check: Checker, value: Any, key: str) -> FrozenMap:
    if value is None:
        return FrozenMap()
    if not isinstance(value, Mapping):
        check.fail(key, "expected a mapping of personnel number to flexible or fixed")
        return FrozenMap()
    result: dict[str, str] = {}
    for number, contract in value.items():
        where = f"{key}.{number}"
        if isinstance(number, bool) or not isinstance(number, (str, int)):
            check.fail(where, f"expected a personnel number as key, got {describe(number)}")
            continue
        text = str(number).strip()
        if not text:
            check.fail(where, "personnel number is empty")
            continue
        if text in result:
            check.fail(where, f"personnel number {text!r} is listed twice")
            continue
        checked = check.choice(contract, where, CONTRACT_CHOICES)
        if checked is not None:
            result[text] = checked
    return FrozenMap(result)


def check_comment(check: Checker, value: Any, key: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        check.fail(key, f"expected a non-empty text, got {describe(value)}")
        return None
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as err:
        check.fail(key, f"malformed template {value!r}: {err} (write {{{{ for a brace)")
        return None
    for name in fields:
        if name not in COMMENT_FIELDS:
            placeholders = ", ".join(f"{{{f}}}" for f in COMMENT_FIELDS)
            check.fail(key, f"unknown placeholder {{{name}}}; available: {placeholders}")
            return None
    return value
