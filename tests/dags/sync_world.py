"""Building blocks for end-to-end runs of the payroll sync DAG.

A :class:`SyncWorld` is one Nmbrs sandbox, one warehouse database with the demo Keeping data, a
sync config file and the environment for ``airflow dags test``. :meth:`SyncWorld.run` runs the
DAG and keeps what a payroll administrator would look at afterwards: the exit status and
output, the SOAP calls Nmbrs received during the run, what Nmbrs holds, and the Airflow run id
under which the ledger recorded it.

What Nmbrs *should* hold is computed here straight from ``keeping.time_entries``
(:func:`expected_holdings`), independently of the sync's own SQL and Python.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from dev.demo_data import ANNA, BRAM, EVA, GIJS, PERIOD_END, PERIOD_START
from dev.local_warehouse import Database, Warehouse, seed_demo
from nmbrs_sandbox import Sandbox, Scenario
from tests.airflow_fixtures import ROOT, run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json

PERIOD = "2026-11-M"
NOVEMBER = "2026-11"
DECEMBER = "2026-12"
HORECA, EVENTS = 54613, 54614
WORKED = 2100
DEMO_CONFIG = ROOT / "include" / "nmbrs_sync.yaml"
SQL_DIR = ROOT / "include" / "sql"

# Keeping user code -> Nmbrs employee id of the flexible (zero-hour) demo employees.
FLEXIBLE = {"101": 500001, "102": 500002, "104": 500004, "201": 600001, "203": 600003}
FIXED = (500003, 600002)  # Chantal Bakker, Finn Mulder
DAAN, FINN = 500004, 600002
GIJS_CODE, GIJS_START = "203", "2026-11-10"  # Gijs de Boer is employed from 10 November
_ID_COLUMNS = frozenset({"company_id", "employee_id", "component_id"})
WRITE_OPERATIONS = frozenset(
    {
        "HourComponentVar_Insert_Batch",
        "HourComponent_Delete",
        "HourComponentVar_ClearCurrent",
        "HourComponentVar_Clear",
        "DaysVar_Set_Batch",
        "DaysFixed_Set_Batch",
    }
)

# Worked hours and days per flexible employee, straight from the time entries: purpose work,
# finished, positive, inside the period and inside the employment.
_EXPECTED_SQL = """
select u.code, sum(e.hours) as hours, count(distinct e.date) as days
from keeping.time_entries as e
join keeping.users as u on u.id = e.user_id
where e.date between %(start)s and %(end)s
  and e.purpose = 'work' and not e.ongoing and e.hours > 0
  and u.code = any(%(codes)s)
  and not (u.code = %(gijs)s and e.date < %(gijs_start)s::date)
group by u.code
"""


@dataclass(frozen=True)
class Holding:
    """What Nmbrs holds for an employee in a period."""

    components: tuple[tuple[int, int, Decimal, str], ...]  # (id, hour code, hours, comment)
    days: int | None

    def of_code(self, code: int) -> list[Decimal]:
        return [hours for _, c, hours, _ in self.components if c == code]


def holdings(state: Mapping[str, Any], period: str = NOVEMBER) -> dict[int, Holding]:
    """Every employee's variable components and days of ``period`` in a sandbox state."""
    result = {}
    for employee in state["employees"]:
        comps = employee["hour_components"].get(period, [])
        result[employee["id"]] = Holding(
            tuple(
                (c["Id"], c["HourCode"], Decimal(str(c["Hours"])), c["Comment"] or "")
                for c in comps
            ),
            employee["days_var"].get(period),
        )
    return result


def company_of(state: Mapping[str, Any]) -> dict[int, int]:
    """Employee id -> Nmbrs company id."""
    return {e["id"]: e["company_id"] for e in state["employees"]}


def expected_holdings(db: Database) -> dict[int, tuple[Decimal, int]]:
    """Employee id -> (worked hours, days worked) Nmbrs should hold for November."""
    rows = db.query_dicts(
        _EXPECTED_SQL,
        {
            "start": PERIOD_START,
            "end": PERIOD_END,
            "codes": list(FLEXIBLE),
            "gijs": GIJS_CODE,
            "gijs_start": GIJS_START,
        },
    )
    return {
        FLEXIBLE[r["code"]]: (Decimal(r["hours"]).quantize(Decimal("0.01")), int(r["days"]))
        for r in rows
    }


def raw_period_total(db: Database) -> Decimal:
    """``include/sql/count_period_hours.sql`` over every organisation: all hours of November."""
    (row,) = db.query_dicts(
        (SQL_DIR / "count_period_hours.sql").read_text("utf-8"),
        {"organisation_ids": None, "period_start": PERIOD_START, "period_end": PERIOD_END},
    )
    return Decimal(row["hours"])


def change_keeping_hours(db: Database, *, drop_gijs: bool = False) -> None:
    """Change November in Keeping after a sync: Anna's first shift gets 1.25 h longer, one of
    Bram's single-shift days is deleted, and Eva gets a 5.5 h shift on a day she was free;
    with ``drop_gijs`` every hour Gijs worked while employed is deleted too."""
    period = {"start": PERIOD_START, "end": PERIOD_END}
    db.execute(
        "update keeping.time_entries set hours = hours + 1.25 where id = ("
        " select min(id) from keeping.time_entries where user_id = %(anna)s"
        " and purpose = 'work' and hours > 0 and date between %(start)s and %(end)s)",
        {**period, "anna": ANNA},
    )
    db.execute(
        "delete from keeping.time_entries where id = ("
        " select min(e.id) from keeping.time_entries as e where e.user_id = %(bram)s"
        " and e.purpose = 'work' and e.date between %(start)s and %(end)s and not exists ("
        "  select 1 from keeping.time_entries as o"
        "  where o.user_id = e.user_id and o.date = e.date and o.id <> e.id))",
        {**period, "bram": BRAM},
    )
    db.execute(
        "insert into keeping.time_entries"
        " (id, organisation_id, user_id, date, purpose, hours, locked, approval_status)"
        " select (select max(id) + 1 from keeping.time_entries), 2, %(eva)s, d::date, 'work',"
        " 5.50, true, 'approved'"
        " from generate_series(%(start)s::date, %(end)s::date, interval '1 day') as d"
        " where not exists (select 1 from keeping.time_entries as e"
        "  where e.user_id = %(eva)s and e.date = d::date)"
        " order by d limit 1",
        {**period, "eva": EVA},
    )
    if drop_gijs:
        db.execute(
            "delete from keeping.time_entries where user_id = %(gijs)s and purpose = 'work'"
            " and date between %(gijs_start)s and %(end)s",
            {**period, "gijs": GIJS, "gijs_start": GIJS_START},
        )


@dataclass
class SyncRun:
    """One ``airflow dags test`` run and what it left behind."""

    process: subprocess.CompletedProcess[str]
    airflow_run_id: str | None
    calls: list[dict[str, Any]]  # SOAP calls Nmbrs received during the run
    state: dict[str, Any]  # the sandbox state right after the run
    expected: dict[int, tuple[Decimal, int]]  # what Nmbrs should hold, from the warehouse

    @property
    def output(self) -> str:
        return self.process.stdout + self.process.stderr

    @property
    def writes(self) -> list[dict[str, Any]]:
        """Write calls Nmbrs accepted (permission probes, which it rejects, do not count)."""
        return [
            c
            for c in self.calls
            if c["operation"] in WRITE_OPERATIONS and c.get("fault_code") is None
        ]

    @property
    def november(self) -> dict[int, Holding]:
        return holdings(self.state, NOVEMBER)

    def describe(self) -> str:
        """Tail of the output, for assertion messages."""
        return f"exit {self.process.returncode}\n{self.output[-4000:]}"


class SyncWorld:
    """Sandbox + warehouse + config + Airflow environment for the payroll sync DAG."""

    def __init__(
        self, sandbox: Sandbox, db: Database, airflow_env: Mapping[str, str], tmp: Path
    ) -> None:
        seed_demo(db)
        self.sandbox = sandbox
        self.db = db
        self.tmp = tmp
        self.env = dict(airflow_env)  # no NMBRS_SQL_DIR: the DAG finds the project's SQL
        self.env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = db.airflow_conn_json()
        self.connect_nmbrs(DEMO_USER)
        self._configs = 0
        self.configure()
        self.initial = holdings(sandbox.state())  # what Nmbrs held before any run

    def connect_nmbrs(self, user: tuple[str, str], conn_id: str = "nmbrs_default") -> None:
        """Point the Airflow connection ``conn_id`` at the sandbox as ``user``."""
        self.env[f"AIRFLOW_CONN_{conn_id.upper()}"] = nmbrs_conn_json(self.sandbox.url, *user)

    def configure(self, *, extra_companies: list[dict] | None = None, **top: Any) -> Path:
        """Write the demo sync config with ``top`` keys replaced; use it for the next runs."""
        config = yaml.safe_load(DEMO_CONFIG.read_text("utf-8"))
        config.update(top)
        config["companies"] = [*config["companies"], *(extra_companies or [])]
        self._configs += 1
        path = self.tmp / f"nmbrs_sync_{self._configs}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
        self.env["NMBRS_SYNC_CONFIG"] = str(path)
        return path

    def run(self, **conf: Any) -> SyncRun:
        """``airflow dags test nmbrs_payroll_sync`` for November (``conf`` adds Params)."""
        expected = expected_holdings(self.db)
        calls_before = len(self.sandbox.calls())
        known = self.airflow_run_ids()
        process = run_airflow(
            self.env,
            "dags",
            "test",
            "nmbrs_payroll_sync",
            "--conf",
            json.dumps({"period": PERIOD, **conf}),
            check=False,
        )
        new = [r for r in self.airflow_run_ids() if r not in known]
        return SyncRun(
            process=process,
            airflow_run_id=new[0] if new else None,
            calls=self.sandbox.calls()[calls_before:],
            state=self.sandbox.state(),
            expected=expected,
        )

    # -- the ledger -----------------------------------------------------------------------------

    def airflow_run_ids(self) -> list[str]:
        (exists,) = self.db.query("select to_regclass('nmbrs_sync.runs') is not null")[0]
        if not exists:
            return []
        rows = self.db.query(
            "select airflow_run_id from nmbrs_sync.runs group by 1 order by min(started_at)"
        )
        return [r[0] for r in rows]

    def runs(self, run: SyncRun) -> list[dict[str, Any]]:
        """Ledger runs of one Airflow run, the company-less one first."""
        return self._ledger_rows(
            "select * from nmbrs_sync.runs where airflow_run_id = %s"
            " order by company_id nulls first, started_at",
            (run.airflow_run_id,),
        )

    def _ledger_rows(self, sql: str, params: Any) -> list[dict[str, Any]]:
        """Ledger rows with SOAP ids as ints (the ledger keeps ids as text: a REST UUID stays
        text), so that they compare with the sandbox's ids."""
        return [
            {k: int(v) if k in _ID_COLUMNS and isinstance(v, str) and v.isdigit() else v
             for k, v in row.items()}
            for row in self.db.query_dicts(sql, params)
        ]  # fmt: skip

    def company_runs(self, run: SyncRun) -> dict[int, dict[str, Any]]:
        return {r["company_id"]: r for r in self.runs(run) if r["company_id"] is not None}

    def balances(self, run: SyncRun) -> list[dict[str, Any]]:
        return self._ledger_rows(
            "select b.* from nmbrs_sync.period_balance as b"
            " join nmbrs_sync.runs as r using (run_id) where r.airflow_run_id = %s",
            (run.airflow_run_id,),
        )

    def lines(self, table: str, run: SyncRun) -> list[dict[str, Any]]:
        """Rows of ``nmbrs_sync.<table>`` (sent_lines, plan_lines, excluded_hours) of a run."""
        assert table in {"sent_lines", "plan_lines", "excluded_hours"}
        return self._ledger_rows(
            f"select t.* from nmbrs_sync.{table} as t"
            " join nmbrs_sync.runs as r using (run_id) where r.airflow_run_id = %s"
            " order by t.id",
            (run.airflow_run_id,),
        )


@contextmanager
def own_world(
    warehouse: Warehouse,
    airflow_env: Mapping[str, str],
    tmp: Path,
    scenario: Scenario | Mapping[str, Any] | None = None,
) -> Iterator[SyncWorld]:
    """A world with its own sandbox and database, for fixtures wider than one test."""
    name = f"t_dags_{secrets.token_hex(4)}"
    db = warehouse.create_database(name)
    try:
        with Sandbox(scenario or Scenario.demo()).start() as sandbox:
            yield SyncWorld(sandbox, db, airflow_env, tmp)
    finally:
        warehouse.drop_database(name)
