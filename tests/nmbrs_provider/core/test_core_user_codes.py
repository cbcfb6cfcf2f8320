"""Keeping users sharing one code: excluded within an organisation, added up across them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from nmbrs_provider.core.config import parse_config
from nmbrs_provider.core.contracts import classify_contracts
from nmbrs_provider.core.matching import match_employees
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import plan_company
from nmbrs_provider.core.routing import HOURS_COLUMNS, RoutingError, route_hours
from nmbrs_provider.core.user_codes import (
    describe_merged,
    merged_accounts,
    shared_user_codes,
    user_numbers,
)

NOV = PayrollPeriod.parse("2026-11-M")
HORECA, EVENTS = 54613, 54614
CONFIG = {
    "companies": [
        {"company_id": HORECA, "organisations": [1, 2]},
        {"company_id": EVENTS, "organisations": [3], "users": [13]},
    ]
}
ANNA = {"user_id": 11, "user_code": "101", "user_name": "Anna de Vries"}
ANNE = {"user_id": 12, "user_code": "101", "user_name": "Anne de Vries"}  # typo'd or copied


def config(**routing):
    return parse_config({**CONFIG, "routing": routing}, source="test.yaml")


def row(**values) -> dict:
    base = {
        "organisation_id": 1,
        **ANNA,
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
    return base | values


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(HOURS_COLUMNS))


def staff() -> pd.DataFrame:
    employees = pd.DataFrame(
        {
            "employee_id": [501, 502],
            "number": ["101", "102"],
            "name": ["Anna de Vries", "Bram Bakker"],
            "schedule_hours": [0.0, 0.0],
            "salary_type": ["Bruto_Uurloon"] * 2,
            "days_fixed": [0.0, 0.0],
            "start_date": pd.to_datetime(["2024-01-01"] * 2),
            "end_date": pd.to_datetime([None, None]),
        }
    )
    return classify_contracts(employees, {})


BRAM = row(user_id=21, user_code="102", user_name="Bram Bakker", hours=6.0)


def test_two_users_of_one_organisation_with_one_code_are_both_excluded_naming_both():
    hours = frame(
        row(hours=8.0),
        row(hours=4.0, work_date=dt.date(2026, 11, 4)),
        row(**ANNE, hours=5.0),
        BRAM,
    )
    result = route_hours(hours, config(), period=NOV)

    assert result.routed["user_id"].tolist() == [21]
    assert set(result.excluded["reason"]) == {"duplicate_user_code"}
    assert sorted(result.excluded["user_id"]) == [11, 11, 12]
    assert result.hours_excluded == pytest.approx(17.0)
    assert result.hours_in == pytest.approx(result.hours_routed + result.hours_excluded)
    (detail,) = set(result.excluded["detail"])
    assert detail == (
        "Keeping users 11 (Anna de Vries) and 12 (Anne de Vries) of organisation 1 share "
        f"user code '101' (one personnel number in company {HORECA}): none of their hours "
        "are sent until each has their own code"
    )
    assert result.excluded["company_id"].tolist() == [HORECA] * 3


def test_the_employee_of_the_shared_code_gets_none_of_their_hours():
    hours = frame(row(hours=8.0), row(**ANNE, hours=5.0), BRAM)
    routed = route_hours(hours, config(), period=NOV)
    match = match_employees(
        routed.for_company(HORECA), staff(), company_id=HORECA, hour_model={2100}
    )
    excluded = pd.concat([routed.excluded_for(HORECA), match.excluded], ignore_index=True)
    plan = plan_company(
        HORECA,
        NOV,
        match.matched,
        staff(),
        {2100},
        {2100},
        {},
        excluded=excluded,
    )
    assert [e.employee_id for e in plan.employees] == [502]
    assert plan.hours_planned == pytest.approx(6.0)
    assert plan.hours_excluded == pytest.approx(13.0)
    assert plan.hours_in == pytest.approx(routed.hours_in)


def test_three_users_sharing_a_code_are_all_named():
    hours = frame(row(), row(**ANNE), row(user_id=14, user_code="101", user_name=None))
    result = route_hours(hours, config(), period=NOV)
    assert result.routed.empty
    detail = result.excluded["detail"].iloc[0]
    assert detail.startswith("Keeping users 11 (Anna de Vries), 12 (Anne de Vries) and 14 (?) of")


@pytest.mark.parametrize(
    ("code", "shared"),
    [
        pytest.param(" 101 ", True, id="surrounding_spaces_are_stripped"),
        pytest.param("101\t", True, id="tab_is_stripped"),
        pytest.param("0101", False, id="leading_zero_is_another_number"),
        pytest.param("101a", False, id="different_text"),
    ],
)
def test_codes_compare_as_employee_matching_compares_personnel_numbers(code, shared):
    hours = frame(row(), row(**{**ANNE, "user_code": code}))
    result = route_hours(hours, config(), period=NOV)
    assert (set(result.excluded["reason"]) == {"duplicate_user_code"}) is shared
    assert len(result.excluded) == (2 if shared else 0)


def test_user_numbers_are_the_personnel_numbers_matching_compares():
    codes = pd.Series([" 101 ", None, float("nan"), 7.0, "  ", "101", pd.NA], index=range(3, 10))
    numbers = user_numbers(codes)
    assert numbers.tolist() == ["101", None, None, "7", None, "101", None]
    assert numbers.index.tolist() == list(range(3, 10))


def test_case_differences_are_not_shared_codes_because_matching_is_case_sensitive():
    hours = frame(row(user_code="A1"), row(**{**ANNE, "user_code": "a1"}))
    assert shared_user_codes(route_hours(hours, config()).routed).isna().all()
    staff_a1 = staff().assign(number=["A1", "102"])
    routed = route_hours(hours, config(), period=NOV)
    match = match_employees(routed.routed, staff_a1, company_id=HORECA, hour_model={2100})
    assert match.matched["user_id"].tolist() == [11]  # only one of them reaches employee A1
    assert match.excluded["reason"].tolist() == ["no_matching_employee"]


def test_blank_codes_are_users_without_code_not_shared_codes():
    hours = frame(row(user_code=None), row(**{**ANNE, "user_code": "  "}))
    result = route_hours(hours, config(), period=NOV)
    assert result.excluded["reason"].tolist() == ["user_without_code"] * 2


def test_earlier_reasons_keep_their_rows_and_an_unsendable_account_still_counts():
    hours = frame(
        row(hours=8.0),
        row(**ANNE, purpose="break", hours=0.5),
        row(**ANNE, entry_state="ongoing", hours=0.0, work_date=dt.date(2026, 11, 30)),
    )
    result = route_hours(hours, config(), period=NOV)
    assert result.routed.empty
    by_reason = result.excluded.groupby("reason")["user_id"].agg(list).to_dict()
    assert by_reason == {"break": [12], "duplicate_user_code": [11], "ongoing": [12]}


def test_one_code_in_one_organisation_but_two_companies_is_no_duplicate():
    # personnel numbers are per Nmbrs company: user 13 is routed to EVENTS by a user rule
    other = row(user_id=13, user_code="101", user_name="Anna Events", hours=3.0)
    result = route_hours(frame(row(), other), config(), period=NOV)
    assert result.excluded.empty
    assert dict(zip(result.routed["user_id"], result.routed["company_id"], strict=True)) == {
        11: HORECA,
        13: EVENTS,
    }


def test_accounts_in_two_organisations_add_up_for_one_employee_and_are_listed():
    second = row(organisation_id=2, user_id=31, hours=4.0, user_name="Anna de Vries (events)")
    routed = route_hours(frame(row(), second, BRAM), config(), period=NOV)
    assert routed.excluded.empty
    match = match_employees(routed.routed, staff(), company_id=HORECA, hour_model={2100})
    assert match.matched.groupby("employee_id")["hours"].sum().to_dict() == {501: 12.0, 502: 6.0}

    merged = merged_accounts(match.matched)
    assert merged[["employee_id", "organisation_id", "user_id", "hours"]].values.tolist() == [
        [501, 1, 11, 8.0],
        [501, 2, 31, 4.0],
    ]
    assert describe_merged(merged) == [
        {
            "employee_id": 501,
            "employee_number": "101",
            "employee_name": "Anna de Vries",
            "hours": 12.0,
            "accounts": [
                {"organisation_id": 1, "user_id": 11, "user_name": "Anna de Vries", "hours": 8.0},
                {
                    "organisation_id": 2,
                    "user_id": 31,
                    "user_name": "Anna de Vries (events)",
                    "hours": 4.0,
                },
            ],
        }
    ]


def test_no_merged_accounts_without_an_employee_of_several_users():
    routed = route_hours(frame(row(), BRAM), config(), period=NOV)
    match = match_employees(routed.routed, staff(), company_id=HORECA, hour_model={2100})
    assert merged_accounts(match.matched).empty
    assert describe_merged(merged_accounts(match.matched.iloc[:0])) == []


def test_ambiguous_policy_fail_refuses_shared_codes_naming_both_users():
    hours = frame(row(hours=8.0), row(**ANNE, hours=5.0), BRAM)
    with pytest.raises(RoutingError) as caught:
        route_hours(hours, config(ambiguous="fail"), period=NOV)
    offending = caught.value.offending
    assert offending[["reason", "user_id", "hours"]].values.tolist() == [
        ["duplicate_user_code", 11, 8.0],
        ["duplicate_user_code", 12, 5.0],
    ]
    message = str(caught.value)
    assert "13.00 hours of 2 users cannot be sent" in message
    assert "user 11 Anna de Vries" in message and "user 12 Anne de Vries" in message
    # the unmatched policy alone does not cover shared codes
    assert len(route_hours(hours, config(unmatched="fail"), period=NOV).excluded) == 2


def test_ambiguous_policy_fail_ignores_shared_codes_with_nothing_to_send():
    hours = frame(row(entry_state="ongoing", hours=0.0), row(**ANNE, purpose="break", hours=1.0))
    result = route_hours(hours, config(ambiguous="fail"), period=NOV)
    assert sorted(result.excluded["reason"]) == ["break", "ongoing"]
