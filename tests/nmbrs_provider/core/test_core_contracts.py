from __future__ import annotations

import math

import pandas as pd
import pytest

from nmbrs_provider.core.contracts import classify_contracts, unused_overrides

NAN = math.nan


def employees(*rows: tuple) -> pd.DataFrame:
    """rows: (number, schedule_hours, salary_type, days_fixed)."""
    return pd.DataFrame(
        {
            "employee_id": [1000 + i for i in range(len(rows))],
            "number": [r[0] for r in rows],
            "name": [f"Employee {r[0]}" for r in rows],
            "schedule_hours": [r[1] for r in rows],
            "salary_type": [r[2] for r in rows],
            "days_fixed": [r[3] for r in rows],
            "start_date": pd.to_datetime(["2024-01-01"] * len(rows)),
            "end_date": pd.to_datetime([None] * len(rows)),
        }
    )


@pytest.mark.parametrize(
    ("schedule", "salary", "days", "contract", "reason"),
    [
        (40.0, "Bruto_Uurloon", 0.0, "fixed", "schedule has 40.0 h/2 weeks"),
        (16.0, None, NAN, "fixed", "schedule has 16.0 h/2 weeks"),
        (0.0, "Bruto_Uurloon", 0.0, "flexible", "zero schedule, hourly wage, no fixed days"),
        (0.0, "Netto_Uurloon_incl_looncomp", NAN, "flexible", "hourly wage, fixed days unknown"),
        (0.0, None, NAN, "flexible", "zero schedule, salary type unknown, fixed days unknown"),
        (0.0, "None", 0.0, "flexible", "salary type unknown, no fixed days"),
        (
            0.0,
            "Bruto_Salaris_Fulltime",
            0.0,
            "disputed",
            "zero schedule but salary type Bruto_Salaris_Fulltime: add a contract override",
        ),
        (0.0, "Bruto_Uurloon", 3.0, "disputed", "zero schedule but 3 fixed days"),
        (
            0.0,
            "Bruto_Salaris_Partime",
            2.0,
            "disputed",
            "salary type Bruto_Salaris_Partime and 2 fixed days",
        ),
        (NAN, "Bruto_Uurloon", 0.0, "unknown", "no schedule in Nmbrs for the period"),
        (NAN, None, NAN, "unknown", "add a contract override"),
        (-8.0, "Bruto_Uurloon", 0.0, "unknown", "negative hours"),
        (0.0, "Bruto_Uurloon", -1.0, "unknown", "negative fixed days"),
    ],
)
def test_classification_matrix(schedule, salary, days, contract, reason):
    out = classify_contracts(employees(("101", schedule, salary, days)), {})
    assert out.loc[0, "contract"] == contract
    assert reason in out.loc[0, "contract_reason"]


def test_override_settles_every_signal_by_personnel_number():
    frame = employees(
        ("101", 0.0, "Bruto_Salaris_Fulltime", 0.0),
        ("102", 0.0, "Bruto_Uurloon", 0.0),
        ("103", NAN, None, NAN),
        (104, 40.0, "Bruto_Uurloon", 5.0),
    )
    out = classify_contracts(
        frame, {"101": "flexible", " 102 ": "fixed", "103": "flexible", "104": "flexible"}
    )
    assert out["contract"].tolist() == ["flexible", "fixed", "flexible", "flexible"]
    assert all(r.startswith("override in config") for r in out["contract_reason"])


def test_input_is_not_modified_and_rows_keep_their_order():
    frame = employees(("101", 0.0, "Bruto_Uurloon", 0.0), ("102", 40.0, None, NAN))
    before = frame.copy()
    out = classify_contracts(frame, None)
    pd.testing.assert_frame_equal(frame, before)
    assert out["number"].tolist() == ["101", "102"]
    assert out["contract"].tolist() == ["flexible", "fixed"]


def test_missing_columns_and_bad_overrides_are_clear_errors():
    with pytest.raises(ValueError, match="schedule_hours"):
        classify_contracts(employees(("101", 0.0, None, 0.0)).drop(columns="schedule_hours"))
    with pytest.raises(ValueError, match="'zero-hour'"):
        classify_contracts(employees(("101", 0.0, None, 0.0)), {"101": "zero-hour"})


def test_unused_overrides_reveal_typos():
    frame = employees(("101", 0.0, None, 0.0), ("102", 0.0, None, 0.0))
    assert unused_overrides(frame, {"101": "fixed", "1o2": "flexible"}) == ["1o2"]
