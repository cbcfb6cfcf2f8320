"""A deterministic payroll world large enough to count a sync's Nmbrs calls per employee.

``BudgetWorld.generate(employees_per_company, companies)`` builds, from a fixed seed, the
sandbox scenario (companies 81001.., monthly, current period 2026-11, hour model 2100), the
Keeping data of the warehouse (organisation 11 feeds company 81001, 12 feeds 81002, ...) and
the sync config. About 70% of the employees are flexible (zero schedule, hourly wage, no fixed
days), the others work a fixed schedule on a salary; most employees register hours in November,
the fixed ones too (the sync must exclude those). Nobody holds components yet, so a first run
writes no deletes.

What Nmbrs must hold afterwards (:meth:`BudgetWorld.expected`) is summed straight from the
generated entries, independently of the sync.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from dev.local_warehouse import Database

USERNAME, TOKEN, DOMAIN = "budget@example.com", "budget-token", "budget"  # public test data
CONN_ID = "nmbrs_budget"
FIRST_COMPANY, FIRST_ORGANISATION, FIRST_EMPLOYEE = 81001, 11, 8_100_001
WORKED = 2100
YEAR, MONTH = 2026, 11
PERIOD = "2026-11-M"
SQL_DIR = Path(__file__).resolve().parents[3] / "include" / "sql"
_NOVEMBER = [dt.date(YEAR, MONTH, day) for day in range(1, 31)]


@dataclass(frozen=True)
class Employee:
    id: int
    company_id: int
    organisation_id: int
    number: int
    flexible: bool

    @property
    def user_id(self) -> int:
        return self.organisation_id * 100_000 + self.number


@dataclass(frozen=True)
class BudgetWorld:
    """Sandbox scenario, Keeping rows and config of one generated world."""

    employees: tuple[Employee, ...]
    entries: tuple[tuple[int, int, dt.date, Decimal], ...]  # (organisation, user, date, hours)

    @classmethod
    def generate(cls, per_company: int, companies: int, seed: int = 12) -> BudgetWorld:
        rng = random.Random(f"budget-{seed}-{per_company}-{companies}")
        employees, entries = [], []
        for c in range(companies):
            for number in range(1, per_company + 1):
                employee = Employee(
                    id=FIRST_EMPLOYEE + c * per_company + number - 1,
                    company_id=FIRST_COMPANY + c,
                    organisation_id=FIRST_ORGANISATION + c,
                    number=number,
                    flexible=rng.random() < 0.7,
                )
                employees.append(employee)
                if rng.random() < 0.9:
                    for day in sorted(rng.sample(_NOVEMBER, rng.randint(1, 15))):
                        hours = Decimal(rng.randint(12, 36)) / 4  # 3 to 9 hours
                        entries.append((employee.organisation_id, employee.user_id, day, hours))
        return cls(tuple(employees), tuple(entries))

    @property
    def company_ids(self) -> list[int]:
        return sorted({e.company_id for e in self.employees})

    @property
    def flexible(self) -> list[Employee]:
        return [e for e in self.employees if e.flexible]

    def scenario(self, permissions: Any = "all") -> dict[str, Any]:
        """The sandbox scenario (``permissions`` of the one API user)."""
        companies = []
        for index, company_id in enumerate(self.company_ids):
            staff = [self._nmbrs_employee(e) for e in self.employees if e.company_id == company_id]
            companies.append(
                {
                    "id": company_id,
                    "number": index + 1,
                    "name": f"Budget Company {index + 1} BV",
                    "period_type": "M",
                    "current_period": f"{YEAR}-{MONTH}",
                    "hour_codes": {WORKED: "Gewerkte uren"},
                    "employees": staff,
                }
            )
        account = {
            "username": USERNAME,
            "token": TOKEN,
            "domain": DOMAIN,
            "permissions": permissions,
            "companies": self.company_ids,
        }
        return {"accounts": [account], "companies": companies}

    @staticmethod
    def _nmbrs_employee(e: Employee) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": e.id,
            "number": e.number,
            "first_name": f"Emp{e.id}",
            "last_name": f"Company{e.company_id}",
            "start_date": "2024-01-01",
        }
        if e.flexible:
            row["salaries"] = [{"value": 15.5, "type": "Bruto_Uurloon", "start_date": "2024-01-01"}]
            row["schedules"] = [{"start_date": "2024-01-01", "week1": [0] * 7}]
            row["days_fixed"] = 0
        else:
            row["salaries"] = [
                {"value": 3200.0, "type": "Bruto_Salaris_Fulltime", "start_date": "2024-01-01"}
            ]
            row["schedules"] = [{"start_date": "2024-01-01", "week1": [8, 8, 8, 8, 8, 0, 0]}]
            row["days_fixed"] = 21
        return row

    def load_warehouse(self, db: Database) -> None:
        """Create the Keeping schema and insert the users and time entries."""
        db.run_sql_file(SQL_DIR / "keeping_schema.sql")
        with db.connect() as conn, conn.cursor() as cur:
            cur.executemany(
                "insert into keeping.users (id, organisation_id, code, first_name, surname)"
                " values (%s, %s, %s, %s, %s)",
                [
                    (e.user_id, e.organisation_id, str(e.number), f"Emp{e.id}", "Budget")
                    for e in self.employees
                ],
            )
            cur.executemany(
                "insert into keeping.time_entries (id, organisation_id, user_id, date, purpose,"
                " hours, approval_status) values (%s, %s, %s, %s, 'work', %s, 'approved')",
                [(900_001 + i, *entry) for i, entry in enumerate(self.entries)],
            )
            conn.commit()

    def write_config(self, path: Path, **load: Any) -> Path:
        """The sync config of the world's companies (``load`` sets ``load.*`` keys)."""
        config = {
            "warehouse_conn_id": "keeping_warehouse",
            "past_period_policy": "fail",
            "hour_codes": {"worked": WORKED},
            "companies": [
                {
                    "company_id": company_id,
                    "nmbrs_conn_id": CONN_ID,
                    "organisations": [FIRST_ORGANISATION + i],
                }
                for i, company_id in enumerate(self.company_ids)
            ],
            "load": load,
        }
        path.write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
        return path

    def expected(self) -> dict[int, tuple[Decimal, int]]:
        """Flexible employee id -> (worked hours, days worked) Nmbrs must hold for November."""
        by_user = {e.user_id: e for e in self.flexible}
        hours: dict[int, Decimal] = {e.id: Decimal(0) for e in self.flexible}
        days: dict[int, set[dt.date]] = {e.id: set() for e in self.flexible}
        for _, user_id, day, entry_hours in self.entries:
            if user_id in by_user:
                hours[by_user[user_id].id] += entry_hours
                days[by_user[user_id].id].add(day)
        return {i: (hours[i], len(days[i])) for i in hours}


def holds_expected(sandbox: Any, world: BudgetWorld) -> list[str]:
    """What differs between what Nmbrs holds and :meth:`BudgetWorld.expected` (empty: nothing)."""
    wrong = []
    for employee_id, (hours, days) in world.expected().items():
        components = sandbox.hour_components(employee_id, YEAR, MONTH)
        held = sum((Decimal(str(c["Hours"])) for c in components), Decimal(0))
        codes = {int(c["HourCode"]) for c in components}
        held_days = sandbox.days_var(employee_id, YEAR, MONTH) or 0
        if held != hours or codes - {WORKED} or held_days != days:
            wrong.append(f"{employee_id}: holds {held} h {held_days} d, wants {hours} h {days} d")
    for e in world.employees:
        if not e.flexible and sandbox.hour_components(e.id, YEAR, MONTH):
            wrong.append(f"{e.id}: fixed, but was sent hours")
    return wrong
