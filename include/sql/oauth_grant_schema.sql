-- OAuth grants of the Nmbrs REST connections (schema nmbrs_sync): one row per nmbrs_rest
-- connection, written by `python -m nmbrs_provider authorize` and by the task that refreshes.
--
-- Applied by the token store before it reads or writes (idempotent; safe when several workers
-- apply it at once: the advisory lock makes the second wait until the first has committed).
-- The schema is only created when missing, like the ledger's. Tokens are Fernet ciphertexts,
-- bound to their conn_id; the key is NMBRS_TOKEN_KEY or Airflow's [core] fernet_key, never in
-- this database. Exactly one process refreshes a grant at a time: it holds the row lock
-- (select ... for update) from reading the refresh token until the rotated one is committed.
-- New columns go in as "alter table ... add column if not exists" at the end of this file.

set local client_min_messages = warning;  -- no "already exists, skipping" notices
select pg_advisory_xact_lock(hashtextextended('nmbrs_sync:ledger_schema', 0));

do $grant$
begin
    if not exists (select 1 from pg_namespace where nspname = 'nmbrs_sync') then
        create schema nmbrs_sync;
    end if;
end
$grant$;

create table if not exists nmbrs_sync.oauth_grant (
    conn_id             text primary key,      -- the Airflow nmbrs_rest connection
    client_id           text not null,         -- the OAuth app the grant belongs to
    identity_url        text not null,         -- the identity server that issued it
    scopes              text not null,         -- as granted (space-separated)
    refresh_token_enc   text not null,         -- Fernet ciphertext of the current refresh token
    access_token_enc    text,                  -- Fernet ciphertext, shared by every task
    access_issued_at    timestamptz,
    access_expires_at   timestamptz,
    generation          bigint not null default 1,  -- +1 per refresh (rotation) and authorize
    authorized_at       timestamptz not null default now(),
    authorized_by       text,                  -- OS user and machine that ran authorize
    refreshed_at        timestamptz,
    revoked_at          timestamptz,           -- set when the identity server said invalid_grant
    revoked_reason      text,                  -- its error code and description (no token)
    updated_at          timestamptz not null default now()
);
