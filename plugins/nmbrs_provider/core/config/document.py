"""The validator of a whole config document: the top-level keys and every section."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import Checker, describe
from .companies import check_companies
from .model import PAST_PERIOD_POLICIES, TOP_KEYS, HourCodes, SyncConfig
from .sections import check_hour_codes, check_load, check_routing, check_schedule_section


def check_sync_config(check: Checker, data: Any, source: str) -> SyncConfig | None:
    """The whole config, or None when ``check`` collected a problem."""
    if not isinstance(data, Mapping):
        check.fail("", f"expected a mapping with a 'companies' list, got {describe(data)}")
        return None
    top = check.mapping(data, "", TOP_KEYS) or {}
    defaults = check_hour_codes(check, top.get("hour_codes"), "hour_codes", HourCodes())
    companies = check_companies(check, top.get("companies"), defaults)
    kwargs: dict[str, Any] = {}
    if "warehouse_conn_id" in top:
        kwargs["warehouse_conn_id"] = check.conn_id(top["warehouse_conn_id"], "warehouse_conn_id")
    if "approved_only" in top:
        kwargs["approved_only"] = check.boolean(top["approved_only"], "approved_only")
    if "past_period_policy" in top:
        kwargs["past_period_policy"] = check.choice(
            top["past_period_policy"], "past_period_policy", PAST_PERIOD_POLICIES
        )
    routing = check_routing(check, top.get("routing"))
    schedule = check_schedule_section(check, top.get("schedule"))
    load = check_load(check, top.get("load"))
    if check.problems:
        return None
    return SyncConfig(
        companies=tuple(companies),
        hour_codes=defaults,
        routing=routing,
        schedule=schedule,
        load=load,
        source=source,
        **kwargs,
    )
