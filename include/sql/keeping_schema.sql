-- Warehouse input contract: the Keeping (time tracking) tables the Nmbrs sync reads.
--
-- In production these tables are filled by the warehouse loader; this file documents the
-- columns the sync relies on and creates them for development, demos and tests.
-- Idempotent: safe to run repeatedly, and concurrently when each run is one transaction
-- (one execute() call, or psql --single-transaction).

set local client_min_messages = warning;  -- no "already exists, skipping" notices
select pg_advisory_xact_lock(hashtextextended('nmbrs_sync:keeping_schema', 0));

create schema if not exists keeping;

create table if not exists keeping.users (
    id              bigint primary key,
    organisation_id bigint not null,
    code            text,                           -- personnel number; matches the Nmbrs employee number
    first_name      text,
    surname         text,
    state           text not null default 'active'
);

create table if not exists keeping.time_entries (
    id              bigint primary key,
    organisation_id bigint not null,
    user_id         bigint not null,
    date            date not null,
    purpose         text not null,   -- work, break, special_leave, unpaid_leave, statutory_leave,
                                     -- sick_leave, work_reduction, trip
    hours           numeric(7, 2),   -- decimal hours; null while the entry is still running
    ongoing         boolean not null default false,
    project_id      bigint,
    task_id         bigint,
    note            text,
    locked          boolean not null default false,
    approval_status text             -- 'approved' once approved
);

create table if not exists keeping.projects (
    id              bigint primary key,
    organisation_id bigint not null,
    name            text,
    code            text
);

create table if not exists keeping.tasks (
    id              bigint primary key,
    organisation_id bigint not null,
    name            text,
    code            text
);

-- The sync reads one payroll period of some organisations at a time.
create index if not exists time_entries_organisation_date_idx
    on keeping.time_entries (organisation_id, date);
create index if not exists time_entries_user_date_idx
    on keeping.time_entries (user_id, date);
create index if not exists users_organisation_code_idx
    on keeping.users (organisation_id, code);
