"""Validators of the config's small sections: hour codes, routing, load, and the schedule's shape.

Each takes the :class:`~.checks.Checker` collecting the file's problems and the section as
parsed from YAML, and returns the section's typed value (its defaults where a key is absent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import Checker, describe, did_you_mean
from .model import (
    HOUR_CODE_KEYS,
    KEEPING_PURPOSES,
    LOAD_KEYS,
    ROUTING_KEYS,
    ROUTING_POLICIES,
    VERIFY_CHOICES,
    FrozenMap,
    HourCodes,
    LoadConfig,
    RoutingPolicy,
)


def check_load(check: Checker, value: Any) -> LoadConfig:
    raw = check.mapping(value, "load", LOAD_KEYS) or {}
    kwargs: dict[str, Any] = {}
    for name in ("parallel_companies", "chunk_size"):
        if name in raw:
            kwargs[name] = check.positive_int(raw[name], f"load.{name}")
    if "verify" in raw:
        kwargs["verify"] = check.choice(raw["verify"], "load.verify", VERIFY_CHOICES)
    if "verify_sample" in raw:
        sample = raw["verify_sample"]
        if isinstance(sample, bool) or not isinstance(sample, int) or sample < 0:
            check.fail("load.verify_sample", f"expected an integer >= 0, got {describe(sample)}")
        else:
            kwargs["verify_sample"] = sample
    if "check_days_fixed" in raw:
        kwargs["check_days_fixed"] = check.boolean(raw["check_days_fixed"], "load.check_days_fixed")
    return LoadConfig(**{k: v for k, v in kwargs.items() if v is not None})


def check_routing(check: Checker, value: Any) -> RoutingPolicy:
    raw = check.mapping(value, "routing", ROUTING_KEYS) or {}
    kwargs = {
        name: check.choice(raw[name], f"routing.{name}", ROUTING_POLICIES)
        for name in ROUTING_KEYS
        if name in raw
    }
    return RoutingPolicy(**kwargs)


def check_hour_codes(check: Checker, value: Any, key: str, base: HourCodes) -> HourCodes:
    raw = check.mapping(value, key, HOUR_CODE_KEYS) or {}
    worked = base.worked
    if "worked" in raw:
        worked = check.positive_int(raw["worked"], f"{key}.worked", "a positive hour code")
    purposes = dict(base.purposes)
    for purpose, code in check_code_map(check, raw.get("purposes"), f"{key}.purposes", str).items():
        if purpose == "break":
            check.fail(f"{key}.purposes.break", "breaks are never paid and cannot be mapped")
        elif purpose == "work":
            check.fail(
                f"{key}.purposes.work",
                f"purpose work always uses {key}.worked; set the code there",
            )
        elif purpose not in KEEPING_PURPOSES:
            mappable = tuple(p for p in KEEPING_PURPOSES if p not in ("work", "break"))
            check.fail(
                f"{key}.purposes.{purpose}",
                f"unknown Keeping purpose {purpose!r}{did_you_mean(purpose, mappable)}",
            )
        elif code is None:
            purposes.pop(purpose, None)
        else:
            purposes[purpose] = code
    projects = dict(base.projects)
    projects.update(check_code_map(check, raw.get("projects"), f"{key}.projects", int))
    tasks = dict(base.tasks)
    tasks.update(check_code_map(check, raw.get("tasks"), f"{key}.tasks", int))
    return HourCodes(
        worked=worked or base.worked,
        purposes=FrozenMap(purposes),
        projects=FrozenMap({k: v for k, v in projects.items() if v is not None}),
        tasks=FrozenMap({k: v for k, v in tasks.items() if v is not None}),
    )


def check_code_map(check: Checker, value: Any, key: str, key_type: type) -> dict:
    """A mapping of purpose name (str) or Keeping id (int) to hour code or null."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        check.fail(key, f"expected a mapping of {_key_word(key_type)} to hour code")
        return {}
    result: dict = {}
    for name, code in value.items():
        where = f"{key}.{name}"
        if key_type is int and check.positive_int(name, where, "a positive id as key") is None:
            continue
        if key_type is str and not isinstance(name, str):
            check.fail(where, f"expected a purpose name as key, got {describe(name)}")
            continue
        if code is not None and check.positive_int(code, where, "a positive hour code") is None:
            continue
        result[name] = code
    return result


def check_schedule_section(check: Checker, value: Any) -> FrozenMap:
    """The Airflow-only ``schedule`` section, frozen as written (lists become tuples).

    Only its shape is checked here; its keys and values are checked where the DAGs read it
    (:func:`nmbrs_provider.timetables.schedule_config.load_schedule`), beside the timetable.
    """
    if value is None:
        return FrozenMap()
    if not isinstance(value, Mapping):
        check.fail("schedule", f"expected a mapping, got {describe(value)}")
        return FrozenMap()
    return FrozenMap({k: tuple(v) if isinstance(v, list) else v for k, v in value.items()})


def _key_word(key_type: type) -> str:
    return "Keeping purpose" if key_type is str else "Keeping id"
