from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from nmbrs_provider.core.batching import chunked
from nmbrs_provider.core.holdings import CodeChange, Holding, HourComponent
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import BalanceError, check_balance, plan_company, round_hours
from nmbrs_provider.core.verification import sent_hours, verify

NOV = PayrollPeriod.parse("2026-11-M")
OWNED = {2100, 3100}  # worked hours, statutory leave
HOUR_MODEL = {2100, 3100, 5000}  # 5000: a code HR enters by hand
ANNA, BRAM, COR, DIRK = 501, 502, 503, 504
D = Decimal


def employees() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "employee_id": [ANNA, BRAM, COR, DIRK],
            "number": ["101", "102", "103", "104"],
            "name": ["Anna de Vries", "Bram Bakker", "Cor Dekker", "Dirk Eck"],
            "contract": ["flexible", "fixed", "flexible", "flexible"],
        }
    )


def hours(*rows: tuple) -> pd.DataFrame:
    """rows: (employee_id, hour_code, day of November, hours, purpose)."""
    return pd.DataFrame(
        {
            "employee_id": [r[0] for r in rows],
            "hour_code": [r[1] for r in rows],
            "work_date": pd.to_datetime([dt.date(2026, 11, r[2]) for r in rows]),
            "hours": [r[3] for r in rows],
            "purpose": [r[4] for r in rows],
        },
        columns=["employee_id", "hour_code", "work_date", "hours", "purpose"],
    )


def components(*rows: tuple) -> list[tuple]:
    """rows: (employee_id, component_id, hour_code, hours)."""
    return list(rows)


def holdings(rows: list[tuple], days: dict | None = None) -> dict:
    """What Nmbrs holds per employee: components from ``rows`` (see :func:`components`)."""
    held: dict = {e: [] for e in days or {}}
    for employee_id, component_id, code, value in rows:
        hours = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
        held.setdefault(employee_id, []).append(HourComponent(component_id, code, hours))
    return {e: Holding(tuple(c), (days or {}).get(e)) for e, c in held.items()}


def adds(x) -> tuple:
    """(employee, hour code, hours added, comment) of each change that adds a component."""
    plans = x.employees if hasattr(x, "employees") else [x]
    return tuple(
        (e.employee_id, c.hour_code, c.difference if c.correction else c.hours, c.comment)
        for e in plans
        for c in e.changes
        if (c.difference if c.correction else c.hours)
    )


def removed(x) -> list:
    """Ids of the held components a change replaces (never those of a correction)."""
    plans = x.employees if hasattr(x, "employees") else [x]
    return sorted(h.id for e in plans for c in e.changes if not c.correction for h in c.held)


NOVEMBER_HOURS = hours(
    (ANNA, 2100, 3, 8.0, "work"),
    (ANNA, 2100, 4, 7.5, "work"),
    (ANNA, 2100, 5, 1 / 3, "work"),
    (ANNA, 2100, 5, 1 / 3, "work"),
    (ANNA, 3100, 6, 8.0, "statutory_leave"),
    (COR, 2100, 10, 4.0, "work"),
)


def plan(hours_frame=NOVEMBER_HOURS, current=None, days=None, **kwargs):
    return plan_company(
        54613,
        NOV,
        hours_frame,
        employees(),
        OWNED,
        HOUR_MODEL,
        holdings(current or [], days),
        **kwargs,
    )


def by_id(company_plan):
    return {e.employee_id: e for e in company_plan.employees}


def test_first_run_into_an_empty_period_inserts_rounded_totals_and_days():
    result = plan()
    assert [e.employee_id for e in result.employees] == [ANNA, COR]
    assert adds(result) == (
        (ANNA, 2100, D("16.17"), "Keeping 2026-11-M"),
        (ANNA, 3100, D("8.00"), "Keeping 2026-11-M"),
        (COR, 2100, D("4.00"), "Keeping 2026-11-M"),
    )
    assert removed(result) == []
    assert result.days == {ANNA: 3, COR: 1}  # leave days are not worked
    assert result.hours_planned == pytest.approx(28.17)
    assert result.rounding == pytest.approx(28.17 - (8.0 + 7.5 + 2 / 3 + 8.0 + 4.0))


def test_rerun_with_nothing_changed_writes_nothing():
    current = components(
        (ANNA, 9001, 2100, 16.17), (ANNA, 9002, 3100, D("8.00")), (COR, 9003, 2100, 4.0)
    )
    result = plan(current=current, days={ANNA: 3, COR: 1})
    assert all(e.unchanged for e in result.employees)
    assert (result.code_changes, result.days) == ((), {})
    assert not result.change_set()
    assert result.changed == ()
    assert set(result.to_frame()["action"]) == {"keep", "keep days"}


def test_changed_hours_replace_only_the_changed_code():
    current = components((ANNA, 9001, 2100, 12.0), (ANNA, 9002, 3100, 8.0), (COR, 9003, 2100, 4.0))
    result = plan(current=current, days={ANNA: 3, COR: 1})
    anna, cor = by_id(result)[ANNA], by_id(result)[COR]
    (held,) = holdings(current)[ANNA].of_code(2100)
    assert anna.changes == (CodeChange(2100, (held,), D("16.17"), "Keeping 2026-11-M"),)
    assert anna.set_days is None
    assert cor.unchanged
    assert result.change_set().employees == (anna.change(),)


def test_several_components_of_one_code_are_collapsed_into_one():
    current = components((COR, 9003, 2100, 2.0), (COR, 9004, 2100, 2.0))
    result = plan(hours((COR, 2100, 10, 4.0, "work")), current)
    cor = by_id(result)[COR]
    assert removed(cor) == [9003, 9004]
    assert adds(cor) == ((COR, 2100, D("4.00"), "Keeping 2026-11-M"),)


def test_a_matching_component_next_to_a_stray_one_is_not_kept():
    current = components((COR, 9003, 2100, 4.0), (COR, 9004, 2100, 1.0))
    cor = by_id(plan(hours((COR, 2100, 10, 4.0, "work")), current))[COR]
    assert removed(cor) == [9003, 9004]
    assert adds(cor) == ((COR, 2100, D("4.00"), "Keeping 2026-11-M"),)


def test_removed_hours_delete_owned_components_and_reset_days():
    current = components(
        (COR, 9003, 2100, 4.0),
        (COR, 9004, 3100, 8.0),
        (COR, 9005, 5000, 2.0),  # entered by hand under a code the sync does not own
    )
    result = plan(hours(*[]), current, days={COR: 1})
    (cor,) = result.employees
    assert removed(cor) == [9003, 9004]
    assert adds(cor) == ()
    assert cor.set_days == 0
    table = result.to_frame().set_index("hour_code")
    assert table.loc[5000, "action"] == "untouched (code not owned)"
    assert table.loc[2100, "action"] == "delete"


def test_fixed_employees_and_other_codes_are_never_touched():
    current = components(
        (BRAM, 9101, 2100, 40.0),  # fixed employee with an owned code: not ours
        (BRAM, 9102, 5000, 3.0),
        (ANNA, 9103, 5000, 6.0),  # flexible employee, hand-entered code
        (DIRK, 9104, 5000, 1.0),  # flexible, no hours, no owned components
    )
    result = plan(current=current, days={BRAM: 20, DIRK: 2})
    assert set(removed(result)).isdisjoint({9101, 9102, 9103, 9104})
    assert all(c.hour_code in OWNED for _, c in result.code_changes)
    assert {e.employee_id for e in result.employees} == {ANNA, COR}
    assert BRAM not in result.days


def test_days_not_set_in_nmbrs_count_as_zero():
    current = components((COR, 9003, 3100, 8.0))
    result = plan(hours(*[]), current, days={COR: None})
    assert by_id(result)[COR].set_days is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.005, "1.01"),
        (2.675, "2.68"),
        (0.125, "0.13"),
        (1 / 3 + 1 / 3, "0.67"),
        (0.1 + 0.2, "0.30"),
        (7.994999, "7.99"),
        (D("2.345"), "2.35"),
        (-1.005, "-1.01"),
    ],
)
def test_round_hours_is_half_up_and_ignores_float_noise(value, expected):
    assert round_hours(value) == D(expected)


def test_round_hours_rejects_non_numbers():
    with pytest.raises(ValueError, match="finite"):
        round_hours(float("nan"))


def test_hours_rounding_to_zero_are_not_inserted_but_stay_in_the_balance():
    result = plan(hours((COR, 2100, 10, 0.004, "work")))
    (cor,) = result.employees
    assert adds(cor) == ()
    assert result.hours_planned == 0
    assert result.rounding == pytest.approx(-0.004)


def test_hours_balance_after_writing_counts_only_planned_owned_components():
    excluded = pd.DataFrame({"hours": [2.5, 0.0, None], "reason": ["ongoing"] * 3})
    result = plan(excluded=excluded)
    assert result.hours_excluded == pytest.approx(2.5)
    assert result.hours_in == pytest.approx(8 + 7.5 + 2 / 3 + 8 + 4 + 2.5)
    written = components(
        (ANNA, 9100, 2100, D("16.17")),
        (ANNA, 9101, 3100, D("8.00")),
        (ANNA, 9102, 5000, D("3.00")),  # hand-entered code: not sent by us
        (COR, 9103, 2100, D("4.00")),
        (BRAM, 9104, 2100, D("40.00")),  # fixed employee: not sent by us
    )
    sent = sent_hours(result, holdings(written))
    assert sent == pytest.approx(28.17)
    check_balance(result.hours_in, sent, result.hours_excluded, rounding=result.rounding)
    lost_insert = holdings([c for c in written if c[1] != 9103])
    with pytest.raises(BalanceError, match=r"\+4\.00 h unaccounted"):
        check_balance(
            result.hours_in,
            sent_hours(result, lost_insert),
            result.hours_excluded,
            rounding=result.rounding,
        )
    assert "hours in 30.67 = planned 28.17 + excluded 2.50" in result.summary()


def test_check_balance_raises_with_the_three_numbers():
    check_balance(100.0, 90.0, 10.004)
    check_balance(100.0, 90.01, 10.0, rounding=0.01)
    with pytest.raises(BalanceError) as caught:
        check_balance(100.0, 90.0, 9.99)
    err = caught.value
    assert (err.hours_read, err.hours_sent, err.hours_excluded) == (100.0, 90.0, 9.99)
    assert "read 100.00 h, sent 90.00 h, excluded 9.99 h" in str(err)


def test_correct_strategy_inserts_the_difference_on_top_of_what_nmbrs_holds():
    """A closed period: nothing is deleted; per owned code one component with the difference."""
    current = components(
        (ANNA, 9001, 2100, 12.0),  # the sync's component, paid in the closed run
        (ANNA, 9002, 3100, 10.0),  # 2 h too many now
        (ANNA, 9003, 5000, 6.0),  # entered by hand under a code the sync does not own
        (COR, 9004, 2100, 3.0),  # Cor's 4 h held as two components: nothing to correct
        (COR, 9005, 2100, 1.0),
        (DIRK, 9006, 2100, 5.0),  # no hours any more: corrected to zero
    )
    result = plan(current=current, days={ANNA: 3, COR: 1, DIRK: 1}, strategy="correct")
    anna, cor, dirk = (by_id(result)[e] for e in (ANNA, COR, DIRK))
    assert removed(result) == [] and result.change_set().corrections_only
    assert anna.strategy == "correct"
    assert adds(anna) == (
        (ANNA, 2100, D("4.17"), "Keeping 2026-11-M (correction)"),
        (ANNA, 3100, D("-2.00"), "Keeping 2026-11-M (correction)"),
    )
    assert [(c.held_hours, c.hours) for c in anna.changes] == [
        (D("12.00"), D("16.17")),
        (D("10.00"), D("8.00")),
    ]
    assert cor.unchanged
    assert adds(dirk) == ((DIRK, 2100, D("-5.00"), "Keeping 2026-11-M (correction)"),)
    assert dirk.set_days == 0
    table = result.to_frame().set_index(["employee_id", "hour_code"])["action"]
    assert table[(ANNA, 2100)] == "correct" and table[(ANNA, 5000)] == "untouched (code not owned)"


def test_correct_strategy_into_an_empty_period_inserts_the_totals():
    result = plan(strategy="correct")
    assert [(e, c.hour_code, c.difference, c.held_hours) for e, c in result.code_changes] == [
        (ANNA, 2100, D("16.17"), D("0.00")),
        (ANNA, 3100, D("8.00"), D("0.00")),
        (COR, 2100, D("4.00"), D("0.00")),
    ]
    assert {c.comment for _, c in result.code_changes} == {"Keeping 2026-11-M"}


def test_a_corrected_period_verifies_and_needs_no_second_correction():
    current = components((ANNA, 9001, 2100, 12.0), (ANNA, 9002, 3100, 8.0), (COR, 9003, 2100, 4.0))
    first = plan(current=current, days={ANNA: 3, COR: 1}, strategy="correct")
    ((_, correction),) = first.code_changes
    after = current + components((ANNA, 9010, correction.hour_code, correction.difference))
    assert verify(first, holdings(after, {ANNA: 3, COR: 1})) == []
    again = plan(current=after, days={ANNA: 3, COR: 1}, strategy="correct")
    assert again.changed == ()


def test_verify_accepts_the_planned_state_and_reports_each_mismatch():
    current = components((ANNA, 9001, 2100, 12.0), (ANNA, 9005, 5000, 2.0))
    result = plan(current=current, days={ANNA: 2})
    good = components(
        (ANNA, 9100, 2100, 16.17),
        (ANNA, 9101, 3100, 8.0),
        (ANNA, 9005, 5000, 2.0),
        (COR, 9102, 2100, 4.0),
        (BRAM, 9103, 2100, 99.0),  # not in the plan: ignored
    )
    assert verify(result, holdings(good, {ANNA: 3, COR: 1})) == []
    doubled = good + components((COR, 9104, 2100, 4.0))
    problems = verify(result, holdings(doubled, {ANNA: 3, COR: 1}))
    assert problems == [
        "employee 103 (Cor Dekker, id 503): hour code 2100 holds 8.00 h in Nmbrs, planned 4.00 h"
    ]
    lost = [c for c in good if c[1] != 9005]
    assert verify(result, holdings(lost, {ANNA: 3, COR: 1})) == [
        "employee 101 (Anna de Vries, id 501): hour code 5000 (not owned) changed from "
        "2.00 h to 0.00 h"
    ]
    assert verify(result, holdings(good, {ANNA: 2, COR: 1})) == [
        "employee 101 (Anna de Vries, id 501): days worked is 2 in Nmbrs, planned 3"
    ]


def test_to_frame_reads_as_a_dry_run_table():
    current = components((ANNA, 9001, 2100, 12.0), (ANNA, 9002, 3100, 8.0), (ANNA, 9005, 5000, 2.0))
    table = plan(current=current, days={ANNA: 3}).to_frame()
    anna = table.loc[table["employee_number"] == "101"].set_index("hour_code", drop=False)
    assert anna.loc[2100, ["current_hours", "desired_hours", "action"]].tolist() == [
        12.0,
        16.17,
        "replace",
    ]
    assert anna.loc[3100, "action"] == "keep"
    assert anna.loc[5000, "action"] == "untouched (code not owned)"
    cor = table.loc[table["employee_number"] == "103"]
    assert cor["action"].tolist() == ["insert", "set days"]
    assert list(table.columns) == [
        "employee_id",
        "employee_number",
        "employee_name",
        "hour_code",
        "current_hours",
        "desired_hours",
        "action",
    ]


def test_chunked_cuts_batches():
    assert chunked([1, 2, 3, 4, 5], 2) == [(1, 2), (3, 4), (5,)]
    with pytest.raises(ValueError):
        chunked([1], 0)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (hours((BRAM, 2100, 3, 8.0, "work")), r"employees \[502\] are not flexible"),
        (hours((999, 2100, 3, 8.0, "work")), r"employees \[999\] are not in the employees frame"),
        (hours((ANNA, 5000, 3, 8.0, "work")), r"hour codes \[5000\] are not owned"),
        (hours((ANNA, 2100, 3, -1.0, "work")), "non-positive hours"),
    ],
)
def test_unmatched_input_is_refused(rows, message):
    with pytest.raises(ValueError, match=message):
        plan(rows)


def test_a_plan_states_targets_not_calls():
    """A backend reaches each code change its own way: the plan gives the target and what is
    held, so an API with updates can change a held component in place."""
    current = components((COR, 9003, 2100, 2.0), (COR, 9004, 2100, 2.0), (ANNA, 9001, 2100, 5.0))
    result = plan(hours((COR, 2100, 10, 5.0, "work")), current, days={COR: 1})
    cor, anna = by_id(result)[COR], by_id(result)[ANNA]
    (change,) = cor.changes
    assert ([h.id for h in change.held], change.hours, change.correction) == (
        [9003, 9004],
        D("5.00"),
        False,
    )
    (gone,) = anna.changes
    assert (gone.hours, [h.id for h in gone.held]) == (D("0"), [9001])
    assert cor.set_days is None and anna.set_days is None


def test_string_ids_pass_through_the_planner():
    """REST numbers employees and components with UUIDs: the planner only compares them."""
    staff = employees().assign(employee_id=["e-anna", "e-bram", "e-cor", "e-dirk"])
    rows = hours(("e-cor", 2100, 10, 4.0, "work"))
    held = {"e-cor": Holding((HourComponent("c-1", 2100, D("3.00")),), 1)}
    result = plan_company(54613, NOV, rows, staff, OWNED, HOUR_MODEL, held)
    (cor,) = result.employees
    assert cor.employee_id == "e-cor"
    assert [h.id for h in cor.changes[0].held] == ["c-1"] and cor.changes[0].hours == D("4.00")
