"""Read-only queries of the ``nmbrs_sync`` ledger for the Nmbrs page.

Every function takes an open DB-API connection (from ``PostgresHook``) that :func:`read_only`
has made read-only: the page can never change the ledger. Lists are paginated with a limit
and offset; every query is served by an index of ``include/sql/ledger_schema.sql``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: Rows per page of every list.
PAGE_SIZE = 50

_LAST_RUNS = """
select distinct on (r.company_id)
    r.company_id, r.run_id, r.dag_id, r.airflow_run_id, r.period, r.status, r.dry_run,
    r.started_at, r.finished_at, r.hours_read, r.hours_sent, r.hours_excluded
from nmbrs_sync.runs as r
where r.company_id = any(%(company_ids)s::text[])
order by r.company_id, r.started_at desc, r.run_id desc
"""

# Newest period first: by the period's year and number ("2026-10-M" after "2026-9-M"), then a
# period text that is none (a run that failed before it knew its period) last.
_NEWEST_FIRST = """
    (substring({t}.period from '^([0-9]+)-'))::int desc nulls last,
    (substring({t}.period from '^[0-9]+-([0-9]+)-'))::int desc nulls last,
    {t}.period desc, {t}.started_at desc, {t}.run_id desc"""

# The page of runs is chosen first; only its (at most PAGE_SIZE) runs get their balance, each
# summed from the lines of that run alone (index-only scans of the *_run_hours_idx indexes).
_HISTORY = f"""
with runs as (
    select
        r.run_id, r.dag_id, r.airflow_run_id, r.company_id, r.period, r.status, r.dry_run,
        r.started_at, r.finished_at, r.message,
        row_number() over (
            partition by r.company_id, r.period order by r.started_at, r.run_id
        ) as attempt
    from nmbrs_sync.runs as r
    where r.company_id = %(company_id)s::text
      and (%(period)s::text is null or r.period = %(period)s)
),
page as (
    select * from runs as r
    order by {_NEWEST_FIRST.format(t="r")}
    limit %(limit)s offset %(offset)s
)
select
    r.run_id, r.dag_id, r.airflow_run_id, r.company_id, r.period, r.attempt, r.status,
    r.dry_run, r.started_at, r.finished_at, r.message,
    b.hours_read, b.hours_sent, b.hours_planned, b.hours_excluded, b.difference, b.balanced
from page as r
join nmbrs_sync.period_balance as b using (run_id)
order by {_NEWEST_FIRST.format(t="r")}
"""

_HISTORY_COUNT = """
select count(*) from nmbrs_sync.runs
where company_id = %(company_id)s::text and (%(period)s::text is null or period = %(period)s)
"""

_RUN = """
select
    r.run_id, r.dag_id, r.airflow_run_id, r.company_id, r.period, r.status, r.dry_run,
    r.started_at, r.finished_at, r.message, r.employees_written, r.employees_unchanged,
    (select count(*) from nmbrs_sync.runs as o
      where o.company_id is not distinct from r.company_id and o.period = r.period
        and (o.started_at, o.run_id) <= (r.started_at, r.run_id)) as attempt,
    b.hours_read, b.hours_sent, b.hours_planned, b.hours_excluded, b.difference, b.balanced
from nmbrs_sync.runs as r
join nmbrs_sync.period_balance as b using (run_id)
where r.run_id = %(run_id)s
"""

_SENT = """
select employee_id, employee_number, hour_code, hours, days, action, written_at
from nmbrs_sync.sent_lines
where run_id = %(run_id)s
order by employee_number nulls last, employee_id, hour_code nulls last, id
limit %(limit)s offset %(offset)s
"""

_SENT_COUNT = "select count(*) from nmbrs_sync.sent_lines where run_id = %(run_id)s"

_PLAN = """
select employee_id, employee_number, hour_code, current_hours, desired_hours, action
from nmbrs_sync.plan_lines
where run_id = %(run_id)s
order by employee_number nulls last, employee_id, hour_code nulls last, id
limit %(limit)s offset %(offset)s
"""

_PLAN_COUNT = "select count(*) from nmbrs_sync.plan_lines where run_id = %(run_id)s"

# Exclusions of a run by reason, and per reason the people (Keeping users) behind them.
_EXCLUDED = """
select
    reason,
    coalesce(user_code, '') as user_code,
    user_id,
    sum(hours) as hours,
    sum(coalesce(entries, 0)) as entries,
    min(work_date) as first_date,
    max(work_date) as last_date,
    string_agg(distinct detail, '; ') as detail
from nmbrs_sync.excluded_hours
where run_id = %(run_id)s
group by reason, coalesce(user_code, ''), user_id
order by reason, user_code, user_id
limit %(limit)s
"""

#: Most employee rows shown per run across all reasons (the totals per reason stay exact).
EXCLUDED_ROWS = 2000

_EXCLUDED_TOTALS = """
select reason, sum(hours) as hours, count(*) as rows,
       count(distinct coalesce(user_code, user_id::text)) as people
from nmbrs_sync.excluded_hours
where run_id = %(run_id)s
group by reason
order by sum(hours) desc nulls last, reason
"""


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, the total and where it starts."""

    rows: list[dict[str, Any]]
    total: int
    offset: int
    limit: int = PAGE_SIZE

    @property
    def previous(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset > 0 else None

    @property
    def next(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


@dataclass(frozen=True)
class ReasonGroup:
    """Excluded hours of one reason: the total and the people behind it."""

    reason: str
    hours: Any
    rows: int
    people: int
    employees: list[dict[str, Any]]


def read_only(conn: Any) -> Any:
    """Make every transaction of ``conn`` read-only (psycopg2 and psycopg 3 alike)."""
    with conn.cursor() as cur:
        cur.execute("set session characteristics as transaction read only")
    conn.commit()
    return conn


def _dicts(conn: Any, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _count(conn: Any, sql: str, params: dict[str, Any]) -> int:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


def ledger_exists(conn: Any) -> bool:
    """Whether the ledger has been created (the first sync run creates it)."""
    with conn.cursor() as cur:
        cur.execute("select to_regclass('nmbrs_sync.period_balance') is not null")
        return bool(cur.fetchone()[0])


def last_runs(conn: Any, company_ids: Iterable[int | str]) -> dict[int | str, dict[str, Any]]:
    """The latest ledger run of each company, by company id (the ledger keeps ids as text)."""
    by_text = {str(c): c for c in company_ids}
    rows = _dicts(conn, _LAST_RUNS, {"company_ids": list(by_text)})
    return {by_text[row["company_id"]]: row for row in rows}


def history(
    conn: Any, company_id: int | str, *, period: str | None = None, offset: int = 0
) -> Page:
    """Every run of a company (optionally one period), newest period first (then the newest
    attempt first), with attempt numbers and the balance check; ``PAGE_SIZE`` runs from
    ``offset``."""
    params = {"company_id": str(company_id), "period": period or None}
    rows = _dicts(conn, _HISTORY, {**params, "limit": PAGE_SIZE, "offset": offset})
    return Page(rows, _count(conn, _HISTORY_COUNT, params), offset)


def run(conn: Any, run_id: str) -> dict[str, Any] | None:
    """One run with its balance and attempt number, or None."""
    rows = _dicts(conn, _RUN, {"run_id": run_id})
    return rows[0] if rows else None


def sent_lines(conn: Any, run_id: str, *, offset: int = 0) -> Page:
    """The lines a run sent to (or confirmed in, or deleted from) Nmbrs."""
    params = {"run_id": run_id, "limit": PAGE_SIZE, "offset": offset}
    return Page(_dicts(conn, _SENT, params), _count(conn, _SENT_COUNT, params), offset)


def plan_lines(conn: Any, run_id: str, *, offset: int = 0) -> Page:
    """The plan of a run: current and desired hours per employee and code (the dry-run diff)."""
    params = {"run_id": run_id, "limit": PAGE_SIZE, "offset": offset}
    return Page(_dicts(conn, _PLAN, params), _count(conn, _PLAN_COUNT, params), offset)


def exclusions(conn: Any, run_id: str) -> list[ReasonGroup]:
    """A run's excluded hours grouped by reason, with the employees and hours of each."""
    totals = _dicts(conn, _EXCLUDED_TOTALS, {"run_id": run_id})
    people = _dicts(conn, _EXCLUDED, {"run_id": run_id, "limit": EXCLUDED_ROWS})
    by_reason: dict[str, list[dict[str, Any]]] = {}
    for row in people:
        by_reason.setdefault(row["reason"], []).append(row)
    return [
        ReasonGroup(t["reason"], t["hours"], t["rows"], t["people"], by_reason.get(t["reason"], []))
        for t in totals
    ]


def periods(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The distinct periods of history rows, in their order."""
    return list(dict.fromkeys(row["period"] for row in rows))
