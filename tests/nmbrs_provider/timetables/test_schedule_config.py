"""The config's Airflow-only schedule section, checked beside the timetable."""

from __future__ import annotations

import pytest

from nmbrs_provider.core.config import ConfigError, parse_config
from nmbrs_provider.timetables.schedule_config import load_schedule


def test_schedule_defaults_to_a_period_timetable_two_days_after_the_period():
    schedule = load_schedule(parse_config({"companies": [{"company_id": 1, "organisations": [1]}]}))
    assert (schedule.enabled, schedule.timezone, schedule.delay_hours) == (
        True,
        "Europe/Amsterdam",
        48.0,
    )
    assert (schedule.catchup, schedule.start, schedule.assets) == (False, None, ())


def test_schedule_errors_name_their_keys():
    config = parse_config(
        {
            "companies": [{"company_id": 1, "organisations": [1]}],
            "schedule": {
                "timezone": "Mars/Olympus",
                "delay_hours": -1,
                "start": "soon",
                "assets": ["hours"],
                "catchup": "yes",
                "every": "month",
            },
        },
        source="sync.yaml",
    )
    with pytest.raises(ConfigError) as err:
        load_schedule(config)
    text = str(err.value)
    keys = ("timezone", "delay_hours", "start", "assets", "catchup", "every")
    for key in (f"schedule.{name}" for name in keys):
        assert key in text
    assert "sync.yaml" in text


def test_a_schedule_that_is_no_mapping_is_a_config_problem():
    with pytest.raises(ConfigError, match="schedule: expected a mapping"):
        parse_config({"companies": [{"company_id": 1, "organisations": [1]}], "schedule": [1]})
