from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from nmbrs_provider.core.config import (
    CompanyConfig,
    ConfigError,
    FrozenMap,
    HourCodes,
    LoadConfig,
    RoutingPolicy,
    SyncConfig,
    load_config,
    parse_config,
)
from nmbrs_provider.core.periods import PayrollPeriod, PeriodType
from nmbrs_provider.timetables.schedule_config import ScheduleConfig, load_schedule

MINIMAL = """\
companies:
  - company_id: 54613          # Nmbrs company ID
    nmbrs_conn_id: nmbrs_default
    organisations: [1]         # Keeping organisations whose hours go to this company
"""


def write(tmp_path, text: str):
    path = tmp_path / "sync.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(err: ConfigError) -> dict[str, str]:
    return {p.key: p.message for p in err.problems}


def test_minimal_file_gets_documented_defaults(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    assert config.warehouse_conn_id == "keeping_warehouse"
    assert config.approved_only is False
    assert config.past_period_policy == "fail"
    assert config.routing.unmatched == "exclude" and config.routing.ambiguous == "exclude"
    (company,) = config.companies
    assert company.company_id == 54613
    assert company.nmbrs_conn_id == "nmbrs_default"
    assert company.period_type is PeriodType.MONTH
    assert company.organisations == frozenset({1})
    assert company.default is False
    assert company.hour_codes.worked == 2100
    assert dict(company.hour_codes.purposes) == {}
    assert company.render_comment(PayrollPeriod.parse("2026-11-M")) == "Keeping 2026-11-M"
    assert config.owned_hour_codes(54613) == frozenset({2100})
    assert config.source.endswith("sync.yaml")


def test_load_settings_have_safe_defaults_and_are_checked(tmp_path):
    assert load_config(write(tmp_path, MINIMAL)).load == LoadConfig(
        parallel_companies=4, chunk_size=500, verify="sample", verify_sample=3,
        check_days_fixed=False,
    )  # fmt: skip
    tuned = load_config(write(tmp_path, MINIMAL + "load: {parallel_companies: 2, verify: all}\n"))
    assert (tuned.load.parallel_companies, tuned.load.verify) == (2, "all")
    bad = "load: {parallel_companies: 0, verify: maybe, verify_sample: -1, chunk: 5}\n"
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, MINIMAL + bad))
    found = problems(err.value)
    assert "expected a positive integer" in found["load.parallel_companies"]
    assert "expected one of sample, all, none" in found["load.verify"]
    assert "expected an integer >= 0" in found["load.verify_sample"]
    assert "did you mean 'chunk_size'" in found["load.chunk"]


ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "include" / "nmbrs_sync.reference.yaml"


def _keys_missing(model: type, raw: Any, where: str) -> list[str]:
    """Keys of the dataclass ``model`` (recursively, for section dataclasses) not in ``raw``."""
    missing = []
    for field in dataclasses.fields(model):
        if field.name == "source":
            continue
        key = f"{where}{field.name}"
        if field.name not in raw:
            missing.append(key)
            continue
        section = {"hour_codes": HourCodes, "routing": RoutingPolicy, "load": LoadConfig}.get(
            field.name
        )
        section = ScheduleConfig if field.name == "schedule" else section
        if section is not None and raw[field.name]:
            missing += _keys_missing(section, raw[field.name], f"{key}.")
    return missing


def test_the_reference_file_lists_every_key_with_the_codes_defaults():
    raw = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    assert _keys_missing(SyncConfig, raw, "") == []
    assert _keys_missing(CompanyConfig, raw["companies"][0], "companies[0].") == []

    loaded = load_config(REFERENCE)
    # The one company needs an id and a selector; everything else is the model's default.
    example = CompanyConfig(company_id=54613, organisations=frozenset({1}))
    expected = SyncConfig(companies=(example,), source=str(REFERENCE))
    assert dataclasses.replace(loaded, schedule=FrozenMap()) == expected
    assert load_schedule(loaded) == ScheduleConfig()


FULL = {
    "warehouse_conn_id": "dwh.keeping",
    "approved_only": True,
    "past_period_policy": "retro",
    "hour_codes": {
        "worked": 2100,
        "purposes": {"statutory_leave": 3100, "sick_leave": 3200, "trip": 2500},
        "projects": {501: 2150},
        "tasks": {9001: 2160},
    },
    "routing": {"unmatched": "fail", "ambiguous": "exclude"},
    "companies": [
        {
            "company_id": 54613,
            "organisations": [1],
            "contract_overrides": {"101": "flexible", 102: "fixed"},
            "comment": "Keeping {period} ({company_id})",
        },
        {
            "company_id": 60000,
            "nmbrs_conn_id": "nmbrs_second-account",
            "period_type": "W4",
            "projects": [700, 701],
            "users": [42],
            "hour_codes": {"worked": 2200, "purposes": {"trip": None, "special_leave": 3300}},
        },
        {"company_id": 70000, "period_type": "w", "default": True},
    ],
}


def test_full_config_merges_company_hour_codes_over_defaults():
    config = parse_config(FULL, source="full")
    first, second, third = config.companies
    assert config.approved_only is True and config.past_period_policy == "retro"
    assert config.routing.unmatched == "fail"
    assert first.hour_codes == config.hour_codes
    assert config.owned_hour_codes(54613) == {2100, 2150, 2160, 3100, 3200, 2500}
    assert second.hour_codes.worked == 2200
    assert dict(second.hour_codes.purposes) == {
        "statutory_leave": 3100,
        "sick_leave": 3200,
        "special_leave": 3300,
    }
    assert config.owned_hour_codes(60000) == {2200, 2150, 2160, 3100, 3200, 3300}
    assert second.period_type is PeriodType.FOUR_WEEKS
    assert third.period_type is PeriodType.WEEK
    assert config.default_company is third
    assert [c.company_id for c in config.companies_of_type("4W")] == [60000]
    assert dict(first.contract_overrides) == {"101": "flexible", "102": "fixed"}
    assert first.render_comment(PayrollPeriod.parse("2026-11-M")) == "Keeping 2026-11-M (54613)"


def test_owned_hour_codes_of_unknown_company_names_the_configured_ones():
    config = parse_config(FULL)
    with pytest.raises(KeyError, match="54613, 60000, 70000"):
        config.owned_hour_codes(1)


def test_configs_are_frozen_and_hashable():
    config = parse_config(FULL)
    with pytest.raises(AttributeError):
        config.companies[0].company_id = 1  # type: ignore[misc]
    assert hash(config.companies[0]) == hash(parse_config(FULL).companies[0])
    with pytest.raises(TypeError):
        config.hour_codes.purposes["work"] = 1  # type: ignore[index]


def test_all_problems_are_reported_together_with_key_paths(tmp_path):
    path = write(
        tmp_path,
        """\
        approved_only: "yes"
        past_period_policy: retroactive
        routing: {unmatched: drop}
        hour_codes:
          purposes: {break: 2100, sick_leav: 3200}
        companies:
          - company_id: 54613
            organisations: [1]
          - company_id: 54613
            projects: [abc]
            nmbrs_conn_id: "nmbrs default"
          - company_id: -5
            period_type: Q
            defualt: true
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    err = caught.value
    found = problems(err)
    assert "approved_only" in found
    assert "did you mean 'retro'" in found["past_period_policy"]
    assert "exclude, fail" in found["routing.unmatched"]
    assert "never paid" in found["hour_codes.purposes.break"]
    assert "did you mean 'sick_leave'" in found["hour_codes.purposes.sick_leav"]
    assert "positive integer id" in found["companies[1].projects[0]"]
    assert "connection id" in found["companies[1].nmbrs_conn_id"]
    assert "positive Nmbrs company ID" in found["companies[2].company_id"]
    assert "period type" in found["companies[2].period_type"]
    assert "did you mean 'default'" in found["companies[2].defualt"]
    assert "routes no hours" in found["companies[2]"]
    text = str(err)
    assert str(path) in text
    assert "companies[1].projects[0]: expected a positive integer id, got 'abc'" in text
    assert f"({len(err.problems)} problems)" in text


def test_duplicate_company_and_second_default_are_errors():
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                "companies": [
                    {"company_id": 1, "default": True},
                    {"company_id": 1, "organisations": [2]},
                    {"company_id": 3, "default": True},
                ]
            },
            source="dup.yaml",
        )
    found = problems(caught.value)
    assert "already configured at companies[0]" in found["companies[1].company_id"]
    assert "companies[0], companies[2]" in found["companies"]


@pytest.mark.parametrize(
    ("data", "key", "fragment"),
    [
        ({}, "companies", "non-empty list"),
        ({"companies": []}, "companies", "non-empty list"),
        ([1, 2], "", "mapping"),
        ({"companies": [{"organisations": [1]}]}, "companies[0].company_id", "missing"),
        ({"companies": [{"company_id": True, "users": [1]}]}, "companies[0].company_id", "boolean"),
        (
            {"companies": [{"company_id": "54613", "users": [1]}]},
            "companies[0].company_id",
            "string",
        ),
        ({"companies": [{"company_id": 1, "users": [0]}]}, "companies[0].users[0]", "positive"),
        ({"companies": [{"company_id": 1, "users": [4, 4]}]}, "companies[0].users[1]", "twice"),
        ({"companies": [{"company_id": 1, "users": 4}]}, "companies[0].users", "list"),
        (
            {"companies": [{"company_id": 1, "users": [4]}], "hour_codes": {"worked": 0}},
            "hour_codes.worked",
            "positive hour code",
        ),
        (
            {
                "companies": [{"company_id": 1, "users": [4]}],
                "hour_codes": {"purposes": {"work": 2}},
            },
            "hour_codes.purposes.work",
            "hour_codes.worked",
        ),
        (
            {"companies": [{"company_id": 1, "users": [4]}], "hour_codes": {"projects": {"x": 2}}},
            "hour_codes.projects.x",
            "positive id",
        ),
        (
            {"companies": [{"company_id": 1, "users": [4]}], "hour_codes": {"tasks": {5: "2100"}}},
            "hour_codes.tasks.5",
            "positive hour code",
        ),
        (
            {"companies": [{"company_id": 1, "users": [4], "hour_codes": {"hours": 1}}]},
            "companies[0].hour_codes.hours",
            "unknown key",
        ),
        (
            {"companies": [{"company_id": 1, "users": [4], "contract_overrides": {"7": "zero"}}]},
            "companies[0].contract_overrides.7",
            "flexible, fixed",
        ),
        (
            {"companies": [{"company_id": 1, "users": [4], "comment": "Keeping {periode}"}]},
            "companies[0].comment",
            "unknown placeholder {periode}",
        ),
        (
            {"companies": [{"company_id": 1, "users": [4], "comment": "Keeping {period"}]},
            "companies[0].comment",
            "malformed",
        ),
        (
            {"companies": [{"company_id": 1, "users": [4]}], "warehouse_conn_id": "a b"},
            "warehouse_conn_id",
            "connection id",
        ),
        (
            {"companies": [{"company_id": 1, "users": [4]}], "extra": 1},
            "extra",
            "unknown key",
        ),
    ],
)
def test_each_invalid_value_names_its_key(data, key, fragment):
    with pytest.raises(ConfigError) as caught:
        parse_config(data, source="t.yaml")
    found = problems(caught.value)
    assert key in found, found
    assert fragment in found[key]
    assert "t.yaml" in str(caught.value)


def test_leading_zero_numbers_are_not_read_as_octal(tmp_path):
    path = write(
        tmp_path,
        """\
        companies:
          - company_id: 54613
            organisations: [1]
            contract_overrides:
              0101: flexible
              '0102': fixed
              103: fixed
        """,
    )
    overrides = dict(load_config(path).companies[0].contract_overrides)
    assert overrides == {"0101": "flexible", "0102": "fixed", "103": "fixed"}


def test_octal_looking_company_id_is_an_error_not_a_different_company(tmp_path):
    path = write(tmp_path, "companies:\n  - company_id: 054613\n    organisations: [1]\n")
    with pytest.raises(ConfigError, match=r"companies\[0\]\.company_id.*'054613'"):
        load_config(path)


def test_duplicate_yaml_keys_are_reported_with_line(tmp_path):
    path = write(
        tmp_path,
        """\
        companies:
          - company_id: 54613
            organisations: [1]
            organisations: [2]
        """,
    )
    with pytest.raises(ConfigError, match=r"line 4, column 5: found duplicate key .organisations."):
        load_config(path)


def test_missing_file_and_bad_yaml_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read file"):
        load_config(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "companies: [\n"))


def test_company_can_unmap_a_default_project_override():
    config = parse_config(
        {
            "hour_codes": {"projects": {501: 2150}},
            "companies": [
                {"company_id": 1, "users": [4], "hour_codes": {"projects": {501: None}}},
                {"company_id": 2, "users": [5]},
            ],
        }
    )
    assert config.owned_hour_codes(1) == {2100}
    assert config.owned_hour_codes(2) == {2100, 2150}


def test_hour_codes_work_codes_exclude_leave_codes():
    codes = parse_config(FULL).hour_codes
    assert isinstance(codes, HourCodes)
    assert codes.work_codes == {2100, 2150, 2160}
    assert codes.for_purpose("work") == 2100
    assert codes.for_purpose("sick_leave") == 3200
    assert codes.for_purpose("unpaid_leave") is None


def test_company_id_is_an_int_for_soap_or_a_uuid_for_rest(tmp_path):
    path = write(
        tmp_path,
        """\
        companies:
          - company_id: 54613
            organisations: [1]
          - company_id: 0C7D7E8E-5B7A-5D1B-9A36-0D3F6C1B2A11
            nmbrs_conn_id: nmbrs_rest_default
            organisations: [2]
        """,
    )
    config = load_config(path)
    assert [c.company_id for c in config.companies] == [
        54613,
        "0c7d7e8e-5b7a-5d1b-9a36-0d3f6c1b2a11",
    ]
    assert config.company("0c7d7e8e-5b7a-5d1b-9a36-0d3f6c1b2a11").organisations == {2}
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "companies:\n  - company_id: acme\n    default: true\n"))
    assert "company UUID (REST)" in problems(caught.value)["companies[0].company_id"]
