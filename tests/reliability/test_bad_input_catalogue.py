"""Bad-input catalogue: every bad input ends in a recorded exclusion with its reason or in a
clear error, never in a crash with a stack trace and never in a silent drop of hours.

Hours cases run through the functional core (route_hours -> match_employees -> plan_company)
and check the accounting: hours in == hours routed/planned + hours excluded, with the reason.
Only cases that need SQL use the real PostgreSQL warehouse; the two Nmbrs access cases use the
sandbox.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pandas as pd
import pendulum
import pytest
import yaml

from dev.local_warehouse import SQL_DIR, Database
from nmbrs_provider.core.config import ConfigError, load_config, parse_config
from nmbrs_provider.core.contracts import classify_contracts
from nmbrs_provider.core.matching import match_employees
from nmbrs_provider.core.periods import PayrollPeriod, PeriodError
from nmbrs_provider.core.planning import plan_company
from nmbrs_provider.core.routing import HOURS_COLUMNS, RoutingResult, route_hours
from nmbrs_provider.core.user_codes import merged_accounts
from nmbrs_provider.exceptions import NmbrsCompanyAccessError
from nmbrs_provider.hooks.nmbrs import NmbrsHook
from nmbrs_provider.timetables.payroll_period import period_of_interval
from nmbrs_sandbox.scenario import DEMO_PATH
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json
from tests.nmbrs_provider.core.test_core_routing import row  # the same hours row

NOV = PayrollPeriod.parse("2026-11-M")
COMPANY = 54613
OTHER = 60000
HOUR_MODEL = {2100, 3100}
EXTRACT = (SQL_DIR / "extract_period_hours.sql").read_text()
CONFIG = parse_config(
    {
        "hour_codes": {"worked": 2100, "purposes": {"statutory_leave": 3100, "trip": 4100}},
        "companies": [
            {"company_id": COMPANY, "organisations": [1]},
            {"company_id": OTHER, "organisations": [2]},
        ],
    },
    source="catalogue.yaml",
)


# --------------------------------------------------------------------------- builders


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(HOURS_COLUMNS))


def staff(*extra: tuple, base: bool = True) -> pd.DataFrame:
    """Classified employees of COMPANY; rows: (id, number, name, schedule, start, end)."""
    rows = [
        (501, "101", "Anna de Vries", 0.0, "2024-01-01", None),
        (502, "102", "Bram Bakker", 40.0, "2020-01-01", None),
    ]
    rows = [*(rows if base else []), *extra]
    employees = pd.DataFrame(
        {
            "employee_id": [r[0] for r in rows],
            "number": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "schedule_hours": [r[3] for r in rows],
            "salary_type": ["Bruto_Uurloon"] * len(rows),
            "days_fixed": [0.0] * len(rows),
            "start_date": pd.to_datetime([r[4] for r in rows]),
            "end_date": pd.to_datetime([r[5] for r in rows]),
        }
    )
    return classify_contracts(employees, {})


def assert_routing_accounts(result: RoutingResult, reason: str | None, hours: float) -> None:
    """Nothing lost in routing, and ``hours`` excluded with ``reason`` (None: none excluded)."""
    assert len(result.routed) + len(result.excluded) == result.rows_in
    assert result.hours_in == pytest.approx(result.hours_routed + result.hours_excluded)
    if reason is None:
        assert result.excluded.empty, result.excluded
        return
    assert set(result.excluded["reason"]) == {reason}, result.excluded
    assert result.hours_excluded == pytest.approx(hours)
    assert result.excluded["detail"].map(lambda d: isinstance(d, str) and d != "").all()


def pipeline(hours: pd.DataFrame, employees: pd.DataFrame | None = None, model=HOUR_MODEL):
    """route -> match -> plan for COMPANY; asserts the accounting of every stage."""
    routed = route_hours(hours, CONFIG, period=NOV)
    assert routed.hours_in == pytest.approx(routed.hours_routed + routed.hours_excluded)
    matched = match_employees(
        routed.for_company(COMPANY),
        staff() if employees is None else employees,
        company_id=COMPANY,
        hour_model=model,
    )
    assert matched.hours_in == pytest.approx(matched.hours_matched + matched.hours_excluded)
    excluded = pd.concat([routed.excluded, matched.excluded], ignore_index=True)
    plan = plan_company(
        COMPANY,
        NOV,
        matched.matched,
        staff() if employees is None else employees,
        {2100, 3100},
        model,
        {},
        excluded=excluded,
    )
    # everything read is planned (minus the rounding to cents) or excluded with a reason
    assert routed.hours_in == pytest.approx(
        plan.hours_planned - plan.rounding + plan.hours_excluded
    )
    return routed, matched, plan


def excluded_by_reason(matched) -> dict[str, float]:
    return matched.excluded.groupby("reason")["hours"].sum().to_dict()


# --------------------------------------------------------------------------- hours: routing

ROUTING_CASES = [
    pytest.param(
        [row(hours=-3.0, entry_state="negative_hours")], "negative_hours", -3.0, id="negative_hours"
    ),
    pytest.param(
        [row(hours=-2.5)], "negative_hours", -2.5, id="negative_hours_labelled_ok_by_source"
    ),
    pytest.param([row(hours=0.0, entry_state="zero_hours")], "zero_hours", 0.0, id="zero_hours"),
    pytest.param(
        [row(hours=math.nan, entry_state="missing_hours")],
        "missing_hours",
        0.0,
        id="nan_hours",
    ),
    pytest.param([row(hours=math.nan)], "missing_hours", 0.0, id="nan_hours_labelled_ok"),
    pytest.param(
        [row(hours=0.0, entry_state="ongoing")], "ongoing", 0.0, id="ongoing_timer_at_period_end"
    ),
    pytest.param([row(hours=25.0)], "more_than_24_hours_in_a_day", 25.0, id="absurd_25h_in_a_day"),
    pytest.param(
        [row(hours=16.0), row(hours=10.0, project_id=7)],
        "more_than_24_hours_in_a_day",
        26.0,
        id="absurd_day_split_over_two_rows",
    ),
    pytest.param(
        [row(hours=99999.99)], "more_than_24_hours_in_a_day", 99999.99, id="absurd_numeric_max"
    ),
    pytest.param([row(purpose="break", hours=0.5)], "break", 0.5, id="break"),
    pytest.param(
        [row(work_date=dt.date(2026, 10, 31)), row(work_date=dt.date(2026, 12, 1), hours=2.0)],
        "outside_period",
        10.0,
        id="entries_outside_the_period",
    ),
    pytest.param(
        [row(user_code=None, user_name="Henk")], "user_without_code", 8.0, id="user_without_code"
    ),
    pytest.param(
        [row(user_code="   ", user_name="Henk")], "user_without_code", 8.0, id="blank_user_code"
    ),
    pytest.param(
        [row(user_id=404, user_code=None, user_name=None, user_state=None)],
        "user_without_code",
        8.0,
        id="unknown_keeping_user",
    ),
    pytest.param(
        [row(), row(user_id=13, user_name="Anna de Vries (copy)", hours=3.0)],
        "duplicate_user_code",
        11.0,
        id="two_users_of_one_organisation_with_one_code",
    ),
    pytest.param([row(organisation_id=9)], "unrouted", 8.0, id="organisation_routed_nowhere"),
    pytest.param(
        [row(purpose="special_leave")], "purpose_not_mapped", 8.0, id="purpose_without_hour_code"
    ),
]


@pytest.mark.parametrize(("rows", "reason", "hours"), ROUTING_CASES)
def test_bad_hours_are_excluded_with_their_reason(rows, reason, hours):
    clean = row(user_id=12, user_code="103", work_date=dt.date(2026, 11, 20), hours=6.0)
    result = route_hours(frame(*rows, clean), CONFIG, period=NOV)
    assert_routing_accounts(result, reason, hours)
    assert result.hours_routed == pytest.approx(6.0)


def test_infinite_hours_are_a_clear_error_not_a_silent_imbalance():
    # inf - inf is NaN, which no balance check can catch: refuse the frame outright
    with pytest.raises(ValueError, match="hours holds infinite values"):
        route_hours(frame(row(hours=math.inf), row(hours=6.0, user_id=12)), CONFIG, period=NOV)


def test_duplicate_rows_are_both_counted_not_dropped():
    # the warehouse aggregates duplicate entries; two equal rows in a frame both count
    dup = row(hours=4.0, entries=2)
    _, matched, plan = pipeline(frame(dup, dup))
    assert matched.excluded.empty
    assert plan.hours_planned == pytest.approx(8.0)
    assert list(plan.days.values()) == [1]


def test_duplicates_that_add_up_to_more_than_24_hours_hold_the_day_back():
    dup = row(hours=12.5)
    result = route_hours(frame(dup, dup), CONFIG, period=NOV)
    assert_routing_accounts(result, "more_than_24_hours_in_a_day", 25.0)
    assert "25.00 h on 2026-11-03" in result.excluded["detail"].iloc[0]


def test_user_routed_to_two_companies_is_an_ambiguous_route():
    config = parse_config(
        {
            "companies": [
                {"company_id": COMPANY, "organisations": [1], "users": [11]},
                {"company_id": OTHER, "users": [11]},
            ]
        }
    )
    result = route_hours(frame(row(), row(user_id=12, user_code="103")), config, period=NOV)
    assert_routing_accounts(result, "ambiguous_route", 8.0)
    assert result.excluded["detail"].iloc[0] == f"user 11 is routed to companies {COMPANY}, {OTHER}"


def test_hours_of_an_empty_period_plan_nothing():
    routed, matched, plan = pipeline(frame())
    assert (routed.rows_in, routed.hours_in) == (0, 0.0)
    assert matched.matched.empty and matched.excluded.empty
    assert (plan.employees, plan.code_changes, plan.hours_planned) == ((), (), 0.0)


# --------------------------------------------------------------------------- hours: matching


@pytest.mark.parametrize(
    ("rows", "employees", "reason", "hours"),
    [
        pytest.param(
            [row(user_code="999")], None, "no_matching_employee", 8.0, id="code_matches_no_employee"
        ),
        pytest.param(
            [row(user_code="\uff11\uff10\uff11")],
            None,
            "no_matching_employee",
            8.0,
            id="fullwidth_digits_in_code",
        ),
        pytest.param(
            [row(user_code="106")],
            staff(
                (506, "106", "Fay Gans", 0.0, "2023-01-01", None),
                (507, "106", "Fay Gans (oud)", 0.0, "2019-01-01", "2022-12-31"),
            ),
            "ambiguous_employee",
            8.0,
            id="code_matches_two_employees",
        ),
        pytest.param(
            [
                row(user_code="105", work_date=dt.date(2026, 11, 9), hours=3.0),
                row(user_code="105", work_date=dt.date(2026, 11, 10), hours=5.0),
            ],
            staff((505, "105", "Eva Fens", 0.0, "2026-11-10", None)),
            "outside_employment",
            3.0,
            id="employee_started_mid_period",
        ),
        pytest.param(
            [
                row(user_code="105", work_date=dt.date(2026, 11, 20), hours=5.0),
                row(user_code="105", work_date=dt.date(2026, 11, 21), hours=3.0),
            ],
            staff((505, "105", "Eva Fens", 0.0, "2024-01-01", "2026-11-20")),
            "outside_employment",
            3.0,
            id="employee_left_mid_period",
        ),
        pytest.param(
            [row(user_code="102")], None, "fixed_hour_contract", 8.0, id="fixed_hour_employee"
        ),
        pytest.param(
            [row(user_code="104")],
            staff((504, "104", "Dirk Eck", math.nan, "2024-01-01", None)),
            "unknown_contract",
            8.0,
            id="employee_without_schedule",
        ),
        pytest.param(
            [row(purpose="trip", hours=2.0)],
            None,
            "hour_code_not_in_hour_model",
            2.0,
            id="hour_code_missing_from_hour_model",
        ),
    ],
)
def test_bad_matches_are_excluded_with_their_reason(rows, employees, reason, hours):
    clean = row(work_date=dt.date(2026, 11, 25), hours=6.0)
    routed, matched, plan = pipeline(frame(*rows, clean), employees)
    assert routed.excluded.empty
    assert excluded_by_reason(matched) == pytest.approx({reason: hours})
    assert matched.excluded["detail"].map(lambda d: isinstance(d, str) and d != "").all()
    assert plan.hours_excluded == pytest.approx(hours)
    assert plan.hours_planned == pytest.approx(routed.hours_in - hours)


def test_personnel_number_in_two_companies_matches_only_the_routed_company():
    other_company_staff = staff((601, "101", "Dewi Eng", 0.0, "2024-01-01", None), base=False)
    hours = frame(row(), row(organisation_id=2, user_id=31, user_code="101", hours=4.0))
    routed = route_hours(hours, CONFIG, period=NOV)
    assert_routing_accounts(routed, None, 0.0)
    for company, employee, expected in ((COMPANY, 501, 8.0), (OTHER, 601, 4.0)):
        matched = match_employees(
            routed.for_company(company),
            staff() if company == COMPANY else other_company_staff,
            company_id=company,
            hour_model=HOUR_MODEL,
        )
        assert matched.excluded.empty
        assert matched.matched["employee_id"].tolist() == [employee]
        assert matched.hours_matched == pytest.approx(expected)


def test_two_users_of_one_organisation_with_one_code_reach_no_employee():
    copy = row(user_id=13, user_name="Anna de Vries (copy)", hours=3.0)
    routed, matched, plan = pipeline(frame(row(), copy, row(user_id=12, user_code="102")))
    assert set(routed.excluded["user_id"]) == {11, 13}
    both = "users 11 (Anna de Vries) and 13 (Anna de Vries (copy))"
    assert routed.excluded["detail"].str.contains(both, regex=False).all()
    assert 501 not in {e.employee_id for e in plan.employees}  # Anna's number, 101
    assert excluded_by_reason(matched) == {"fixed_hour_contract": 8.0}  # Bram, 102
    assert plan.hours_excluded == pytest.approx(11.0 + 8.0)


def test_one_person_with_accounts_in_two_organisations_is_paid_their_sum():
    config = parse_config({"companies": [{"company_id": COMPANY, "organisations": [1, 2]}]})
    second = row(organisation_id=2, user_id=31, hours=4.0, work_date=dt.date(2026, 11, 4))
    routed = route_hours(frame(row(), second), config, period=NOV)
    assert_routing_accounts(routed, None, 0.0)
    matched = match_employees(routed.routed, staff(), company_id=COMPANY, hour_model=HOUR_MODEL)
    assert matched.matched.groupby("employee_id")["hours"].sum().to_dict() == {501: 12.0}
    assert merged_accounts(matched.matched)["user_id"].tolist() == [11, 31]


def test_non_ascii_names_are_kept_and_named_in_details():
    name = "Zoë Ğüneş-Ødegård 王芳"
    result = route_hours(
        frame(row(user_name=name), row(user_name=name, user_code=None, user_id=12, hours=2.0)),
        CONFIG,
        period=NOV,
    )
    assert_routing_accounts(result, "user_without_code", 2.0)
    assert name in result.excluded["detail"].iloc[0]
    assert result.routed["user_name"].tolist() == [name]


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        pytest.param(
            {"organisation_id": None}, "organisation_id has 1 empty", id="no_organisation"
        ),
        pytest.param({"work_date": None}, "work_date has 1 empty", id="no_work_date"),
        pytest.param({"entry_state": "paused"}, "entry_state has unknown", id="unknown_state"),
    ],
)
def test_structurally_broken_hours_frame_is_a_clear_error(values, fragment):
    with pytest.raises(ValueError, match=f"hours frame is invalid: {fragment}"):
        route_hours(frame(row(), row(**values)), CONFIG, period=NOV)


# --------------------------------------------------------------------------- time zones


def test_timezone_aware_work_date_is_a_clear_error():
    late = pd.Timestamp("2026-12-01T00:30:00", tz="Europe/Amsterdam")  # 23:30 UTC on 30 Nov
    with pytest.raises(ValueError, match="work_date"):
        route_hours(frame(row(), row(work_date=late)), CONFIG, period=NOV)


def test_period_boundaries_are_calendar_dates_in_sql_and_core(warehouse_db: Database):
    add_entries(
        warehouse_db,
        *(
            {"date": day, "hours": h}
            for day, h in (
                ("2026-10-31", "1.00"),
                ("2026-11-01", "2.00"),
                ("2026-11-30", "3.00"),
                ("2026-12-01", "4.00"),
            )
        ),
    )
    rows = extract(warehouse_db, NOV)
    assert [(r["work_date"], r["hours"]) for r in rows] == [
        (dt.date(2026, 11, 1), Decimal("2.00")),
        (dt.date(2026, 11, 30), Decimal("3.00")),
    ]
    # the core draws the same line when the frame holds more than the period
    days = [
        dt.date(2026, 10, 31),
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 1),
    ]
    result = route_hours(
        frame(
            *(row(work_date=d, hours=h) for d, h in zip(days, (1.0, 2.0, 3.0, 4.0), strict=True))
        ),
        CONFIG,
        period=NOV,
    )
    assert_routing_accounts(result, "outside_period", 5.0)
    assert sorted(result.routed["work_date"].dt.date) == [
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
    ]


@pytest.mark.parametrize(
    ("start", "end", "kind", "expected"),
    [
        pytest.param(
            "2026-09-30T22:00:00+00:00", "2026-10-31T23:00:00+00:00", "M", "2026-10-M",
            id="october_month_ends_after_dst_change",
        ),
        pytest.param(
            "2026-10-31T23:00:00+00:00", "2026-11-30T23:00:00+00:00", "M", "2026-11-M",
            id="november_month_starts_23h_utc",
        ),
        pytest.param(
            "2026-10-18T22:00:00+00:00", "2026-10-25T23:00:00+00:00", "W", "2026-43-W",
            id="week_containing_dst_change",
        ),
    ],
)  # fmt: skip
def test_utc_data_interval_around_dst_maps_to_the_right_period(start, end, kind, expected):
    period = period_of_interval(
        pendulum.parse(start), kind, "Europe/Amsterdam", data_interval_end=pendulum.parse(end)
    )
    assert str(period) == expected


def test_utc_midnight_is_not_a_period_start_in_amsterdam():
    start = pendulum.datetime(2026, 11, 1, tz="UTC")  # 01:00 in Amsterdam
    with pytest.raises(PeriodError, match="not the start of a M payroll period"):
        period_of_interval(start, "M", "Europe/Amsterdam")
    assert str(period_of_interval(start, "M", "Europe/Amsterdam", strict=False)) == "2026-11-M"
    # 22:59 UTC on 31 October is 23:59 local: still October
    late = pendulum.datetime(2026, 10, 31, 22, 59, tz="UTC")
    assert str(period_of_interval(late, "M", "Europe/Amsterdam", strict=False)) == "2026-10-M"


# --------------------------------------------------------------------------- periods, config


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("2026-13-M", "number must be 1..12", id="period_month_13"),
        pytest.param("2026-0-M", "number must be 1..12", id="period_number_0"),
        pytest.param("2025-53-W", "number must be 1..52", id="period_week_53_in_52_week_year"),
        pytest.param("2026-14-4W", "number must be 1..13", id="period_4w_14"),
        pytest.param("2026-11", "cannot parse", id="period_without_type"),
        pytest.param("november 2026", "cannot parse", id="period_in_words"),
        pytest.param("2026-11-X", "unknown period type", id="period_unknown_type"),
        pytest.param("", "cannot parse", id="period_empty_string"),
        pytest.param(None, "cannot parse", id="period_none"),
        pytest.param("2026\u221211\u2212M", "cannot parse", id="period_unicode_minus"),
    ],
)
def test_malformed_period_strings_are_clear_errors(text, fragment):
    with pytest.raises(PeriodError, match=fragment) as err:
        PayrollPeriod.parse(text)
    assert "expected YEAR-NUMBER-TYPE" in str(err.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("companies: [\n  {company_id: 1\n", "not valid YAML: line", id="yaml_syntax"),
        pytest.param("- just\n- a list\n", "(top level)", id="yaml_not_a_mapping"),
        pytest.param("companies:\n  - company_id: abc\n", "company_id", id="company_id_not_int"),
        pytest.param(
            "companies:\n  - company_id: 1\n    period_type: Q\n", "period_type", id="bad_type"
        ),
        pytest.param("", "(top level)", id="empty_config_file"),
    ],
)
def test_malformed_config_file_is_a_clear_error(tmp_path, text, fragment):
    path = tmp_path / "sync.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert fragment in str(err.value)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read file"):
        load_config(tmp_path / "nope.yaml")


# --------------------------------------------------------------------------- Nmbrs access


def test_company_missing_from_nmbrs_is_named(nmbrs_sandbox, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_NMBRS_CATALOGUE", nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER)
    )
    with pytest.raises(NmbrsCompanyAccessError, match="Company 99999 is unknown or not visible"):
        NmbrsHook("nmbrs_catalogue").get_hour_codes(99999)


def test_company_not_visible_to_the_token_is_named(nmbrs_sandbox_factory, monkeypatch):
    data = yaml.safe_load(DEMO_PATH.read_text(encoding="utf-8"))
    data["accounts"][0]["companies"] = [COMPANY]
    sandbox = nmbrs_sandbox_factory(data)
    monkeypatch.setenv("AIRFLOW_CONN_NMBRS_CATALOGUE", nmbrs_conn_json(sandbox.url, *DEMO_USER))
    hook = NmbrsHook("nmbrs_catalogue")
    assert [c.id for c in hook.list_companies()] == [COMPANY]
    with pytest.raises(NmbrsCompanyAccessError, match="Company 54614 is unknown or not visible"):
        hook.get_current_period(54614)


# --------------------------------------------------------------------------- warehouse


def add_user(db: Database, user_id: int, code: str | None, first: str, surname: str) -> None:
    db.execute(
        "insert into keeping.users (id, organisation_id, code, first_name, surname)"
        " values (%(id)s, 1, %(code)s, %(first)s, %(surname)s)",
        {"id": user_id, "code": code, "first": first, "surname": surname},
    )


def add_entries(db: Database, *entries: dict[str, Any]) -> None:
    (start,) = db.query("select coalesce(max(id), 0) from keeping.time_entries")[0]
    for n, entry in enumerate(entries, start=start + 1):
        values = {
            "id": n,
            "user_id": 1,
            "date": "2026-11-10",
            "purpose": "work",
            "hours": "4.00",
            "ongoing": False,
            "note": None,
        } | entry
        db.execute(
            "insert into keeping.time_entries (id, organisation_id, user_id, date, purpose,"
            " hours, ongoing, note, approval_status) values (%(id)s, 1, %(user_id)s, %(date)s,"
            " %(purpose)s, %(hours)s, %(ongoing)s, %(note)s, 'approved')",
            values,
        )


def extract(db: Database, period: PayrollPeriod) -> list[dict[str, Any]]:
    return db.query_dicts(
        EXTRACT,
        {
            "organisation_ids": [1],
            "user_ids": [],
            "project_ids": [],
            "task_ids": [],
            "period_start": period.start,
            "period_end": period.end,
        },
    )


def test_non_ascii_and_very_long_notes_and_duplicates_survive_the_warehouse(warehouse_db):
    add_user(warehouse_db, 1, "101", "Zoë", "Ødegård")
    add_user(warehouse_db, 2, "999", "Łukasz", "Żółć")
    long_note = "Überstunden \u2013 café ☕ " * 10_000  # ~200k characters
    add_entries(
        warehouse_db,
        {"note": long_note, "hours": "3.25"},
        {"note": "dubbel ingevoerd", "hours": "4.00"},
        {"note": "dubbel ingevoerd", "hours": "4.00"},  # duplicate entry
        {"user_id": 2, "note": "日本語のメモ", "hours": "2.00"},
        {"user_id": 3, "note": "unknown user", "hours": "1.50"},
        {"ongoing": True, "hours": None, "date": "2026-11-30"},
    )
    rows = extract(warehouse_db, NOV)
    hours = pd.DataFrame(rows, columns=list(HOURS_COLUMNS))
    assert sum(r["hours"] for r in rows) == Decimal("14.75")
    assert hours.loc[hours["entry_state"].eq("ok"), "entries"].tolist() == [3, 1, 1]
    assert hours["user_name"].tolist()[:2] == ["Zoë Ødegård", "Zoë Ødegård"]

    routed, matched, plan = pipeline(hours)
    assert dict(routed.excluded.groupby("reason")["hours"].sum()) == pytest.approx(
        {"ongoing": 0.0, "user_without_code": 1.5}
    )
    assert excluded_by_reason(matched) == pytest.approx({"no_matching_employee": 2.0})
    assert plan.hours_planned == pytest.approx(11.25)
