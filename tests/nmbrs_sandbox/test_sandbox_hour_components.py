"""Variable hour components: append-only inserts, clears, deletes, protection and validation."""

from __future__ import annotations

import threading

import pytest
import zeep

from nmbrs_sandbox import Sandbox
from tests.nmbrs_sandbox.sandbox_api import Api, demo_data, fault_code, hours

ANNA, BRAM, DAAN = 500001, 500002, 500004
EVA, FINN = 600001, 600002


def _hours(sandbox: Sandbox, employee_id: int, year: int = 2026, period: int = 11) -> list:
    return [(c["HourCode"], c["Hours"]) for c in sandbox.hour_components(employee_id, year, period)]


def test_insert_appends_and_same_hours_twice_are_doubled(nmbrs_sandbox: Sandbox, api: Api) -> None:
    batch = [hours(ANNA, 2100, "12.5", "week 45"), hours(EVA, 2200, "2")]

    api.insert_hours(batch)
    api.insert_hours(batch)

    assert _hours(nmbrs_sandbox, ANNA) == [(2100, 12.5), (2100, 12.5)]
    assert _hours(nmbrs_sandbox, EVA) == [(2200, 2.0), (2200, 2.0)]
    assert nmbrs_sandbox.hour_components(ANNA, 2026, 11)[0]["Comment"] == "week 45"


def test_inserted_components_get_new_unique_ids_visible_through_get(
    nmbrs_sandbox: Sandbox, api: Api
) -> None:
    api.insert_hours([hours(DAAN, 2100, "4"), hours(DAAN, 2100, "5")])

    rows = api.employee("HourComponentVar_Get", EmployeeId=DAAN, Period=11, Year=2026)

    assert [(r["HourCode"], float(r["Hours"])) for r in rows] == [
        (3100, 8.0),
        (2100, 4.0),
        (2100, 5.0),
    ]
    ids = [r["Id"] for r in rows]
    assert len(set(ids)) == 3 and all(i > 0 for i in ids)


def test_get_current_follows_the_company_period(nmbrs_sandbox: Sandbox, api: Api) -> None:
    api.insert_hours([hours(ANNA, amount="7")], period=12)

    assert api.employee("HourComponentVar_GetCurrent", EmployeeId=ANNA) is None
    nmbrs_sandbox.set_current_period(54613, 2026, 12)
    rows = api.employee("HourComponentVar_GetCurrent", EmployeeId=ANNA)
    assert [float(r["Hours"]) for r in rows] == [7.0]


def test_unknown_hour_code_faults_2001_and_nothing_is_applied(
    nmbrs_sandbox: Sandbox, api: Api
) -> None:
    batch = [hours(ANNA, 2100, "8"), hours(BRAM, 9999, "8")]

    assert fault_code(lambda: api.insert_hours(batch)) == 2001
    assert _hours(nmbrs_sandbox, ANNA) == []


def test_unknown_employee_in_batch_faults_2003_and_nothing_is_applied(
    nmbrs_sandbox: Sandbox, api: Api
) -> None:
    batch = [hours(ANNA), hours(EVA), hours(424242)]

    assert fault_code(lambda: api.insert_hours(batch)) == 2003
    assert _hours(nmbrs_sandbox, ANNA) == [] and _hours(nmbrs_sandbox, EVA) == []


def test_hour_codes_are_checked_against_each_employees_company(nmbrs_sandbox_factory) -> None:
    data = demo_data()
    data["companies"][1]["hour_codes"] = {2100: "Gewerkte uren", 5100: "Reisuren"}
    data["companies"][1]["employees"][1]["hour_components"] = {}
    sandbox = nmbrs_sandbox_factory(data)
    api = Api(sandbox.url)

    assert fault_code(lambda: api.insert_hours([hours(ANNA, 5100)])) == 2001
    api.insert_hours([hours(EVA, 5100, "3")])
    assert _hours(sandbox, EVA) == [(5100, 3.0)]


def test_past_period_needs_unprotected_mode(nmbrs_sandbox: Sandbox, api: Api) -> None:
    assert fault_code(lambda: api.insert_hours([hours(ANNA)], period=10)) == 2011
    assert fault_code(lambda: api.insert_hours([hours(ANNA)], year=2025, period=12)) == 2011
    assert _hours(nmbrs_sandbox, ANNA, 2026, 10) == []

    api.insert_hours([hours(ANNA, amount="6")], period=10, unprotected=True)
    api.insert_hours([hours(ANNA, amount="5")], year=2027, period=1)

    assert _hours(nmbrs_sandbox, ANNA, 2026, 10) == [(2100, 6.0)]
    assert _hours(nmbrs_sandbox, ANNA, 2027, 1) == [(2100, 5.0)]


def test_protected_mode_message(api: Api) -> None:
    with pytest.raises(
        zeep.exceptions.Fault, match="2011: Protected mode, cannot change data in the past"
    ):
        api.insert_hours([hours(ANNA)], period=1)


@pytest.mark.parametrize("period", [0, 13, -1])
def test_invalid_month_period_faults_2006(nmbrs_sandbox: Sandbox, api: Api, period: int) -> None:
    assert (
        fault_code(lambda: api.insert_hours([hours(ANNA)], period=period, unprotected=True)) == 2006
    )
    assert (
        fault_code(
            lambda: api.employee("HourComponentVar_Get", EmployeeId=ANNA, Period=period, Year=2026)
        )
        == 2006
    )


@pytest.mark.parametrize(
    ("period_type", "valid", "invalid"), [("4W", 13, 14), ("W", 53, 54), ("M", 12, 13)]
)
def test_period_range_depends_on_the_period_type(
    nmbrs_sandbox_factory, period_type: str, valid: int, invalid: int
) -> None:
    data = demo_data()
    data["companies"][0]["period_type"] = period_type
    data["companies"][0]["current_period"] = "2026-2"
    data["companies"][0]["employees"][3]["hour_components"] = {}
    sandbox = nmbrs_sandbox_factory(data)
    api = Api(sandbox.url)

    api.insert_hours([hours(ANNA)], period=valid)
    assert fault_code(lambda: api.insert_hours([hours(ANNA)], period=invalid)) == 2006
    assert _hours(sandbox, ANNA, 2026, valid) == [(2100, 8.0)]


def test_clear_current_removes_every_component_including_hand_entered(
    nmbrs_sandbox: Sandbox, api: Api
) -> None:
    api.insert_hours([hours(DAAN, 2100, "20")])
    api.insert_hours([hours(DAAN, 2100, "3")], period=12)

    api.employee("HourComponentVar_ClearCurrent", EmployeeId=DAAN)

    assert _hours(nmbrs_sandbox, DAAN) == []
    assert _hours(nmbrs_sandbox, DAAN, 2026, 12) == [(2100, 3.0)]
    assert _hours(nmbrs_sandbox, FINN) == [(2100, 4.0)]


def test_clear_of_a_past_period_needs_unprotected_mode(nmbrs_sandbox: Sandbox, api: Api) -> None:
    api.insert_hours([hours(BRAM)], period=9, unprotected=True)

    def clear(unprotected: bool) -> None:
        api.employee(
            "HourComponentVar_Clear",
            EmployeeId=BRAM,
            Period=9,
            Year=2026,
            UnprotectedMode=unprotected,
        )

    assert fault_code(lambda: clear(False)) == 2011
    assert _hours(nmbrs_sandbox, BRAM, 2026, 9) == [(2100, 8.0)]
    clear(True)
    assert _hours(nmbrs_sandbox, BRAM, 2026, 9) == []


def test_delete_removes_one_component_by_id(nmbrs_sandbox: Sandbox, api: Api) -> None:
    api.insert_hours([hours(DAAN, 2100, "1"), hours(DAAN, 2100, "2")])
    first = nmbrs_sandbox.hour_components(DAAN, 2026, 11)[1]["Id"]

    assert api.employee("HourComponent_Delete", EmployeeId=DAAN, HourComponentID=first) is True

    assert _hours(nmbrs_sandbox, DAAN) == [(3100, 8.0), (2100, 2.0)]


def test_delete_of_an_unknown_id_faults_9999(nmbrs_sandbox: Sandbox, api: Api) -> None:
    finn_component = nmbrs_sandbox.hour_components(FINN, 2026, 11)[0]["Id"]

    def delete(component_id: int) -> None:
        api.employee("HourComponent_Delete", EmployeeId=DAAN, HourComponentID=component_id)

    assert fault_code(lambda: delete(123)) == 9999
    assert fault_code(lambda: delete(finn_component)) == 9999
    assert _hours(nmbrs_sandbox, FINN) == [(2100, 4.0)]


def test_delete_in_a_past_period_faults_2011(nmbrs_sandbox: Sandbox, api: Api) -> None:
    component = nmbrs_sandbox.hour_components(DAAN, 2026, 11)[0]["Id"]
    nmbrs_sandbox.set_current_period(54613, 2026, 12)

    assert (
        fault_code(
            lambda: api.employee("HourComponent_Delete", EmployeeId=DAAN, HourComponentID=component)
        )
        == 2011
    )
    assert _hours(nmbrs_sandbox, DAAN) == [(3100, 8.0)]


def test_concurrent_clients_all_land_with_unique_ids(nmbrs_sandbox: Sandbox) -> None:
    clients = [Api(nmbrs_sandbox.url) for _ in range(8)]
    errors: list[BaseException] = []

    def work(api: Api) -> None:
        try:
            for _ in range(10):
                api.insert_hours([hours(EVA, 2100, "1"), hours(ANNA, 2200, "1")])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(api,)) for api in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    rows = nmbrs_sandbox.hour_components(EVA, 2026, 11)
    rows += nmbrs_sandbox.hour_components(ANNA, 2026, 11)
    assert len(rows) == 160
    assert len({row["Id"] for row in rows}) == 160
