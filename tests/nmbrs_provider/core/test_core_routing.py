from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from nmbrs_provider.core.config import parse_config
from nmbrs_provider.core.exclusions import REASONS, summarise_exclusions
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.routing import HOURS_COLUMNS, RoutingError, route_hours

NOV = PayrollPeriod.parse("2026-11-M")

BASE = {
    "hour_codes": {
        "worked": 2100,
        "purposes": {"statutory_leave": 3100, "sick_leave": 3200},
        "projects": {501: 2150},
        "tasks": {9001: 2160},
    },
    "companies": [
        {"company_id": 54613, "organisations": [1]},
        {"company_id": 60000, "users": [42], "projects": [700]},
        {"company_id": 70000, "tasks": [9500], "default": True},
        {"company_id": 80000, "period_type": "4W", "organisations": [4]},
    ],
}


def config(**changes):
    data = {**BASE, **changes}
    return parse_config(data, source="test.yaml")


def row(**values) -> dict:
    base = {
        "organisation_id": 1,
        "user_id": 11,
        "user_code": "101",
        "user_name": "Anna de Vries",
        "user_state": "active",
        "work_date": dt.date(2026, 11, 3),
        "purpose": "work",
        "project_id": None,
        "task_id": None,
        "approval_status": "approved",
        "entry_state": "ok",
        "hours": 8.0,
        "entries": 1,
    }
    base.update(values)
    return base


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(HOURS_COLUMNS))


def reasons(result) -> list[str]:
    return result.excluded.sort_values("hours", kind="stable")["reason"].tolist()


def only_exclusion(result) -> pd.Series:
    assert result.routed.empty, result.routed
    assert len(result.excluded) == 1
    return result.excluded.iloc[0]


def test_clean_rows_are_routed_with_company_and_hour_code():
    result = route_hours(frame(row(), row(work_date=dt.date(2026, 11, 4), hours=6.5)), config())
    assert result.excluded.empty
    assert result.routed["company_id"].tolist() == [54613, 54613]
    assert result.routed["hour_code"].tolist() == [2100, 2100]
    assert result.hours_routed == pytest.approx(14.5)
    assert result.hours_in == pytest.approx(14.5)


@pytest.mark.parametrize(
    ("values", "company"),
    [
        ({}, 54613),  # organisation
        ({"user_id": 42}, 60000),  # user beats organisation
        ({"project_id": 700}, 60000),  # project beats organisation
        ({"user_id": 42, "task_id": 9500}, 70000),  # task beats user
        ({"project_id": 700, "task_id": 9500}, 70000),  # task beats project
        ({"organisation_id": 9, "user_id": 99}, 70000),  # default
    ],
)
def test_most_specific_selector_wins(values, company):
    result = route_hours(frame(row(**values)), config(), period=NOV)
    assert result.routed["company_id"].tolist() == [company]


def test_hours_of_a_company_of_another_period_type_are_left_to_its_run():
    result = route_hours(frame(row(organisation_id=4)), config(), period=NOV)
    excluded = only_exclusion(result)
    assert excluded["reason"] == "other_run"
    assert excluded["company_id"] == 80000
    assert "4W" in excluded["detail"]
    four_weekly = route_hours(
        frame(row(organisation_id=4)), config(), period=PayrollPeriod.parse("2026-12-4W")
    )
    assert four_weekly.routed["company_id"].tolist() == [80000]
    assert four_weekly.company_ids == (80000,)


def test_explicit_company_ids_restrict_the_run():
    result = route_hours(frame(row(), row(user_id=42)), config(), company_ids=[60000])
    assert result.routed["company_id"].tolist() == [60000]
    assert reasons(result) == ["other_run"]
    with pytest.raises(ValueError, match="12345"):
        route_hours(frame(row()), config(), company_ids=[12345])


def test_ambiguous_route_at_the_most_specific_level_is_excluded_with_the_companies():
    cfg = config(
        companies=[
            {"company_id": 1, "organisations": [1], "users": [42]},
            {"company_id": 2, "organisations": [1], "projects": [700]},
            {"company_id": 3, "projects": [700]},
        ]
    )
    result = route_hours(
        frame(
            row(hours=1.0),  # organisation 1 is in companies 1 and 2
            row(user_id=42, hours=2.0),  # the user level decides: company 1
            row(project_id=700, hours=3.0),  # project 700 is in companies 2 and 3
        ),
        cfg,
    )
    assert result.routed["company_id"].tolist() == [1]
    assert result.excluded["reason"].tolist() == ["ambiguous_route", "ambiguous_route"]
    details = result.excluded["detail"].tolist()
    assert details[0] == "organisation 1 is routed to companies 1, 2"
    assert details[1] == "project 700 is routed to companies 2, 3"
    assert result.excluded["company_id"].isna().all()


def test_ambiguous_policy_fail_raises_with_users_and_hours_but_ignores_unsendable_rows():
    cfg = config(
        routing={"ambiguous": "fail"},
        companies=[
            {"company_id": 1, "organisations": [1]},
            {"company_id": 2, "organisations": [1]},
        ],
    )
    only_ongoing = frame(row(entry_state="ongoing", hours=3.0))
    assert reasons(route_hours(only_ongoing, cfg)) == ["ongoing"]
    with pytest.raises(RoutingError) as caught:
        route_hours(frame(row(hours=7.5), row(hours=1.5, work_date=dt.date(2026, 11, 5))), cfg)
    message = str(caught.value)
    assert "9.00 hours of 1 users" in message
    assert "user 11 Anna de Vries" in message and "ambiguous_route" in message
    assert caught.value.offending["hours"].tolist() == [9.0]


def test_unrouted_hours_without_default_company():
    cfg = config(companies=[{"company_id": 54613, "organisations": [1]}])
    result = route_hours(frame(row(organisation_id=2, user_id=7, project_id=5, hours=4.0)), cfg)
    excluded = only_exclusion(result)
    assert excluded["reason"] == "unrouted"
    assert excluded["detail"] == (
        "no company routes organisation 2, user 7, project 5 and there is no default company"
    )
    failing = config(
        companies=[{"company_id": 54613, "organisations": [1]}], routing={"unmatched": "fail"}
    )
    with pytest.raises(RoutingError, match="unrouted"):
        route_hours(frame(row(organisation_id=2, user_id=7)), failing)


@pytest.mark.parametrize(
    ("values", "reason", "detail"),
    [
        ({"work_date": dt.date(2026, 12, 1)}, "outside_period", "2026-12-01 is outside 2026-11-M"),
        ({"entry_state": "ongoing"}, "ongoing", "timer still running"),
        ({"entry_state": "missing_hours", "hours": 0.0}, "missing_hours", "no hours"),
        ({"hours": np.nan}, "missing_hours", "no hours"),
        ({"entry_state": "negative_hours", "hours": -1.5}, "negative_hours", "-1.50 h"),
        ({"hours": -2.0}, "negative_hours", "-2.00 h"),
        ({"entry_state": "zero_hours", "hours": 0.0}, "zero_hours", "0 hours"),
        ({"hours": 0.0}, "zero_hours", "0 hours"),
        ({"purpose": "break"}, "break", "never paid"),
        ({"purpose": "trip"}, "purpose_not_mapped", "purpose 'trip' has no hour code"),
        ({"purpose": "unpaid_leave"}, "purpose_not_mapped", "'unpaid_leave'"),
        ({"user_code": None}, "user_without_code", "Keeping user 11 (Anna de Vries)"),
        ({"user_code": "   "}, "user_without_code", "has no user code"),
    ],
)
def test_each_routing_exclusion_reason(values, reason, detail):
    result = route_hours(frame(row(**values)), config(), period=NOV)
    excluded = only_exclusion(result)
    assert excluded["reason"] == reason
    assert detail in excluded["detail"]
    assert reason in REASONS


def test_routed_exclusions_keep_their_company():
    result = route_hours(frame(row(entry_state="ongoing"), row(purpose="trip")), config())
    assert result.excluded["company_id"].tolist() == [54613, 54613]


def test_not_approved_only_when_approved_only_is_on():
    rows = frame(row(approval_status="pending", hours=2.0), row(approval_status=None, hours=3.0))
    assert len(route_hours(rows, config()).routed) == 2
    result = route_hours(rows, config(approved_only=True))
    assert result.routed.empty
    assert reasons(result) == ["not_approved", "not_approved"]
    assert result.excluded["detail"].tolist() == [
        "approval status 'pending'",
        "no approval status",
    ]


def test_a_day_over_24_hours_holds_back_that_users_whole_day_only():
    day = dt.date(2026, 11, 3)
    rows = frame(
        row(hours=20.0, project_id=501),
        row(hours=5.0, purpose="sick_leave"),
        row(hours=2.0, purpose="break"),  # a break does not count and keeps its own reason
        row(hours=8.0, work_date=day + dt.timedelta(days=1)),  # next day is fine
        row(user_id=12, user_code="102", user_name="Bram", hours=24.0),  # exactly 24 is fine
    )
    result = route_hours(rows, config(), period=NOV)
    long_day = result.excluded.loc[result.excluded["reason"] == "more_than_24_hours_in_a_day"]
    assert sorted(long_day["hours"]) == [5.0, 20.0]
    assert "Anna de Vries recorded 25.00 h on 2026-11-03" in long_day["detail"].iloc[0]
    assert sorted(result.routed["hours"]) == [8.0, 24.0]
    assert reasons(result).count("break") == 1


def test_hour_codes_follow_task_then_project_then_purpose_and_company_overrides():
    cfg = config(
        companies=[
            {"company_id": 54613, "organisations": [1]},
            {"company_id": 60000, "users": [42], "hour_codes": {"worked": 2200}},
        ]
    )
    rows = frame(
        row(project_id=501, task_id=9001, hours=1.0),
        row(project_id=501, task_id=5, hours=1.0),
        row(project_id=5, hours=1.0),
        row(purpose="statutory_leave", hours=1.0),
        row(purpose="sick_leave", project_id=501, hours=1.0),  # overrides are for worked hours
        row(user_id=42),
        row(user_id=42, project_id=501),
    )
    result = route_hours(rows, cfg)
    assert result.excluded.empty
    assert result.routed["hour_code"].tolist() == [2160, 2150, 2100, 3100, 3200, 2200, 2150]


def test_every_input_hour_is_routed_or_excluded_exactly_once():
    rng = np.random.default_rng(7)
    size = 50_000
    purposes = np.array(["work", "work", "work", "break", "sick_leave", "trip"])
    states = np.array(["ok"] * 8 + ["ongoing", "zero_hours"])
    big = pd.DataFrame(
        {
            "organisation_id": rng.integers(1, 6, size),
            "user_id": rng.integers(1, 400, size),
            "user_code": rng.choice(np.array(["101", "102", None, "104"], dtype=object), size),
            "user_name": "someone",
            "user_state": "active",
            "work_date": pd.Timestamp("2026-10-25")
            + pd.to_timedelta(rng.integers(0, 45, size), "D"),
            "purpose": rng.choice(purposes, size),
            "project_id": pd.array(rng.choice([None, 501, 700], size), dtype="Int64"),
            "task_id": pd.array(rng.choice([None, 9001, 9500], size), dtype="Int64"),
            "approval_status": rng.choice(np.array(["approved", "pending"], dtype=object), size),
            "entry_state": rng.choice(states, size),
            "hours": rng.uniform(0.25, 9, size).round(4),
            "entries": 1,
        }
    )
    result = route_hours(big, config(approved_only=True), period=NOV)
    assert len(result.routed) + len(result.excluded) == size
    assert result.hours_routed + result.hours_excluded == pytest.approx(big["hours"].sum())
    assert result.excluded["reason"].notna().all()
    assert set(result.excluded["reason"]) <= set(REASONS)
    assert result.routed["work_date"].between(pd.Timestamp(NOV.start), pd.Timestamp(NOV.end)).all()
    summary = summarise_exclusions(result.excluded)
    assert summary["hours"].sum() == pytest.approx(result.hours_excluded)
    assert summary["rows"].sum() == len(result.excluded)


def test_invalid_input_is_a_clear_error():
    with pytest.raises(ValueError, match="entries"):
        route_hours(frame(row()).drop(columns="entries"), config())
    with pytest.raises(ValueError, match=r"entry_state has unknown values \['running'\]"):
        route_hours(frame(row(entry_state="running")), config())
    with pytest.raises(ValueError, match="user_id has 1 empty values"):
        route_hours(frame(row(user_id=None)), config())


def test_for_company_and_excluded_for_split_by_company():
    result = route_hours(frame(row(), row(user_id=42), row(user_id=42, purpose="trip")), config())
    assert result.for_company(60000)["user_id"].tolist() == [42]
    assert result.excluded_for(60000)["reason"].tolist() == ["purpose_not_mapped"]
    assert result.excluded_for(54613).empty


def test_first_and_last_day_of_the_period_are_inside_it():
    rows = frame(
        row(work_date=dt.date(2026, 10, 31), hours=1.0),
        row(work_date=dt.date(2026, 11, 1), hours=2.0),
        row(work_date=dt.date(2026, 11, 30), hours=3.0),
        row(work_date=dt.date(2026, 12, 1), hours=4.0),
    )
    result = route_hours(rows, config(), period=NOV)
    assert result.routed["hours"].tolist() == [2.0, 3.0]
    assert result.excluded["reason"].tolist() == ["outside_period", "outside_period"]
