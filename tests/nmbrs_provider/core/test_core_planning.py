from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.core.planning import (
    BalanceError,
    Insert,
    SetDays,
    check_balance,
    chunked,
    components_frame,
    plan_company,
    round_hours,
    sent_hours,
    strategy_costs,
    verify,
)

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


def components(*rows: tuple) -> pd.DataFrame:
    """rows: (employee_id, component_id, hour_code, hours)."""
    return pd.DataFrame(rows, columns=["employee_id", "component_id", "hour_code", "hours"])


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
        components() if current is None else current,
        days or {},
        **kwargs,
    )


def by_id(company_plan):
    return {e.employee_id: e for e in company_plan.employees}


def test_first_run_into_an_empty_period_inserts_rounded_totals_and_days():
    result = plan()
    assert [e.employee_id for e in result.employees] == [ANNA, COR]
    assert result.inserts == (
        Insert(ANNA, 2100, D("16.17"), "Keeping 2026-11-M"),
        Insert(ANNA, 3100, D("8.00"), "Keeping 2026-11-M"),
        Insert(COR, 2100, D("4.00"), "Keeping 2026-11-M"),
    )
    assert result.deletes == ()
    assert result.days == (SetDays(ANNA, 3), SetDays(COR, 1))  # leave days are not worked
    assert result.hours_planned == pytest.approx(28.17)
    assert result.rounding == pytest.approx(28.17 - (8.0 + 7.5 + 2 / 3 + 8.0 + 4.0))


def test_rerun_with_nothing_changed_writes_nothing():
    current = components(
        (ANNA, 9001, 2100, 16.17), (ANNA, 9002, 3100, D("8.00")), (COR, 9003, 2100, 4.0)
    )
    result = plan(current=current, days={ANNA: 3, COR: 1})
    assert all(e.unchanged for e in result.employees)
    assert (result.inserts, result.deletes, result.days, result.clears) == ((), (), (), ())
    assert result.changed == ()
    assert set(result.to_frame()["action"]) == {"keep", "keep days"}


def test_changed_hours_replace_only_the_changed_code():
    current = components((ANNA, 9001, 2100, 12.0), (ANNA, 9002, 3100, 8.0), (COR, 9003, 2100, 4.0))
    result = plan(current=current, days={ANNA: 3, COR: 1})
    anna, cor = by_id(result)[ANNA], by_id(result)[COR]
    assert [d.component_id for d in anna.deletes] == [9001]
    assert anna.inserts == (Insert(ANNA, 2100, D("16.17"), "Keeping 2026-11-M"),)
    assert anna.set_days is None
    assert cor.unchanged
    assert result.deletes == anna.deletes and result.inserts == anna.inserts


def test_several_components_of_one_code_are_collapsed_into_one():
    current = components((COR, 9003, 2100, 2.0), (COR, 9004, 2100, 2.0))
    result = plan(hours((COR, 2100, 10, 4.0, "work")), current)
    cor = by_id(result)[COR]
    assert sorted(d.component_id for d in cor.deletes) == [9003, 9004]
    assert cor.inserts == (Insert(COR, 2100, D("4.00"), "Keeping 2026-11-M"),)


def test_a_matching_component_next_to_a_stray_one_is_not_kept():
    current = components((COR, 9003, 2100, 4.0), (COR, 9004, 2100, 1.0))
    cor = by_id(plan(hours((COR, 2100, 10, 4.0, "work")), current))[COR]
    assert sorted(d.component_id for d in cor.deletes) == [9003, 9004]
    assert cor.inserts == (Insert(COR, 2100, D("4.00"), "Keeping 2026-11-M"),)


def test_removed_hours_delete_owned_components_and_reset_days():
    current = components(
        (COR, 9003, 2100, 4.0),
        (COR, 9004, 3100, 8.0),
        (COR, 9005, 5000, 2.0),  # entered by hand under a code the sync does not own
    )
    result = plan(hours(*[]), current, days={COR: 1})
    (cor,) = result.employees
    assert sorted(d.component_id for d in cor.deletes) == [9003, 9004]
    assert cor.inserts == ()
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
    touched = {d.component_id for d in result.deletes}
    assert touched.isdisjoint({9101, 9102, 9103, 9104})
    assert all(i.hour_code in OWNED for i in result.inserts)
    assert {e.employee_id for e in result.employees} == {ANNA, COR}
    assert all(d.employee_id != BRAM for d in result.days)


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
    assert cor.inserts == ()
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
    sent = sent_hours(result, written)
    assert sent == pytest.approx(28.17)
    check_balance(result.hours_in, sent, result.hours_excluded, rounding=result.rounding)
    lost_insert = written.loc[written["component_id"] != 9103]
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


def test_auto_strategy_clears_when_cheaper_and_nothing_else_is_held():
    current = components((COR, 9003, 2100, 1.0), (COR, 9004, 2100, 1.0), (COR, 9005, 3100, 1.0))
    one_day = hours((COR, 2100, 10, 4.0, "work"))
    by_delete = by_id(plan(one_day, current))[COR]
    assert strategy_costs(by_delete) == {"delete": 4, "clear_and_restore": 2}
    assert by_delete.strategy == "delete"
    cleared = by_id(plan(one_day, current, strategy="auto"))[COR]
    assert cleared.strategy == "clear_and_restore" and cleared.clear
    assert cleared.deletes == ()
    assert cleared.inserts == (Insert(COR, 2100, D("4.00"), "Keeping 2026-11-M"),)


@pytest.mark.parametrize(
    "current",
    [
        components(),  # a first insert: 1 write either way plus a clear
        components((COR, 9003, 2100, 3.0)),  # one replace: 2 writes either way
    ],
)
def test_auto_strategy_does_not_clear_when_it_saves_nothing(current):
    cor = by_id(plan(hours((COR, 2100, 10, 4.0, "work")), current, strategy="auto"))[COR]
    assert cor.strategy == "delete" and not cor.clear


def test_auto_strategy_keeps_per_component_deletes_when_other_codes_exist():
    current = components(
        (COR, 9003, 2100, 1.0),
        (COR, 9004, 2100, 1.0),
        (COR, 9005, 2100, 1.0),
        (COR, 9006, 5000, 2.5),
    )
    one_day = hours((COR, 2100, 10, 4.0, "work"))
    assert by_id(plan(one_day, current, strategy="auto"))[COR].strategy == "delete"
    restored = by_id(plan(one_day, current, strategy="auto", restore_non_owned=True))[COR]
    assert restored.strategy == "clear_and_restore"
    assert restored.inserts[0] == Insert(COR, 5000, D("2.5"), None, restored=True)
    assert restored.inserts[1].hour_code == 2100


def test_unchanged_employees_stay_unchanged_under_auto():
    current = components((COR, 9003, 2100, 4.0))
    result = plan(hours((COR, 2100, 10, 4.0, "work")), current, days={COR: 1}, strategy="auto")
    assert by_id(result)[COR].unchanged


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
    assert (result.deletes, result.clears) == ((), ())
    assert anna.strategy == "correct"
    assert anna.inserts == (
        Insert(ANNA, 2100, D("4.17"), "Keeping 2026-11-M (correction)", held_before=D("12.00")),
        Insert(ANNA, 3100, D("-2.00"), "Keeping 2026-11-M (correction)", held_before=D("10.00")),
    )
    assert cor.unchanged
    assert dirk.inserts == (
        Insert(DIRK, 2100, D("-5.00"), "Keeping 2026-11-M (correction)", held_before=D("5.00")),
    )
    assert dirk.set_days == 0
    table = result.to_frame().set_index(["employee_id", "hour_code"])["action"]
    assert table[(ANNA, 2100)] == "correct" and table[(ANNA, 5000)] == "untouched (code not owned)"


def test_correct_strategy_into_an_empty_period_inserts_the_totals():
    result = plan(strategy="correct")
    assert [(i.employee_id, i.hour_code, i.hours, i.held_before) for i in result.inserts] == [
        (ANNA, 2100, D("16.17"), D("0.00")),
        (ANNA, 3100, D("8.00"), D("0.00")),
        (COR, 2100, D("4.00"), D("0.00")),
    ]
    assert {i.comment for i in result.inserts} == {"Keeping 2026-11-M"}


def test_a_corrected_period_verifies_and_needs_no_second_correction():
    current = components((ANNA, 9001, 2100, 12.0), (ANNA, 9002, 3100, 8.0), (COR, 9003, 2100, 4.0))
    first = plan(current=current, days={ANNA: 3, COR: 1}, strategy="correct")
    (correction,) = first.inserts
    after = pd.concat(
        [current, components((ANNA, 9010, correction.hour_code, correction.hours))],
        ignore_index=True,
    )
    assert verify(first, after, {ANNA: 3, COR: 1}) == []
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
    assert verify(result, good, {ANNA: 3, COR: 1}) == []
    doubled = pd.concat([good, components((COR, 9104, 2100, 4.0))])
    problems = verify(result, doubled, {ANNA: 3, COR: 1})
    assert problems == [
        "employee 103 (Cor Dekker, id 503): hour code 2100 holds 8.00 h in Nmbrs, planned 4.00 h"
    ]
    lost = good.loc[good["component_id"] != 9005]
    assert verify(result, lost, {ANNA: 3, COR: 1}) == [
        "employee 101 (Anna de Vries, id 501): hour code 5000 (not owned) changed from "
        "2.00 h to 0.00 h"
    ]
    assert verify(result, good, {ANNA: 2, COR: 1}) == [
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


def test_chunks_batch_the_inserts():
    result = plan()
    assert [len(c) for c in result.chunks(2)] == [2, 1]
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


def test_duplicate_component_ids_are_refused():
    with pytest.raises(ValueError, match="repeats component ids"):
        plan(current=components((ANNA, 1, 2100, 1.0), (ANNA, 1, 3100, 1.0)))


def test_components_frame_reads_hook_style_components():
    class Stored:  # shaped like the hook's HourComponent
        def __init__(self, id, hour_code, hours):
            self.id, self.hour_code, self.hours = id, hour_code, hours

    frame = components_frame({ANNA: [Stored(9001, 2100, D("16.17"))], COR: None})
    assert frame.values.tolist() == [[ANNA, 9001, 2100, D("16.17")]]
    result = plan(current=frame, days={ANNA: 3})
    assert by_id(result)[ANNA].inserts == (Insert(ANNA, 3100, D("8.00"), "Keeping 2026-11-M"),)
