"""End to end on both APIs: ``airflow dags test nmbrs_payroll_sync`` with Acme Horeca on an
``nmbrs_rest`` connection (its company id the REST UUID) and Acme Events on SOAP, in one run.

The same sandbox world serves both APIs, so what REST writes is what SOAP reads back: the
hours must be what the warehouse says, the ledger must balance with the UUID recorded, an
unchanged rerun must write nothing through either API, and a warehouse change is corrected on
each API without doubling.
"""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from cryptography.fernet import Fernet

from nmbrs_sandbox.rest.ids import company_uuid, employee_uuid
from tests.dags.sync_world import (
    DEMO_CONFIG,
    EVENTS,
    FIXED,
    FLEXIBLE,
    HORECA,
    WORKED,
    SyncRun,
    SyncWorld,
    change_keeping_hours,
    company_of,
    own_world,
)
from tests.nmbrs_provider.rest.conftest import authorize_in_process, rest_conn_json

pytestmark = pytest.mark.slow

REST_CONN = "nmbrs_rest"
HORECA_UUID = company_uuid(HORECA)


@pytest.fixture(scope="module")
def mixed(warehouse, airflow_env, tmp_path_factory):
    """Horeca on REST (authorized once by the demo user), Events on SOAP."""
    with own_world(warehouse, airflow_env, tmp_path_factory.mktemp("rest")) as world:
        key = Fernet.generate_key().decode()
        env = {
            f"AIRFLOW_CONN_{REST_CONN.upper()}": rest_conn_json(world.sandbox.url),
            "NMBRS_TOKEN_KEY": key,
        }
        with pytest.MonkeyPatch.context() as patch:
            for name, value in {
                **env,
                "AIRFLOW_CONN_KEEPING_WAREHOUSE": world.db.airflow_conn_json(),
            }.items():
                patch.setenv(name, value)
            authorize_in_process(REST_CONN, world.sandbox)
        world.env.update(env)
        companies = yaml.safe_load(DEMO_CONFIG.read_text("utf-8"))["companies"]
        for company in companies:
            if company["company_id"] == HORECA:
                company.update(company_id=HORECA_UUID, nmbrs_conn_id=REST_CONN)
        world.configure(companies=companies)
        world.sandbox.reset()  # the call log starts with the runs
        yield world


@pytest.fixture(scope="module")
def first(mixed: SyncWorld) -> SyncRun:
    return mixed.run()


@pytest.fixture(scope="module")
def second(mixed: SyncWorld, first: SyncRun) -> SyncRun:
    return mixed.run()


@pytest.fixture(scope="module")
def corrected(mixed: SyncWorld, second: SyncRun) -> SyncRun:
    """Anna +1.25 h and Bram one day less (Horeca, on REST), Eva one day more (Events, SOAP)."""
    change_keeping_hours(mixed.db)
    return mixed.run()


def rest_writes(run: SyncRun) -> list[dict]:
    return [c for c in run.calls if c["service"] == "REST" and c["method"] != "GET"]


def calls_per_flexible_employee(run: SyncRun) -> dict[str, object]:
    """Calls per flexible employee of each company's API (identity calls aside)."""
    employer = company_of(run.state)
    flexible = Counter(employer[e] for e in FLEXIBLE.values())
    rest = [c for c in run.calls if c["service"] == "REST"]
    soap = [c for c in run.calls if c["service"] not in ("REST", "identity")]
    return {
        "rest": len(rest) / flexible[HORECA],
        "soap": len(soap) / flexible[EVENTS],
        "rest_operations": Counter(c["operation"] for c in rest),
        "soap_operations": Counter(c["operation"] for c in soap),
    }


def test_first_run_lands_the_warehouse_hours_on_both_apis(mixed, first):
    assert first.process.returncode == 0, first.describe()
    assert set(first.expected) == set(FLEXIBLE.values())
    for employee_id, (hours, days) in first.expected.items():
        held = first.november[employee_id]
        assert held.of_code(WORKED) == [hours], f"employee {employee_id}: {held}"
        assert held.days == days, f"employee {employee_id}: {held}"
    employer = company_of(first.state)
    horeca = {e for e in FLEXIBLE.values() if employer[e] == HORECA}
    writes = rest_writes(first)
    assert {e for c in writes for e in c["employee_ids"]} == horeca
    assert {c["operation"] for c in writes} == {
        "createVariableHourComponent",
        "CreateVariableWorkedDays",
    }
    soap = [w for w in first.writes if w["service"] != "REST"]
    assert soap and not [w for w in soap if set(w["employee_ids"]) & horeca]
    print("calls per flexible employee, first run:", calls_per_flexible_employee(first))


def test_the_ledger_balances_and_records_the_uuid(mixed, first):
    runs = mixed.company_runs(first, raw=True)
    assert set(runs) == {HORECA_UUID, str(EVENTS)}
    assert {c: r["status"] for c, r in runs.items()} == dict.fromkeys(runs, "succeeded")
    balances = {b["company_id"]: b["balanced"] for b in mixed.balances(first)}
    assert balances == {None: True, HORECA: True, EVENTS: True}
    sent = mixed.lines("sent_lines", first, raw=True)
    rest_employees = {employee_uuid(e) for e in FLEXIBLE.values()}
    horeca_lines = [s for s in sent if s["company_id"] == HORECA_UUID]
    assert horeca_lines and {s["employee_id"] for s in horeca_lines} <= rest_employees
    assert f"Company {HORECA_UUID} 2026-11-M: succeeded" in first.output


def test_an_unchanged_rerun_writes_nothing(mixed, first, second):
    assert second.process.returncode == 0, second.describe()
    assert rest_writes(second) == []
    assert second.writes == []
    assert second.november == first.november
    balances = {b["company_id"]: b["balanced"] for b in mixed.balances(second)}
    assert balances == {None: True, HORECA: True, EVENTS: True}
    print("calls per flexible employee, second run:", calls_per_flexible_employee(second))


def test_a_warehouse_change_is_corrected_on_each_api_without_doubling(mixed, second, corrected):
    assert corrected.process.returncode == 0, corrected.describe()
    for employee_id, (hours, days) in corrected.expected.items():
        held = corrected.november[employee_id]
        assert held.of_code(WORKED) == [hours], f"employee {employee_id}: {held}"
        assert held.days == days, f"employee {employee_id}: {held}"
    anna, bram, eva = FLEXIBLE["101"], FLEXIBLE["102"], FLEXIBLE["201"]  # Horeca, Horeca, Events
    by_api: dict[str, set[int]] = {}
    for call in corrected.writes:
        api = "rest" if call["service"] == "REST" else "soap"
        by_api.setdefault(api, set()).update(call["employee_ids"])
    assert by_api == {"rest": {anna, bram}, "soap": {eva}}, by_api
    for untouched in (FLEXIBLE["104"], FLEXIBLE["203"], *FIXED):
        assert corrected.november[untouched] == second.november[untouched]
    balances = {b["company_id"]: b["balanced"] for b in mixed.balances(corrected)}
    assert balances == {None: True, HORECA: True, EVENTS: True}
