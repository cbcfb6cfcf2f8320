"""Deterministic benchmark scenarios: a sandbox scenario dict plus the desired hours.

``generate(employees=200, companies=2, seed=1)`` always builds the same universe:

* ``companies`` companies (period type M, current period 2026-11, hour model 2100), the
  employees spread evenly over them, personnel numbers 1..k unique per company;
* about 70% flexible employees (zero schedule, ``Bruto_Uurloon``, 0 fixed days) and 30% on a
  fixed schedule (8 h Mon-Fri full time or 6 h Mon-Thu part time, with fixed days);
* for 90% of the flexible employees, desired hours for 2026-11 as Keeping-like entries
  (one per worked day, hour code 2100, purpose ``work``); 10% of the flexible employees already
  hold a stale 2100 component and days worked from an earlier load (so deletes happen too).

``desired[employee_id] = (hours, days)`` is what Nmbrs must hold afterwards for every flexible
employee (``(Decimal(0), 0)`` for those without hours).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

USERNAME = "bench@example.com"
TOKEN = "bench-token"  # public test data of the local sandbox, not a secret
DOMAIN = "bench"
PERIOD = "2026-11-M"
YEAR, MONTH = 2026, 11
HOUR_CODE = 2100
FIRST_COMPANY_ID = 70001
FIRST_EMPLOYEE_ID = 1_000_001
FLEXIBLE_SHARE = 0.7
WITH_HOURS_SHARE = 0.9
STALE_SHARE = 0.1

_NOVEMBER = [dt.date(YEAR, MONTH, d) for d in range(1, 31)]
_FIXED_SCHEDULES = (
    ([8, 8, 8, 8, 8, 0, 0], "Bruto_Salaris_Fulltime", 3200.0, 21),
    ([6, 6, 6, 6, 0, 0, 0], "Bruto_Salaris_Partime", 2100.0, 16),
)


@dataclass(frozen=True)
class Entry:
    """One Keeping-like time entry of a flexible employee."""

    employee_id: int
    work_date: dt.date
    hours: Decimal


@dataclass(frozen=True)
class BenchScenario:
    """The sandbox scenario and what the sync must make Nmbrs hold."""

    employees: int
    companies: int
    seed: int
    scenario: dict[str, Any]
    #: flexible employee ids per company id
    flexible: dict[int, list[int]]
    #: every flexible employee: (hours of code 2100, days worked) wanted in 2026-11
    desired: dict[int, tuple[Decimal, int]]
    entries: dict[int, list[Entry]] = field(repr=False)

    @property
    def company_ids(self) -> list[int]:
        return sorted(self.flexible)

    def company_entries(self, company_id: int) -> list[Entry]:
        """Entries of the company's flexible employees (for the project's planner)."""
        return self.entries.get(company_id, [])


def generate(employees: int = 200, companies: int = 2, seed: int = 1) -> BenchScenario:
    """Build the scenario; the same arguments always give the same result."""
    if companies < 1 or employees < companies:
        raise ValueError("need at least one company and one employee per company")
    rng = random.Random(f"{seed}-{employees}-{companies}")
    company_ids = [FIRST_COMPANY_ID + i for i in range(companies)]
    flexible: dict[int, list[int]] = {c: [] for c in company_ids}
    desired: dict[int, tuple[Decimal, int]] = {}
    entries: dict[int, list[Entry]] = {c: [] for c in company_ids}
    company_rows = []
    next_id = FIRST_EMPLOYEE_ID
    for index, company_id in enumerate(company_ids):
        size = employees // companies + (1 if index < employees % companies else 0)
        staff = []
        for number in range(1, size + 1):
            employee_id = next_id
            next_id += 1
            row: dict[str, Any] = {
                "id": employee_id,
                "number": number,
                "first_name": f"Emp{employee_id}",
                "last_name": f"Company{index + 1}",
                "start_date": "2024-01-01",
            }
            if rng.random() < FLEXIBLE_SHARE:
                flexible[company_id].append(employee_id)
                wage = round(rng.uniform(12.5, 22.0), 2)
                row["salaries"] = [
                    {"value": wage, "type": "Bruto_Uurloon", "start_date": "2024-01-01"}
                ]
                row["schedules"] = [{"start_date": "2024-01-01", "week1": [0] * 7}]
                row["days_fixed"] = 0
                hours, days = Decimal(0), 0
                if rng.random() < WITH_HOURS_SHARE:
                    dates = sorted(rng.sample(_NOVEMBER, rng.randint(1, 20)))
                    for day in dates:
                        quarter_hours = rng.randint(12, 36)  # 3 to 9 hours
                        entry_hours = Decimal(quarter_hours) / 4
                        entries[company_id].append(Entry(employee_id, day, entry_hours))
                        hours += entry_hours
                    days = len(dates)
                if rng.random() < STALE_SHARE:
                    stale = Decimal(rng.randint(4, 80)) / 2
                    row["hour_components"] = {
                        f"{YEAR}-{MONTH}": [
                            {"hour_code": HOUR_CODE, "hours": float(stale), "comment": "oud"}
                        ]
                    }
                    row["days_var"] = {f"{YEAR}-{MONTH}": rng.randint(1, 20)}
                desired[employee_id] = (hours, days)
            else:
                week, salary_type, value, days_fixed = rng.choice(_FIXED_SCHEDULES)
                row["salaries"] = [
                    {"value": value, "type": salary_type, "start_date": "2024-01-01"}
                ]
                row["schedules"] = [{"start_date": "2024-01-01", "week1": week}]
                row["days_fixed"] = days_fixed
            staff.append(row)
        company_rows.append(
            {
                "id": company_id,
                "number": index + 1,
                "name": f"Bench Company {index + 1} BV",
                "period_type": "M",
                "current_period": f"{YEAR}-{MONTH}",
                "hour_codes": {HOUR_CODE: "Gewerkte uren"},
                "employees": staff,
            }
        )
    scenario = {
        "accounts": [
            {
                "username": USERNAME,
                "token": TOKEN,
                "domain": DOMAIN,
                "permissions": "all",
                "companies": company_ids,
            }
        ],
        "companies": company_rows,
    }
    return BenchScenario(employees, companies, seed, scenario, flexible, desired, entries)
