-- Record the start of a sync run. Parameters: run_id, dag_id, airflow_run_id, company_id,
-- period, dry_run, nmbrs_api ('soap' or 'rest'; None for runs of no single company) and
-- company_number (the Nmbrs company number, None when unknown). run_id must be unique per
-- attempt (e.g. include the Airflow try number): a repeated run_id fails instead of mixing the
-- lines of two attempts.
--
-- An attempt that died without finishing (its worker was killed or lost) left its row
-- 'running': the new attempt of the same task (same dag_id, airflow_run_id, company_id and
-- period, another run_id) closes it here as failed, with the totals of its own lines
-- (nmbrs_sync.store_run_totals, as ledger_finish_run.sql stores them). Rows of other
-- companies, periods or DAG runs are untouched.
with stale as (
    update nmbrs_sync.runs as r
    set finished_at = now(),
        status = 'failed',
        message = 'attempt ended without finishing (killed or lost); attempt '
            || %(run_id)s::text || ' took over'
    where r.status = 'running'
      and r.finished_at is null  -- runs_unfinished_idx: only the few unfinished rows are read
      and r.dag_id = %(dag_id)s::text
      and r.airflow_run_id = %(airflow_run_id)s::text
      and r.company_id is not distinct from %(company_id)s::text
      and r.period = %(period)s::text
      and r.run_id <> %(run_id)s::text
    returning r.run_id
),
started as (
    insert into nmbrs_sync.runs (
        run_id, dag_id, airflow_run_id, company_id, period, dry_run, status, nmbrs_api,
        company_number
    )
    values (
        %(run_id)s, %(dag_id)s, %(airflow_run_id)s, %(company_id)s, %(period)s, %(dry_run)s,
        'running', %(nmbrs_api)s, %(company_number)s
    )
    returning run_id, started_at
)
select st.run_id, st.started_at
from started as st
cross join lateral (
    select count(*) from stale as s cross join lateral nmbrs_sync.store_run_totals(s.run_id)
) as closed
