"""Read-only queries of the ``nmbrs_sync`` ledger for the Nmbrs page.

Every function takes an open DB-API connection (from ``PostgresHook``) that :func:`read_only`
has made read-only: the page can never change the ledger. Lists are paginated with a limit
and offset; every query is served by an index of ``include/sql/ledger_schema.sql``. Lists of
runs read run rows only: a run's totals are stored on its row when it finishes.
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
    r.started_at, r.finished_at, r.hours_read, r.hours_sent, r.hours_excluded, r.nmbrs_api,
    r.company_number
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

# A run's totals as its row stores them (ledger_finish_run.sql); a run without them (still
# running, or finished before they existed) has them summed from its lines, as period_balance
# does. coalesce evaluates a sum only when the stored total is null.
_TOTALS = """
    coalesce(r.sent_total, (
        select coalesce(sum(sl.hours), 0) from nmbrs_sync.sent_lines as sl
        where sl.run_id = r.run_id and sl.action in ('insert', 'unchanged', 'correction')
    )) as hours_sent,
    coalesce(r.planned_total, (
        select coalesce(sum(pl.desired_hours), 0) from nmbrs_sync.plan_lines as pl
        where pl.run_id = r.run_id and pl.desired_hours is not null
    )) as hours_planned,
    coalesce(r.excluded_total, (
        select coalesce(sum(eh.hours), 0) from nmbrs_sync.excluded_hours as eh
        where eh.run_id = r.run_id
    )) as hours_excluded"""

# The balance check of period_balance, from the totals above.
_BALANCE = """
    t.hours_read - case when t.dry_run then t.hours_planned else t.hours_sent end
        - t.hours_excluded as difference,
    t.hours_read = case when t.dry_run then t.hours_planned else t.hours_sent end
        + t.hours_excluded as balanced"""

# A company's ids: its own and those of runs with the same Nmbrs company number (a company
# moved from SOAP to REST keeps its number under its new id).
_LINKED = """
linked as (
    select %(company_id)s::text as company_id
    union
    select o.company_id from nmbrs_sync.runs as o
    where o.company_id is not null and o.company_number in (
        select m.company_number from nmbrs_sync.runs as m
        where m.company_id = %(company_id)s::text and m.company_number is not null
    )
)"""

_RUN_COLUMNS = """
    r.run_id, r.dag_id, r.airflow_run_id, r.company_id, r.company_number, r.nmbrs_api,
    r.period, r.status, r.dry_run, r.started_at, r.finished_at, r.message, r.hours_read"""

# The page of runs is chosen from run rows first; only its (at most PAGE_SIZE) runs get their
# totals, stored on each row (or summed from that run's lines when it has none).
_HISTORY = f"""
with {_LINKED},
runs as (
    select
        r.*,
        row_number() over (partition by r.period order by r.started_at, r.run_id) as attempt
    from nmbrs_sync.runs as r
    where r.company_id in (select company_id from linked)
      and (%(period)s::text is null or r.period = %(period)s)
),
page as (
    select * from runs as r
    order by {_NEWEST_FIRST.format(t="r")}
    limit %(limit)s offset %(offset)s
),
totals as (
    select {_RUN_COLUMNS}, r.attempt, {_TOTALS}
    from page as r
)
select t.*, {_BALANCE}
from totals as t
order by {_NEWEST_FIRST.format(t="t")}
"""

_HISTORY_COUNT = f"""
with {_LINKED}
select count(*) from nmbrs_sync.runs
where company_id in (select company_id from linked)
  and (%(period)s::text is null or period = %(period)s)
"""

# Attempts of a period count the company's runs under every id of its company number.
_RUN = f"""
with totals as (
    select
        {_RUN_COLUMNS}, r.employees_written, r.employees_unchanged,
        (select count(*) from nmbrs_sync.runs as o
          where (o.company_id is not distinct from r.company_id
                 or o.company_number = r.company_number)
            and o.period = r.period
            and (o.started_at, o.run_id) <= (r.started_at, r.run_id)) as attempt,
        {_TOTALS}
    from nmbrs_sync.runs as r
    where r.run_id = %(run_id)s
)
select t.*, {_BALANCE}
from totals as t
"""

_SENT = """
select employee_id, employee_number, hour_code, hours, days, action, written_at
from nmbrs_sync.sent_lines
where run_id = %(run_id)s
order by employee_number nulls last, employee_id, hour_code nulls last, id
limit %(limit)s offset %(offset)s
"""

# Counts stored on the run row when it finished, else counted.
_SENT_COUNT = """
select coalesce(
    (select lines_sent from nmbrs_sync.runs where run_id = %(run_id)s),
    (select count(*) from nmbrs_sync.sent_lines where run_id = %(run_id)s))
"""

_PLAN = """
select employee_id, employee_number, hour_code, current_hours, desired_hours, action
from nmbrs_sync.plan_lines
where run_id = %(run_id)s
order by employee_number nulls last, employee_id, hour_code nulls last, id
limit %(limit)s offset %(offset)s
"""

_PLAN_COUNT = """
select coalesce(
    (select lines_planned from nmbrs_sync.runs where run_id = %(run_id)s),
    (select count(*) from nmbrs_sync.plan_lines where run_id = %(run_id)s))
"""

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
    """Every run of a company (optionally one period), under its id and every other id of its
    Nmbrs company number (SOAP and REST), newest period first (then the newest attempt first),
    with attempt numbers, the API of each run and the balance check; ``PAGE_SIZE`` runs from
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
