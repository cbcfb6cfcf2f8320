-- Record the start of a sync run. Parameters: run_id, dag_id, airflow_run_id, company_id,
-- period, dry_run, nmbrs_api ('soap' or 'rest'; None for runs of no single company) and
-- company_number (the Nmbrs company number, None when unknown). run_id must be unique per
-- attempt (e.g. include the Airflow try number): a repeated run_id fails instead of mixing the
-- lines of two attempts.
insert into nmbrs_sync.runs (
    run_id, dag_id, airflow_run_id, company_id, period, dry_run, status, nmbrs_api,
    company_number
)
values (
    %(run_id)s, %(dag_id)s, %(airflow_run_id)s, %(company_id)s, %(period)s, %(dry_run)s,
    'running', %(nmbrs_api)s, %(company_number)s
)
returning run_id, started_at
