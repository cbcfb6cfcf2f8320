-- Record the outcome of a sync run. Parameters: run_id, status (succeeded, failed, skipped,
-- dry_run), hours_read, hours_sent, hours_excluded, employees_written, employees_unchanged,
-- message (each may be None except run_id and status). Returns no row for an unknown run_id.
update nmbrs_sync.runs
set finished_at = now(),
    status = %(status)s,
    hours_read = %(hours_read)s,
    hours_sent = %(hours_sent)s,
    hours_excluded = %(hours_excluded)s,
    employees_written = %(employees_written)s,
    employees_unchanged = %(employees_unchanged)s,
    message = %(message)s
where run_id = %(run_id)s
returning run_id, finished_at
