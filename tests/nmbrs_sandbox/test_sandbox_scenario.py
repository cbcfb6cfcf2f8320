"""Scenario files: loading, and clear errors for mistakes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nmbrs_sandbox import Sandbox, Scenario, ScenarioError
from tests.nmbrs_sandbox.sandbox_api import Api, demo_data


def test_demo_universe() -> None:
    scenario = Scenario.demo()

    assert [a.username for a in scenario.accounts] == ["demo@example.com", "limited@example.com"]
    limited = scenario.accounts[1]
    assert not limited.may_call("EmployeeService", "DaysVar_Set_Batch")
    assert limited.may_call("EmployeeService", "HourComponentVar_Insert_Batch")
    employees = {e.id: e for c in scenario.companies for e in c.employees}
    assert sorted(employees) == [500001, 500002, 500003, 500004, 600001, 600002, 600003]
    assert employees[600003].start_date.isoformat() == "2026-11-10"


def test_json_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(demo_data(), default=str))

    with Sandbox(path) as sandbox:
        assert Api(sandbox.url).company("Company_GetCurrentPeriod", CompanyId=54614) == "2026-11-M"


def _broken(change) -> dict:
    data = demo_data()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["companies"][0].update(colour="red"), "unknown ['colour']"),
        (lambda d: d["companies"][0].update(current_period="2026-13"), "not a valid M period"),
        (lambda d: d["companies"][0].update(period_type="Q"), "period_type"),
        (lambda d: d["accounts"][0].update(companies=[1]), "unknown companies [1]"),
        (lambda d: d["accounts"][0].update(permissions=["EmployeeService.Nope"]), "Nope"),
        (lambda d: d["companies"][1]["employees"][2].update(id=500001), "duplicate employee id"),
        (lambda d: d["companies"][0]["employees"][1].update(number=101), "personnel number"),
        (
            lambda d: d["companies"][0]["employees"][3]["hour_components"]["2026-11"][0].update(
                hour_code=1
            ),
            "not in the company's hour model",
        ),
        (lambda d: d["companies"][0]["runs"][0].update(employees=[600001]), "not employees"),
        (
            lambda d: d["companies"][0]["employees"][0]["salaries"][0].update(type="Bonus"),
            "Bonus",
        ),
    ],
)
def test_mistakes_are_reported(change, message: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(message)):
        Scenario.from_dict(_broken(change))


def test_salary_type_may_be_given_as_its_number() -> None:
    data = demo_data()
    data["companies"][0]["employees"][0]["salaries"][0]["type"] = 3

    employee = Scenario.from_dict(data).companies[0].employees[0]

    assert employee.salaries[0].type == 3
