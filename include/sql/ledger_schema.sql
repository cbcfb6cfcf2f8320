-- Ledger of the Nmbrs sync (schema nmbrs_sync): what each run read, sent, excluded and planned.
--
-- Applied at the start of every sync task. Idempotent, and safe when two workers apply it at
-- the same moment as long as each application is one transaction (one execute() call, as
-- PostgresHook.run does, or psql --single-transaction): the advisory lock below makes the second
-- wait until the first has committed. The schema is only created when missing, so a role without
-- CREATE on the database can run this once the schema exists. New columns go in as
-- "alter table ... add column if not exists" at the end of this file.
--
-- Company, employee and hour component ids are text: integers for SOAP ("54613"), UUIDs for
-- REST. Ledgers from before REST had bigint ids: they are migrated in place below, once,
-- keeping every row.
--
-- Hours are numeric (exact decimal hours). A run normally covers one Nmbrs company and period;
-- company_id is null on runs and excluded hours that belong to no single company (for example
-- hours of an organisation no company is configured for).

set local client_min_messages = warning;  -- no "already exists, skipping" notices
select pg_advisory_xact_lock(hashtextextended('nmbrs_sync:ledger_schema', 0));

do $ledger$
begin
    if not exists (select 1 from pg_namespace where nspname = 'nmbrs_sync') then
        create schema nmbrs_sync;
    end if;
end
$ledger$;

create table if not exists nmbrs_sync.runs (
    run_id              text primary key,
    dag_id              text,
    airflow_run_id      text,
    company_id          text,
    period              text not null,
    started_at          timestamptz not null default now(),
    finished_at         timestamptz,
    status              text not null default 'running',
    dry_run             boolean not null default false,
    hours_read          numeric(12, 2),
    hours_sent          numeric(12, 2),
    hours_excluded      numeric(12, 2),
    employees_written   integer,
    employees_unchanged integer,
    message             text,
    constraint runs_status_check
        check (status in ('running', 'succeeded', 'failed', 'skipped', 'dry_run'))
);

-- One row per hour component (or days value) written to, deleted from or confirmed in Nmbrs.
-- In a period Nmbrs has closed (past_period_policy: retro) a code's change is a 'correction'
-- line (the signed hours of the correction component) beside an 'unchanged' line of what the
-- code held before.
create table if not exists nmbrs_sync.sent_lines (
    id              bigint generated always as identity primary key,
    run_id          text not null references nmbrs_sync.runs (run_id),
    company_id      text not null,
    employee_id     text not null,
    employee_number text,
    period          text not null,
    hour_code       integer,          -- null for set_days lines
    hours           numeric(9, 2),    -- null for set_days lines
    days            integer,
    action          text not null,
    component_id    text,             -- Nmbrs id of the hour component, when known
    written_at      timestamptz not null default now(),
    constraint sent_lines_action_check
        check (action in ('insert', 'delete', 'set_days', 'unchanged', 'correction'))
);

-- Hours read from the warehouse but not sent, with the reason (e.g. unknown employee).
create table if not exists nmbrs_sync.excluded_hours (
    id              bigint generated always as identity primary key,
    run_id          text not null references nmbrs_sync.runs (run_id),
    company_id      text,
    organisation_id bigint,
    user_id         bigint,
    user_code       text,
    work_date       date,
    purpose         text,
    project_id      bigint,
    task_id         bigint,
    hours           numeric(12, 2),
    entries         integer,
    reason          text not null,
    detail          text
);

-- What a run intended to change (dry runs stop here; real runs keep it for audits).
create table if not exists nmbrs_sync.plan_lines (
    id              bigint generated always as identity primary key,
    run_id          text not null references nmbrs_sync.runs (run_id),
    company_id      text not null,
    employee_id     text,
    employee_number text,
    hour_code       integer,
    current_hours   numeric(9, 2),
    desired_hours   numeric(9, 2),
    action          text not null,
    planned_at      timestamptz not null default now()
);

-- Ledgers created before corrections existed: allow action 'correction' (altered only once).
do $ledger$
begin
    if not exists (
        select 1 from pg_constraint
        where conrelid = 'nmbrs_sync.sent_lines'::regclass
          and conname = 'sent_lines_action_check'
          and pg_get_constraintdef(oid) like '%correction%'
    ) then
        alter table nmbrs_sync.sent_lines drop constraint if exists sent_lines_action_check;
        alter table nmbrs_sync.sent_lines add constraint sent_lines_action_check
            check (action in ('insert', 'delete', 'set_days', 'unchanged', 'correction'));
    end if;
end
$ledger$;

-- Ledgers from before REST: company, employee and component ids become text (SOAP's integers
-- read as their digits). The views reading these columns are dropped first and created again
-- below; nothing happens once every id column is text.
do $ledger$
declare
    col record;
begin
    if exists (
        select 1 from information_schema.columns
        where table_schema = 'nmbrs_sync'
          and (table_name, column_name) in (
              ('runs', 'company_id'), ('sent_lines', 'company_id'),
              ('sent_lines', 'employee_id'), ('sent_lines', 'component_id'),
              ('excluded_hours', 'company_id'), ('plan_lines', 'company_id'),
              ('plan_lines', 'employee_id'))
          and data_type <> 'text'
    ) then
        drop view if exists nmbrs_sync.latest_sent_lines;
        drop view if exists nmbrs_sync.period_balance;
        for col in
            select table_name, column_name from information_schema.columns
            where table_schema = 'nmbrs_sync'
              and (table_name, column_name) in (
                  ('runs', 'company_id'), ('sent_lines', 'company_id'),
                  ('sent_lines', 'employee_id'), ('sent_lines', 'component_id'),
                  ('excluded_hours', 'company_id'), ('plan_lines', 'company_id'),
                  ('plan_lines', 'employee_id'))
              and data_type <> 'text'
        loop
            execute format(
                'alter table nmbrs_sync.%I alter column %I type text using %I::text',
                col.table_name, col.column_name, col.column_name
            );
        end loop;
    end if;
end
$ledger$;

-- Which API each run used ('soap' or 'rest'; null on runs from before REST), and the Nmbrs
-- company number (both APIs report it): a company moved from SOAP to REST gets a new id but
-- keeps its number, which links its runs under either id.
alter table nmbrs_sync.runs add column if not exists nmbrs_api text;
alter table nmbrs_sync.runs add column if not exists company_number bigint;

-- A run's totals of its own lines, stored when it finishes (ledger_finish_run.sql), so the
-- Nmbrs page lists runs without summing their lines: sent lines (all actions) and the hours of
-- those that Nmbrs holds (insert, unchanged, correction), plan lines and their desired hours,
-- excluded rows and their hours. totals_at is null until they are stored; readers then sum
-- the lines (period_balance does, always).
alter table nmbrs_sync.runs
    add column if not exists lines_sent integer,
    add column if not exists sent_total numeric(12, 2),
    add column if not exists lines_planned integer,
    add column if not exists planned_total numeric(12, 2),
    add column if not exists rows_excluded integer,
    add column if not exists excluded_total numeric(12, 2),
    add column if not exists totals_at timestamptz;

-- Stores a run's totals of its own lines on its row (ledger_finish_run.sql calls it when the
-- run finishes): the sums period_balance makes, with counts. Writes nothing for an unknown
-- run_id. Its body is text, so the id migration above (column types) never depends on it.
create or replace function nmbrs_sync.store_run_totals(run_id text) returns void
language sql volatile as $totals$
update nmbrs_sync.runs as r
set lines_sent = (select count(*) from nmbrs_sync.sent_lines as sl where sl.run_id = r.run_id),
    sent_total = coalesce((
        select sum(sl.hours) from nmbrs_sync.sent_lines as sl
        where sl.run_id = r.run_id and sl.action in ('insert', 'unchanged', 'correction')
    ), 0),
    lines_planned = (
        select count(*) from nmbrs_sync.plan_lines as pl where pl.run_id = r.run_id
    ),
    planned_total = coalesce((
        select sum(pl.desired_hours) from nmbrs_sync.plan_lines as pl
        where pl.run_id = r.run_id and pl.desired_hours is not null
    ), 0),
    rows_excluded = (
        select count(*) from nmbrs_sync.excluded_hours as eh where eh.run_id = r.run_id
    ),
    excluded_total = coalesce((
        select sum(eh.hours) from nmbrs_sync.excluded_hours as eh where eh.run_id = r.run_id
    ), 0),
    totals_at = now()
where r.run_id = store_run_totals.run_id
$totals$;

-- Runs finished before the totals existed (or by a ledger_finish_run.sql of one's own that
-- does not store them) get them here, once: nothing is written when every finished run has
-- its totals.
select nmbrs_sync.store_run_totals(r.run_id)
from nmbrs_sync.runs as r
where r.totals_at is null and r.finished_at is not null;

-- "What did we send for company X, period Y?" and "what happened to employee Z?"
create index if not exists runs_company_period_idx
    on nmbrs_sync.runs (company_id, period, started_at desc);
create index if not exists runs_company_number_idx
    on nmbrs_sync.runs (company_number) where company_number is not null;
create index if not exists runs_unfinished_idx
    on nmbrs_sync.runs (started_at) where finished_at is null;
create index if not exists sent_lines_company_period_idx
    on nmbrs_sync.sent_lines (company_id, period, employee_id, hour_code);
create index if not exists sent_lines_run_idx
    on nmbrs_sync.sent_lines (run_id);
create index if not exists excluded_hours_user_date_idx
    on nmbrs_sync.excluded_hours (organisation_id, user_id, work_date);
create index if not exists plan_lines_run_idx
    on nmbrs_sync.plan_lines (run_id);
create index if not exists plan_lines_company_employee_idx
    on nmbrs_sync.plan_lines (company_id, employee_id);
-- A run's totals in period_balance from these alone (index-only scans of the run's hour lines,
-- without its days lines): the Nmbrs page sums them for every run it lists.
create index if not exists sent_lines_run_hours_idx
    on nmbrs_sync.sent_lines (run_id) include (hours)
    where action in ('insert', 'unchanged', 'correction');
create index if not exists plan_lines_run_hours_idx
    on nmbrs_sync.plan_lines (run_id) include (desired_hours) where desired_hours is not null;
-- A run's exclusions, and their total: replaces the plain (run_id) index of earlier ledgers.
create index if not exists excluded_hours_run_hours_idx
    on nmbrs_sync.excluded_hours (run_id) include (hours);
drop index if exists nmbrs_sync.excluded_hours_run_idx;

-- Per run: does every hour read end up either in Nmbrs or in excluded_hours?
--   hours_read      the run's own count of the period (count_period_hours.sql)
--   hours_sent      ledger lines inserted, corrections or confirmed unchanged (deleted lines
--                   are old values)
--   hours_planned   desired hours of the plan (what a dry run would have sent)
--   hours_excluded  ledger excluded hours
--   balanced        hours_read = (dry run ? hours_planned : hours_sent) + hours_excluded;
--                   null while hours_read is unknown
create or replace view nmbrs_sync.period_balance as
select
    r.run_id,
    r.company_id,
    r.period,
    r.status,
    r.dry_run,
    r.started_at,
    r.finished_at,
    r.hours_read,
    coalesce(s.hours, 0) as hours_sent,
    coalesce(p.hours, 0) as hours_planned,
    coalesce(x.hours, 0) as hours_excluded,
    r.hours_read
        - case when r.dry_run then coalesce(p.hours, 0) else coalesce(s.hours, 0) end
        - coalesce(x.hours, 0) as difference,
    r.hours_read
        = case when r.dry_run then coalesce(p.hours, 0) else coalesce(s.hours, 0) end
        + coalesce(x.hours, 0) as balanced
from nmbrs_sync.runs as r
left join lateral (
    select sum(sl.hours) as hours
    from nmbrs_sync.sent_lines as sl
    where sl.run_id = r.run_id and sl.action in ('insert', 'unchanged', 'correction')
) as s on true
left join lateral (
    select sum(pl.desired_hours) as hours
    from nmbrs_sync.plan_lines as pl
    where pl.run_id = r.run_id and pl.desired_hours is not null
) as p on true
left join lateral (
    select sum(eh.hours) as hours
    from nmbrs_sync.excluded_hours as eh
    where eh.run_id = r.run_id
) as x on true;

-- The lines of the latest succeeded (not dry) run per company and period: what our ledger says
-- Nmbrs holds. Nmbrs itself stays the source of truth for the next plan.
create or replace view nmbrs_sync.latest_sent_lines as
with ranked as (
    select
        k.company_id,
        k.period,
        k.run_id,
        row_number() over (
            partition by k.company_id, k.period
            order by r.started_at desc, r.run_id desc
        ) as recency
    from (select distinct company_id, period, run_id from nmbrs_sync.sent_lines) as k
    join nmbrs_sync.runs as r on r.run_id = k.run_id
    where r.status = 'succeeded' and not r.dry_run
)
select sl.*
from nmbrs_sync.sent_lines as sl
join ranked as k
    on k.run_id = sl.run_id and k.company_id = sl.company_id and k.period = sl.period
where k.recency = 1;
