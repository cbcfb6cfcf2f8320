"""Variable and fixed days: overwrite semantics, protection, validation, atomic batches."""

from __future__ import annotations

from nmbrs_sandbox import Sandbox
from tests.nmbrs_sandbox.sandbox_api import Api, days, fault_code

ANNA, CHANTAL, EVA, FINN = 500001, 500003, 600001, 600002


def _fixed(api: Api, employee_id: int, year: int = 2026, period: int = 11) -> int:
    return api.employee("DaysFixed_Get", EmployeeId=employee_id, Period=period, Year=year)


def test_days_var_overwrites_per_employee_and_period(nmbrs_sandbox: Sandbox, api: Api) -> None:
    api.set_days_var([days(ANNA, 12), days(EVA, 3), days(ANNA, 2, period=12)])
    api.set_days_var([days(ANNA, 9)])

    assert nmbrs_sandbox.days_var(ANNA, 2026, 11) == 9
    assert nmbrs_sandbox.days_var(ANNA, 2026, 12) == 2
    assert nmbrs_sandbox.days_var(EVA, 2026, 11) == 3
    result = api.employee("DaysVarWorked_Get", EmployeeId=ANNA, Period=11, Year=2026)
    assert (result["Days"], result["PlusMinusDaysForWageComp"]) == (9, 0)
    assert api.employee("DaysVarWorked_GetCurrent", EmployeeId=EVA)["Days"] == 3


def test_days_var_never_set_reads_as_zero(nmbrs_sandbox: Sandbox, api: Api) -> None:
    assert api.employee("DaysVarWorked_GetCurrent", EmployeeId=ANNA)["Days"] == 0
    assert nmbrs_sandbox.days_var(ANNA, 2026, 11) is None


def test_days_var_batch_is_all_or_nothing(nmbrs_sandbox: Sandbox, api: Api) -> None:
    assert fault_code(lambda: api.set_days_var([days(ANNA, 5), days(777, 5)])) == 2003
    assert fault_code(lambda: api.set_days_var([days(ANNA, 5), days(EVA, 5, period=10)])) == 2011
    assert fault_code(lambda: api.set_days_var([days(ANNA, 5), days(EVA, 5, period=13)])) == 2006

    assert nmbrs_sandbox.days_var(ANNA, 2026, 11) is None


def test_days_var_in_the_past_with_unprotected_mode(nmbrs_sandbox: Sandbox, api: Api) -> None:
    api.set_days_var([days(EVA, 4, period=10)], unprotected=True)

    assert nmbrs_sandbox.days_var(EVA, 2026, 10) == 4


def test_fixed_days_come_from_the_scenario(api: Api) -> None:
    assert api.employee("DaysFixed_GetCurrent", EmployeeId=CHANTAL) == 21
    assert api.employee("DaysFixed_GetCurrent", EmployeeId=FINN) == 16
    assert api.employee("DaysFixed_GetCurrent", EmployeeId=ANNA) == 0


def test_fixed_days_set_for_one_period_only(api: Api) -> None:
    api.employee(
        "DaysFixed_Set_Batch",
        EmployeesDaysWorked={"DaysWorked": [days(CHANTAL, 19, period=12)]},
        UnprotectedMode=False,
    )

    assert _fixed(api, CHANTAL, period=12) == 19
    assert _fixed(api, CHANTAL, period=11) == 21


def test_fixed_days_in_the_past_are_protected(api: Api) -> None:
    def set_fixed(unprotected: bool) -> None:
        api.employee(
            "DaysFixed_Set_Batch",
            EmployeesDaysWorked={"DaysWorked": [days(FINN, 15, period=10)]},
            UnprotectedMode=unprotected,
        )

    assert fault_code(lambda: set_fixed(False)) == 2011
    assert _fixed(api, FINN, period=10) == 16
    set_fixed(True)
    assert _fixed(api, FINN, period=10) == 15
