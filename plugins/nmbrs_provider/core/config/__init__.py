"""The sync's YAML configuration: a typed model, its loader and one validator per section.

Every problem in a file is collected and reported at once in a :class:`ConfigError` naming
the file, the dotted key path (``companies[1].projects``) and what is wrong. Every key, with
its default, is in the project's ``include/nmbrs_sync.reference.yaml``. The Airflow-only
``schedule`` section is kept as written here and checked beside the timetable
(:mod:`nmbrs_provider.timetables.schedule_config`).

- :mod:`.model`: the frozen dataclasses and allowed values;
- :mod:`.yaml_loader`: ``load_config`` (a file) and ``parse_config`` (parsed YAML);
- :mod:`.document`, :mod:`.sections`, :mod:`.companies`: the validators;
- :mod:`.checks`: the problem collector and single-value checks they share.
"""

from __future__ import annotations

from .model import (
    KEEPING_PURPOSES,
    PAST_PERIOD_POLICIES,
    ROUTING_POLICIES,
    VERIFY_CHOICES,
    CompanyConfig,
    ConfigError,
    ConfigProblem,
    FrozenMap,
    HourCodes,
    LoadConfig,
    RoutingPolicy,
    SyncConfig,
)
from .yaml_loader import load_config, parse_config

__all__ = [
    "KEEPING_PURPOSES",
    "PAST_PERIOD_POLICIES",
    "ROUTING_POLICIES",
    "VERIFY_CHOICES",
    "CompanyConfig",
    "ConfigError",
    "ConfigProblem",
    "FrozenMap",
    "HourCodes",
    "LoadConfig",
    "RoutingPolicy",
    "SyncConfig",
    "load_config",
    "parse_config",
]
