"""Building blocks for end-to-end runs of the payroll sync DAG.

A :class:`SyncWorld` is one Nmbrs sandbox, one warehouse database with the demo Keeping data, a
sync config file and the environment for ``airflow dags test``. :meth:`SyncWorld.run` runs the
DAG and keeps what a payroll administrator would look at afterwards: the exit status and
output, the calls Nmbrs received during the run, what Nmbrs holds, and the Airflow run id
under which the ledger recorded it.

A world speaks one ``api``: ``"soap"`` (the demo config as it is) or ``"rest"`` (every company
on the ``nmbrs_rest`` connection with its UUID company id, authorized once by the API user).
The ledger's ids are read back as the sandbox's integers either way, so assertions compare with
the sandbox on both APIs; :meth:`SyncWorld.ref` gives the id as the sync names it.

What Nmbrs *should* hold is computed here straight from ``keeping.time_entries``
(:func:`expected_holdings`), independently of the sync's own SQL and Python.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from dev.demo_data import ANNA, BRAM, EVA, GIJS, PERIOD_END, PERIOD_START
from dev.local_warehouse import Database, Warehouse, seed_demo
from nmbrs_sandbox import Sandbox, Scenario
from nmbrs_sandbox.rest.ids import company_uuid, employee_uuid
from tests.airflow_fixtures import ROOT, run_airflow
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json
from tests.nmbrs_provider.rest.conftest import authorize_in_process, rest_conn_json

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
APIS = ("soap", "rest")
REST_CONN = "nmbrs_rest"  # the connection every company of a REST world is on
# Write operations of both APIs -> what they do to an employee's period.
WRITE_KINDS = {
    "HourComponentVar_Insert_Batch": "add",
    "createVariableHourComponent": "add",
    "updateEmployeeVariableHours": "update",
    "HourComponent_Delete": "delete",
    "deleteEmployeeHours": "delete",
    "HourComponentVar_ClearCurrent": "clear",
    "HourComponentVar_Clear": "clear",
    "DaysVar_Set_Batch": "days",
    "CreateVariableWorkedDays": "days",
    "DaysFixed_Set_Batch": "fixed days",
}
WRITE_OPERATIONS = frozenset(WRITE_KINDS)

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
    calls: list[dict[str, Any]]  # SOAP and REST calls Nmbrs received during the run
    state: dict[str, Any]  # the sandbox state right after the run
    expected: dict[int, tuple[Decimal, int]]  # what Nmbrs should hold, from the warehouse

    @property
    def output(self) -> str:
        return self.process.stdout + self.process.stderr

    @property
    def writes(self) -> list[dict[str, Any]]:
        """Write calls Nmbrs accepted on either API (permission probes, which it rejects, do
        not count)."""
        return [
            c
            for c in self.calls
            if c["operation"] in WRITE_OPERATIONS and c.get("fault_code") is None
        ]

    def written(self) -> dict[str, set[int]]:
        """Employees written to, by what the writes did (``add``, ``days``, ``delete``...)."""
        kinds: dict[str, set[int]] = {}
        for call in self.writes:
            kinds.setdefault(WRITE_KINDS[call["operation"]], set()).update(call["employee_ids"])
        return kinds

    @property
    def november(self) -> dict[int, Holding]:
        return holdings(self.state, NOVEMBER)

    def describe(self) -> str:
        """Tail of the output, for assertion messages."""
        return f"exit {self.process.returncode}\n{self.output[-4000:]}"


class SyncWorld:
    """Sandbox + warehouse + config + Airflow environment for the payroll sync DAG."""

    def __init__(
        self,
        sandbox: Sandbox,
        db: Database,
        airflow_env: Mapping[str, str],
        tmp: Path,
        api: str = "soap",
    ) -> None:
        seed_demo(db)
        self.sandbox = sandbox
        self.db = db
        self.tmp = tmp
        self.env = dict(airflow_env)  # no NMBRS_SQL_DIR: the DAG finds the project's SQL
        self.env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = db.airflow_conn_json()
        self.env["NMBRS_TOKEN_KEY"] = Fernet.generate_key().decode()
        state = sandbox.state()
        # REST UUID -> sandbox integer, for reading the ledger back
        self._soap_ids = {company_uuid(c["id"]): c["id"] for c in state["companies"]}
        self._soap_ids.update({employee_uuid(e["id"]): e["id"] for e in state["employees"]})
        self.api = "soap"
        self.connect_nmbrs(DEMO_USER)
        self._configs = 0
        self.use_api(api)
        self.initial = holdings(state)  # what Nmbrs held before any run

    def use_api(self, api: str) -> Path:
        """Put the config's companies on ``api`` from the next run on (authorizing the REST
        connection as the demo user the first time)."""
        assert api in APIS, api
        self.api = api
        if api == "rest" and f"AIRFLOW_CONN_{REST_CONN.upper()}" not in self.env:
            self.connect_nmbrs(DEMO_USER)
        return self.configure()

    def ref(self, company_id: int) -> int | str:
        """A sandbox company id as this world's sync names it (the UUID on REST)."""
        return company_uuid(company_id) if self.api == "rest" else company_id

    def connect_nmbrs(
        self,
        user: tuple[str, str],
        conn_id: str = "nmbrs_default",
        *,
        rest_scopes: Iterable[str] | None = None,
    ) -> None:
        """Point the Airflow connection ``conn_id`` at the sandbox as ``user``; on REST,
        authorize the ``nmbrs_rest`` connection as ``user`` instead, the connection asking for
        ``rest_scopes`` (None: the default scopes)."""
        if self.api == "soap":
            self.env[f"AIRFLOW_CONN_{conn_id.upper()}"] = nmbrs_conn_json(self.sandbox.url, *user)
            return
        scopes = {} if rest_scopes is None else {"scopes": sorted(rest_scopes)}
        env = {
            f"AIRFLOW_CONN_{REST_CONN.upper()}": rest_conn_json(self.sandbox.url, **scopes),
            "NMBRS_TOKEN_KEY": self.env["NMBRS_TOKEN_KEY"],
            "AIRFLOW_CONN_KEEPING_WAREHOUSE": self.env["AIRFLOW_CONN_KEEPING_WAREHOUSE"],
        }
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            authorize_in_process(REST_CONN, self.sandbox, login=user[0])
        self.env.update(env)

    def configure(self, *, extra_companies: list[dict] | None = None, **top: Any) -> Path:
        """Write the demo sync config with ``top`` keys replaced; use it for the next runs.

        On REST every company (extra ones too) is put on ``nmbrs_rest`` with its UUID."""
        config = yaml.safe_load(DEMO_CONFIG.read_text("utf-8"))
        config.update(top)
        config["companies"] = [*config["companies"], *(extra_companies or [])]
        for company in config["companies"]:
            number = company["company_id"]
            if self.api == "rest" and isinstance(number, int):
                self._soap_ids.setdefault(company_uuid(number), number)
                company.update(company_id=company_uuid(number), nmbrs_conn_id=REST_CONN)
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

    def runs(self, run: SyncRun, *, raw: bool = False) -> list[dict[str, Any]]:
        """Ledger runs of one Airflow run, the company-less one first."""
        rows = self._ledger_rows(
            "select * from nmbrs_sync.runs where airflow_run_id = %s"
            " order by company_id nulls first, started_at",
            (run.airflow_run_id,),
            raw,
        )
        return sorted(rows, key=lambda r: (r["company_id"] is not None, str(r["company_id"])))

    def _ledger_rows(self, sql: str, params: Any, raw: bool = False) -> list[dict[str, Any]]:
        """Ledger rows with the ids as the sandbox's ints (the ledger keeps ids as text: a
        SOAP id's digits, a REST UUID), so that they compare with the sandbox on either API;
        ``raw``: as the ledger keeps them."""
        return [
            {k: v if raw or k not in _ID_COLUMNS else self._soap_id(v) for k, v in row.items()}
            for row in self.db.query_dicts(sql, params)
        ]

    def _soap_id(self, value: Any) -> Any:
        if isinstance(value, str) and value.isdigit():
            return int(value)
        return self._soap_ids.get(value, value)

    def company_runs(self, run: SyncRun, *, raw: bool = False) -> dict[Any, dict[str, Any]]:
        return {r["company_id"]: r for r in self.runs(run, raw=raw) if r["company_id"] is not None}

    def balances(self, run: SyncRun) -> list[dict[str, Any]]:
        return self._ledger_rows(
            "select b.* from nmbrs_sync.period_balance as b"
            " join nmbrs_sync.runs as r using (run_id) where r.airflow_run_id = %s",
            (run.airflow_run_id,),
        )

    def lines(self, table: str, run: SyncRun, *, raw: bool = False) -> list[dict[str, Any]]:
        """Rows of ``nmbrs_sync.<table>`` (sent_lines, plan_lines, excluded_hours) of a run."""
        assert table in {"sent_lines", "plan_lines", "excluded_hours"}
        return self._ledger_rows(
            f"select t.* from nmbrs_sync.{table} as t"
            " join nmbrs_sync.runs as r using (run_id) where r.airflow_run_id = %s"
            " order by t.id",
            (run.airflow_run_id,),
            raw,
        )


@contextmanager
def own_world(
    warehouse: Warehouse,
    airflow_env: Mapping[str, str],
    tmp: Path,
    scenario: Scenario | Mapping[str, Any] | None = None,
    api: str = "soap",
) -> Iterator[SyncWorld]:
    """A world with its own sandbox and database, for fixtures wider than one test."""
    name = f"t_dags_{secrets.token_hex(4)}"
    db = warehouse.create_database(name)
    try:
        with Sandbox(scenario or Scenario.demo()).start() as sandbox:
            yield SyncWorld(sandbox, db, airflow_env, tmp, api)
    finally:
        warehouse.drop_database(name)
