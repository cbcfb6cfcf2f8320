"""The project's load for the benchmark: the DAG's own pipeline, run per company.

The scenario's Keeping rows go into a real warehouse (:func:`load_warehouse`, before the clock
starts); then :func:`run_project` runs ``nmbrs_provider.sync.pipeline.sync_company`` for every
company, ``parallel_companies`` at a time, each with its own backend from ``open_backend``:
the same steps, settings and Nmbrs calls as the DAG's ``sync_company`` task. Nothing of the
pipeline is copied here; this module only lays out the scenario for it.
"""

from __future__ import annotations

import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from bench.scenario import HOUR_CODE, BenchScenario
from nmbrs_provider.core.config import LoadConfig, SyncConfig, parse_config
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.sync.pipeline import RunIdentity, open_backend, sync_company

if TYPE_CHECKING:
    from dev.local_warehouse import Database

WAREHOUSE_CONN_ID = "bench_warehouse"


def organisation_of(bench: BenchScenario, company_id: int) -> int:
    """The Keeping organisation that feeds ``company_id`` (1, 2, ... in company order)."""
    return bench.company_ids.index(company_id) + 1


def nmbrs_company_id(company_id: int, api: str = "soap") -> int | str:
    """The id the config gives ``company_id`` on ``api``: the SOAP integer or the REST UUID."""
    if api == "soap":
        return company_id
    from nmbrs_sandbox.rest.ids import company_uuid

    return company_uuid(company_id)


def sync_config(
    bench: BenchScenario, conn_id: str, load: LoadConfig, api: str = "soap"
) -> SyncConfig:
    """One company per organisation on ``conn_id``, worked hours on code 2100 (on ``api``
    "rest" the companies are named by their REST UUIDs)."""
    config = parse_config(
        {
            "warehouse_conn_id": WAREHOUSE_CONN_ID,
            "hour_codes": {"worked": HOUR_CODE},
            "companies": [
                {
                    "company_id": nmbrs_company_id(company_id, api),
                    "nmbrs_conn_id": conn_id,
                    "organisations": [organisation_of(bench, company_id)],
                }
                for company_id in bench.company_ids
            ],
        },
        source="bench.sync_load",
    )
    return dataclasses.replace(config, load=load)


def load_warehouse(db: Database, bench: BenchScenario) -> None:
    """Create the Keeping and ledger schemas and insert every employee as a Keeping user (code =
    personnel number) and the flexible employees' entries, approved."""
    from bench.warehouse_load import SQL_DIR

    db.run_sql_file(SQL_DIR / "keeping_schema.sql")
    db.run_sql_file(SQL_DIR / "ledger_schema.sql")
    users, numbers = [], {}
    for company in bench.scenario["companies"]:
        organisation = organisation_of(bench, company["id"])
        for e in company["employees"]:
            numbers[e["id"]] = (organisation, e["number"])
            users.append((e["id"], organisation, str(e["number"]), e["first_name"], "Bench"))
    entries = [
        (i + 1, numbers[entry.employee_id][0], entry.employee_id, entry.work_date, entry.hours)
        for i, entry in enumerate(e for c in bench.company_ids for e in bench.company_entries(c))
    ]
    with db.connect() as conn, conn.cursor() as cur:
        cur.execute("truncate keeping.time_entries, keeping.users")
        cur.executemany(
            "insert into keeping.users (id, organisation_id, code, first_name, surname)"
            " values (%s, %s, %s, %s, %s)",
            users,
        )
        cur.executemany(
            "insert into keeping.time_entries (id, organisation_id, user_id, date, purpose,"
            " hours, approval_status) values (%s, %s, %s, %s, 'work', %s, 'approved')",
            entries,
        )
        conn.commit()


def run_project(
    conn_id: str,
    bench: BenchScenario,
    period: PayrollPeriod,
    load: LoadConfig | None = None,
    api: str = "soap",
) -> int:
    """Sync every company, ``parallel_companies`` at a time; return the employees written
    (``api``: whether ``conn_id`` is SOAP or REST, which names the companies differently)."""
    from bench.warehouse_load import SQL_DIR
    from nmbrs_provider.sync.warehouse import SyncWarehouse

    load = load or LoadConfig()
    SyncWarehouse(WAREHOUSE_CONN_ID, SQL_DIR).apply_ledger_schema()
    batch = uuid.uuid4().hex[:8]

    def one(company_id: int) -> int:
        return sync_one(conn_id, bench, company_id, period, load, batch, api)

    with ThreadPoolExecutor(max_workers=load.parallel_companies) as pool:
        return sum(pool.map(one, bench.company_ids))


def sync_one(
    conn_id: str,
    bench: BenchScenario,
    company_id: int,
    period: PayrollPeriod,
    load: LoadConfig,
    batch: str,
    api: str = "soap",
) -> int:
    """One company's ``sync_company``, as the DAG's task runs it; the employees written."""
    from bench.warehouse_load import SQL_DIR
    from nmbrs_provider.sync.pipeline import LoadSettings
    from nmbrs_provider.sync.warehouse import SyncWarehouse

    config = sync_config(bench, conn_id, load, api)
    result = sync_company(
        nmbrs=open_backend(conn_id, config.load),
        warehouse=SyncWarehouse(WAREHOUSE_CONN_ID, SQL_DIR),
        config=config,
        company_id=nmbrs_company_id(company_id, api),
        period=period,
        dry_run=False,
        run=RunIdentity(f"bench/{batch}/{company_id}", "bench", f"bench/{batch}"),
        load=LoadSettings.from_config(config.load),
    )
    return result.employees_written
