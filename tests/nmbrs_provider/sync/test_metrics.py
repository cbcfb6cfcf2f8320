"""The metrics of a company run that failed or was skipped: no totals, but its calls."""

from __future__ import annotations

from nmbrs_provider.soap.call_stats import CallStats
from nmbrs_provider.sync.metrics import company_run_metrics


def test_a_failed_run_reports_its_calls_and_duration_but_no_totals():
    calls = CallStats()
    calls.sent("CompanyService", "Company_GetCurrentPeriod")
    calls.sent("CompanyService", "Company_GetCurrentPeriod")
    calls.retried("CompanyService", "Company_GetCurrentPeriod")
    metrics = company_run_metrics(54613, None, calls, 2.5)
    assert {(m.kind, m.name, m.value) for m in metrics} == {
        ("incr", "nmbrs_sync.runs", 1),
        ("timing", "nmbrs_sync.run_duration", 2.5),
        ("incr", "nmbrs_sync.nmbrs_calls", 2),
        ("incr", "nmbrs_sync.retries", 1),
    }
    assert all(m.tags["company_id"] == "54613" and m.tags["status"] == "failed" for m in metrics)


def test_a_skipped_run_reports_no_hours():
    result = {"status": "skipped", "hours_read": 0.0, "excluded_by_reason": {}}
    names = {m.name for m in company_run_metrics(54613, result, CallStats(), 0.1)}
    assert names == {"nmbrs_sync.runs", "nmbrs_sync.run_duration"}
