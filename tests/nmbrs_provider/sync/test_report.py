"""The run report: hours per company, exclusions by reason, merged accounts."""

from __future__ import annotations

from nmbrs_provider.sync.report import render_results

RESULT = {
    "company_id": 54613,
    "period": "2026-11-M",
    "status": "succeeded",
    "hours_read": 30.0,
    "hours_sent": 12.0,
    "hours_excluded": 18.0,
    "employees_written": 1,
    "employees_unchanged": 0,
    "excluded_by_reason": {"duplicate_user_code": 18.0},
}
MERGED = {
    "employee_id": 501,
    "employee_number": "101",
    "employee_name": "Anna de Vries",
    "hours": 12.0,
    "accounts": [
        {"organisation_id": 1, "user_id": 11, "user_name": "Anna de Vries", "hours": 8.0},
        {"organisation_id": 2, "user_id": 31, "user_name": "Anna (events)", "hours": 4.0},
    ],
}


def test_report_lists_exclusions_and_says_when_accounts_were_added_up():
    text = render_results([{**RESULT, "merged_accounts": [MERGED]}])
    assert text.splitlines() == [
        "Company 54613 2026-11-M: succeeded - read 30.00 h = sent 12.00 h + excluded 18.00 h; "
        "1 employees written, 0 unchanged",
        "    excluded    18.00 h  duplicate_user_code",
        "    merged accounts: 1 employees get the hours of Keeping users of several "
        "organisations with their personnel number, added up",
        "      employee 101 (Anna de Vries) 12.00 h = user 11 (Anna de Vries, organisation 1) "
        "8.00 h, user 31 (Anna (events), organisation 2) 4.00 h",
    ]


def test_report_without_merged_accounts_says_nothing_about_them():
    assert "merged" not in render_results([RESULT])
    assert "merged" not in render_results([{**RESULT, "merged_accounts": []}])
