"""Deterministic demo warehouse (Keeping data, November 2026) and its SQL file.

The data matches the Nmbrs sandbox demo: Keeping organisation 1 feeds company 54613
"Acme Horeca BV" (employees 101-104), organisation 2 feeds 54614 "Acme Events BV" (201-203)
and organisation 3 is configured for no company. Pseudo-randomness comes from SHA-256 of fixed
strings, so every Python version produces the same file.

    python -m dev.demo_data           # rewrite include/sql/demo_seed.sql
    python -m dev.demo_data --check   # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

SEED_FILE = Path(__file__).resolve().parent.parent / "include" / "sql" / "demo_seed.sql"

PERIOD_START = dt.date(2026, 11, 1)
PERIOD_END = dt.date(2026, 11, 30)
DEMO_ORGANISATIONS = (1, 2, 3)
# Keeping organisation -> Nmbrs company (the sync's configuration; 3 is deliberately absent).
ORGANISATION_COMPANY = {1: 54613, 2: 54614}

ANNA, BRAM, CHANTAL, DAAN, HENK, IRIS = 71001, 71002, 71003, 71004, 71005, 71006
EVA, FINN, GIJS = 72001, 72002, 72003
JESSE = 73001
BAR, KITCHEN = 10, 11
SETUP, SERVICE = 100, 101


@dataclass(frozen=True)
class User:
    """A row of keeping.users."""

    id: int
    organisation_id: int
    code: str | None
    first_name: str
    surname: str
    state: str = "active"


@dataclass(frozen=True)
class Entry:
    """A row of keeping.time_entries (without its id)."""

    organisation_id: int
    user_id: int
    date: dt.date
    purpose: str
    hours: Decimal | None
    ongoing: bool = False
    project_id: int | None = None
    task_id: int | None = None
    note: str | None = None
    approval_status: str | None = "approved"


USERS = (
    User(ANNA, 1, "101", "Anna", "de Vries"),
    User(BRAM, 1, "102", "Bram", "Jansen"),
    User(CHANTAL, 1, "103", "Chantal", "Bakker"),
    User(DAAN, 1, "104", "Daan", "Visser"),
    User(HENK, 1, None, "Henk", "Dijkstra"),  # no personnel number in Keeping
    User(IRIS, 1, "999", "Iris", "Vermeulen"),  # number matches no Nmbrs employee
    User(EVA, 2, "201", "Eva", "Smit"),
    User(FINN, 2, "202", "Finn", "Mulder"),
    User(GIJS, 2, "203", "Gijs", "de Boer"),  # employed from 2026-11-10
    User(JESSE, 3, "301", "Jesse", "Kok"),  # organisation without a company
)
PROJECTS = ((BAR, 1, "Bar", "BAR"), (KITCHEN, 1, "Kitchen", "KIT"))
TASKS = ((SETUP, 1, "Setup", "SETUP"), (SERVICE, 1, "Service", "SERVICE"))

# Flexible workers: chance (of 100) to work on a weekday / weekend day, first day, project.
_FLEXIBLE = {
    ANNA: (70, 30, PERIOD_START, BAR),
    BRAM: (65, 35, PERIOD_START, None),
    DAAN: (60, 25, PERIOD_START, KITCHEN),
    EVA: (65, 25, PERIOD_START, None),
    GIJS: (75, 30, dt.date(2026, 11, 10), None),
}
# Fixed-hours employees register their contract days: weekdays (Mon=0) and hours per day.
_FIXED = {CHANTAL: ((0, 1, 3), Decimal("8.00")), FINN: ((0, 2, 4), Decimal("7.50"))}
# Hours that must not be sent: chance (of 100) per weekday.
_OTHERS = {HENK: 30, IRIS: 25, JESSE: 40}


def _h(*parts: object) -> int:
    """Stable pseudo-random number from ``parts``."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def _days() -> Iterable[dt.date]:
    day = PERIOD_START
    while day <= PERIOD_END:
        yield day
        day += dt.timedelta(days=1)


def _org(user_id: int) -> int:
    return next(u.organisation_id for u in USERS if u.id == user_id)


def _flexible_day(user_id: int, day: dt.date, project: int | None) -> list[Entry]:
    """One shift: a single entry, or two halves around a half-hour break on long days."""
    org = _org(user_id)
    minutes = 180 + (_h(user_id, day, "minutes") % 61) * 5  # 3:00 .. 8:00 in 5-minute steps
    tasks = (SETUP, SERVICE) if project else (None, None)
    if minutes < 330:
        return [
            Entry(org, user_id, day, "work", _hours(minutes), project_id=project, task_id=tasks[1])
        ]
    first = (minutes * (40 + _h(user_id, day, "split") % 21) // 100) // 5 * 5
    return [
        Entry(org, user_id, day, "work", _hours(first), project_id=project, task_id=tasks[0]),
        Entry(org, user_id, day, "break", Decimal("0.50")),
        Entry(
            org, user_id, day, "work", _hours(minutes - first), project_id=project, task_id=tasks[1]
        ),
    ]


def _generated() -> list[Entry]:
    entries: list[Entry] = []
    for day in _days():
        weekend = day.weekday() >= 5
        for user_id, (weekday_pct, weekend_pct, first_day, project) in _FLEXIBLE.items():
            chance = weekend_pct if weekend else weekday_pct
            if day >= first_day and _h(user_id, day, "works") % 100 < chance:
                entries += _flexible_day(user_id, day, project)
        for user_id, (weekdays, hours) in _FIXED.items():
            if day.weekday() in weekdays:
                entries.append(Entry(_org(user_id), user_id, day, "work", hours))
        for user_id, chance in _OTHERS.items():
            if not weekend and _h(user_id, day, "works") % 100 < chance:
                minutes = 180 + (_h(user_id, day, "minutes") % 61) * 5
                entries.append(Entry(_org(user_id), user_id, day, "work", _hours(minutes)))
    return entries


def _special() -> tuple[set[tuple[int, dt.date]], list[Entry]]:
    """Hand-made cases: (user, day) pairs they replace, and their entries."""
    d = dt.date
    replaced = {(ANNA, d(2026, 11, 12)), (DAAN, d(2026, 11, 30)), (BRAM, d(2026, 11, 27))}
    entries = [
        Entry(1, ANNA, d(2026, 11, 12), "sick_leave", Decimal("6.00"), note="Griep"),
        Entry(1, DAAN, d(2026, 11, 30), "work", Decimal("3.50"), project_id=KITCHEN, task_id=SETUP),
        Entry(
            1,
            DAAN,
            d(2026, 11, 30),
            "work",
            None,
            ongoing=True,
            project_id=KITCHEN,
            task_id=SERVICE,
            note="Timer still running",
            approval_status=None,
        ),
        Entry(
            1, BRAM, d(2026, 11, 27), "work", Decimal("4.50"), note="Invallen", approval_status=None
        ),
        Entry(2, GIJS, d(2026, 11, 5), "work", Decimal("4.00"), note="Proefdag"),
        # Outside the period: must never be read for November.
        Entry(1, ANNA, d(2026, 10, 30), "work", Decimal("5.25"), project_id=BAR, task_id=SERVICE),
        Entry(1, BRAM, d(2026, 10, 31), "work", Decimal("4.00")),
        Entry(2, EVA, d(2026, 12, 1), "work", Decimal("6.50"), approval_status=None),
        Entry(1, DAAN, d(2026, 12, 2), "work", Decimal("3.75"), approval_status=None),
    ]
    return replaced, entries


def time_entries() -> list[tuple[int, Entry]]:
    """All demo time entries with their ids, ordered by date and user."""
    replaced, special = _special()
    kept = [e for e in _generated() if (e.user_id, e.date) not in replaced]
    ordered = sorted(
        enumerate(kept + special), key=lambda pair: (pair[1].date, pair[1].user_id, pair[0])
    )
    return [(880_001 + n, entry) for n, (_, entry) in enumerate(ordered)]


def _lit(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _values(rows: Sequence[Sequence[object]]) -> str:
    return ",\n".join("    (" + ", ".join(_lit(v) for v in row) + ")" for row in rows)


def summary() -> dict[int, tuple[int, Decimal]]:
    """Per user: (entries, hours) inside the period, all purposes, running entries as 0."""
    totals: dict[int, tuple[int, Decimal]] = {}
    for _, e in time_entries():
        if PERIOD_START <= e.date <= PERIOD_END:
            count, hours = totals.get(e.user_id, (0, Decimal("0.00")))
            totals[e.user_id] = (count + 1, hours + (e.hours or 0))
    return totals


def render_sql() -> str:
    """The complete demo_seed.sql text."""
    entries = time_entries()
    totals = summary()
    orgs = ", ".join(map(str, DEMO_ORGANISATIONS))
    lines = [
        "-- Demo warehouse: Keeping data for November 2026.",
        "-- GENERATED by dev/demo_data.py (python -m dev.demo_data); do not edit by hand.",
        "-- Needs include/sql/keeping_schema.sql. Resets Keeping organisations 1, 2 and 3 only",
        "-- (delete, then insert), so it can be loaded again at any time.",
        "--",
        '-- Organisation 1 -> Nmbrs company 54613 "Acme Horeca BV", 2 -> 54614 "Acme Events BV",',
        "-- 3 -> no company configured.",
        "--",
        "-- In the period 2026-11-01..2026-11-30 (entries, hours of all purposes):",
    ]
    for user in USERS:
        count, hours = totals.get(user.id, (0, Decimal(0)))
        code = user.code or "(none)"
        name = f"{user.first_name} {user.surname}"
        lines.append(
            f"--   org {user.organisation_id}  user {user.id}  code {code:<6} {name:<18}"
            f" {count:>3} entries {hours:>7} h"
        )
    in_period = [e for _, e in entries if PERIOD_START <= e.date <= PERIOD_END]
    lines += [
        f"--   total {len(in_period)} entries, {sum((e.hours or 0) for e in in_period)} h;"
        f" {len(entries) - len(in_period)} more entries fall outside the period.",
        "",
        f"delete from keeping.time_entries where organisation_id in ({orgs});",
        f"delete from keeping.users where organisation_id in ({orgs});",
        f"delete from keeping.projects where organisation_id in ({orgs});",
        f"delete from keeping.tasks where organisation_id in ({orgs});",
        "",
        "insert into keeping.projects (id, organisation_id, name, code) values",
        _values(PROJECTS) + ";",
        "",
        "insert into keeping.tasks (id, organisation_id, name, code) values",
        _values(TASKS) + ";",
        "",
        "insert into keeping.users (id, organisation_id, code, first_name, surname, state) values",
        _values(
            [(u.id, u.organisation_id, u.code, u.first_name, u.surname, u.state) for u in USERS]
        )
        + ";",
        "",
        "insert into keeping.time_entries (id, organisation_id, user_id, date, purpose, hours,"
        " ongoing,",
        "    project_id, task_id, note, locked, approval_status) values",
        _values(
            [
                (
                    entry_id,
                    e.organisation_id,
                    e.user_id,
                    e.date.isoformat(),
                    e.purpose,
                    e.hours,
                    e.ongoing,
                    e.project_id,
                    e.task_id,
                    e.note,
                    e.approval_status == "approved",
                    e.approval_status,
                )
                for entry_id, e in entries
            ]
        )
        + ";",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check, verify) include/sql/demo_seed.sql."""
    parser = argparse.ArgumentParser(prog="python -m dev.demo_data", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render_sql()
    if args.check:
        current = SEED_FILE.read_text(encoding="utf-8") if SEED_FILE.exists() else ""
        if current != text:
            print(f"{SEED_FILE} is out of date: run python -m dev.demo_data", file=sys.stderr)
            return 1
        return 0
    SEED_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {SEED_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
