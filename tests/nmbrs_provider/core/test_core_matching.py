from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from nmbrs_provider.core.config import parse_config
from nmbrs_provider.core.contracts import classify_contracts
from nmbrs_provider.core.matching import match_employees
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.routing import HOURS_COLUMNS, route_hours

NOV = PayrollPeriod.parse("2026-11-M")
CONFIG = parse_config(
    {
        "hour_codes": {"purposes": {"statutory_leave": 3100, "trip": 4100}},
        "companies": [{"company_id": 54613, "organisations": [1]}],
    }
)
HOUR_MODEL = {2100, 3100}


def staff() -> pd.DataFrame:
    # number, name, schedule, salary type, days fixed, start, end
    rows = [
        ("101", "Anna de Vries", 0.0, "Bruto_Uurloon", 0.0, "2024-01-01", None),
        ("102", "Bram Bakker", 40.0, "Bruto_Salaris_Fulltime", 5.0, "2020-01-01", None),
        ("103", "Cor Dekker", 0.0, "Bruto_Salaris_Fulltime", 0.0, "2022-01-01", None),
        ("104", "Dirk Eck", math.nan, None, math.nan, "2022-01-01", None),
        ("105", "Eva Fens", 0.0, "Bruto_Uurloon", 0.0, "2026-11-10", "2026-11-20"),
        ("106", "Fay Gans", 0.0, "Bruto_Uurloon", 0.0, "2023-01-01", None),
        ("106", "Fay Gans (old)", 0.0, "Bruto_Uurloon", 0.0, "2019-01-01", "2022-12-31"),
    ]
    frame = pd.DataFrame(
        {
            "employee_id": [501, 502, 503, 504, 505, 506, 507],
            "number": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "schedule_hours": [r[2] for r in rows],
            "salary_type": [r[3] for r in rows],
            "days_fixed": [r[4] for r in rows],
            "start_date": pd.to_datetime([r[5] for r in rows]),
            "end_date": pd.to_datetime([r[6] for r in rows]),
        }
    )
    return classify_contracts(frame, {})


def hours_row(code: str, day: int = 3, hours: float = 8.0, purpose: str = "work") -> dict:
    return {
        "organisation_id": 1,
        "user_id": int(code.strip()) if code.strip().isdigit() else 999,
        "user_code": code,
        "user_name": f"user {code}",
        "user_state": "active",
        "work_date": dt.date(2026, 11, day),
        "purpose": purpose,
        "project_id": None,
        "task_id": None,
        "approval_status": "approved",
        "entry_state": "ok",
        "hours": hours,
        "entries": 1,
    }


def match(*rows: dict):
    routed = route_hours(pd.DataFrame(list(rows), columns=list(HOURS_COLUMNS)), CONFIG, period=NOV)
    assert routed.excluded.empty, routed.excluded
    return match_employees(
        routed.for_company(54613), staff(), company_id=54613, hour_model=HOUR_MODEL
    )


def test_flexible_employee_hours_are_matched_by_personnel_number():
    result = match(hours_row("101"), hours_row(" 101 ", day=4, hours=2.5))
    assert result.excluded.empty
    assert result.matched["employee_id"].tolist() == [501, 501]
    assert result.matched["employee_number"].tolist() == ["101", "101"]
    assert result.matched["employee_name"].tolist() == ["Anna de Vries"] * 2
    assert result.matched["contract"].tolist() == ["flexible", "flexible"]
    assert result.hours_matched == pytest.approx(10.5)


@pytest.mark.parametrize(
    ("row", "reason", "detail"),
    [
        (hours_row("999"), "no_matching_employee", "no employee with personnel number '999'"),
        (hours_row("106"), "ambiguous_employee", "employees 506, 507 of company 54613 share"),
        (hours_row("105", day=3), "outside_employment", "before the employment start 2026-11-10"),
        (hours_row("105", day=21), "outside_employment", "after the employment end 2026-11-20"),
        (hours_row("102"), "fixed_hour_contract", "sending would pay twice"),
        (hours_row("103"), "disputed_contract", "salary type Bruto_Salaris_Fulltime"),
        (hours_row("104"), "unknown_contract", "no schedule in Nmbrs"),
        (
            hours_row("101", purpose="trip"),
            "hour_code_not_in_hour_model",
            "hour code 4100 is not in the hour model of company 54613",
        ),
    ],
)
def test_each_matching_exclusion_reason(row, reason, detail):
    result = match(row)
    assert result.matched.empty
    (excluded,) = result.excluded.to_dict("records")
    assert excluded["reason"] == reason
    assert detail in excluded["detail"]
    assert excluded["company_id"] == 54613
    assert excluded["hours"] == 8.0


def test_employment_bounds_are_inclusive():
    result = match(hours_row("105", day=10), hours_row("105", day=20))
    assert result.excluded.empty
    assert len(result.matched) == 2


def test_matched_plus_excluded_equals_input_and_columns_line_up_with_routing():
    result = match(hours_row("101"), hours_row("102"), hours_row("999", day=5, hours=3.0))
    assert result.hours_in == pytest.approx(19.0)
    assert result.hours_matched + result.hours_excluded == pytest.approx(19.0)
    routing_excluded = route_hours(
        pd.DataFrame([hours_row("101", purpose="break")], columns=list(HOURS_COLUMNS)), CONFIG
    ).excluded
    assert list(result.excluded.columns) == list(routing_excluded.columns)


def test_rows_of_another_company_and_unclassified_employees_are_errors():
    routed = route_hours(
        pd.DataFrame([hours_row("101")], columns=list(HOURS_COLUMNS)), CONFIG
    ).routed
    with pytest.raises(ValueError, match="include companies"):
        match_employees(routed, staff(), company_id=1, hour_model=HOUR_MODEL)
    with pytest.raises(ValueError, match="classify_contracts"):
        match_employees(
            routed,
            staff().drop(columns=["contract"]),
            company_id=54613,
            hour_model=HOUR_MODEL,
        )
