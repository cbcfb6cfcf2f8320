-- One group of hours that was read but not sent. Use with executemany / execute_batch.
-- Parameters: run_id, company_id, organisation_id, user_id, user_code, work_date, purpose,
-- project_id, task_id, hours, entries, reason, detail.
insert into nmbrs_sync.excluded_hours (
    run_id, company_id, organisation_id, user_id, user_code, work_date, purpose, project_id,
    task_id, hours, entries, reason, detail
)
values (
    %(run_id)s, %(company_id)s, %(organisation_id)s, %(user_id)s, %(user_code)s, %(work_date)s,
    %(purpose)s, %(project_id)s, %(task_id)s, %(hours)s, %(entries)s, %(reason)s, %(detail)s
)
