-- The shared call budget of each Nmbrs API user (schema nmbrs_sync, beside the ledger).
--
-- Every task that calls Nmbrs holds a lease on a share of its API user's calls_per_second
-- while it runs (nmbrs_provider.coordination): renewed every quarter second, released when the
-- task ends, expired a few seconds after its task died. "account" is a digest of the base URL
-- and the API user, never the user or a token. Applied by every task before it joins;
-- idempotent and safe from several workers at once (the advisory lock serialises it).

set local client_min_messages = warning;  -- no "already exists, skipping" notices
select pg_advisory_xact_lock(hashtextextended('nmbrs_sync:call_budget_schema', 0));

do $budget$
begin
    if not exists (select 1 from pg_namespace where nspname = 'nmbrs_sync') then
        create schema nmbrs_sync;
    end if;
end
$budget$;

-- One row per API user: its row lock serialises the renewals of the user's leases.
create table if not exists nmbrs_sync.call_budget_accounts (
    account             text primary key
);

create table if not exists nmbrs_sync.call_budget_leases (
    lease_id            bigserial primary key,
    account             text not null references nmbrs_sync.call_budget_accounts,
    holder              text not null,          -- host, process and task, for diagnosis
    calls_per_second    integer not null check (calls_per_second > 0),
    share               integer not null default 0 check (share >= 0),
    previous_share      integer not null default 0,  -- read by older versions only
    lowered_at          timestamptz,                 -- read by older versions only
    released            boolean not null default false,
    joined_at           timestamptz not null default clock_timestamp(),
    expires_at          timestamptz not null
);

create index if not exists call_budget_leases_account
    on nmbrs_sync.call_budget_leases (account, expires_at);

-- The most calls the lease's task can have in any pacing window from its last renewal on, and
-- the calls per window it asked for (null: all it gets). Added after the first release; the
-- check keeps every later run from taking the table's exclusive lock (the other tasks renew
-- their leases meanwhile).
do $budget$
begin
    if not exists (select 1 from information_schema.columns
                    where table_schema = 'nmbrs_sync' and table_name = 'call_budget_leases'
                      and column_name = 'demand') then
        alter table nmbrs_sync.call_budget_leases
            add column if not exists claim integer check (claim >= 0),
            add column if not exists demand integer check (demand >= 0);
    end if;
end
$budget$;
