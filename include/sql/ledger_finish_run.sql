-- Record the outcome of a sync run. Parameters: run_id, status (succeeded, failed, skipped,
-- dry_run), hours_read, hours_sent, hours_excluded, employees_written, employees_unchanged,
-- message (each may be None except run_id and status). Returns no row for an unknown run_id.
-- Also stores the totals of the run's own lines (nmbrs_sync.store_run_totals of
-- ledger_schema.sql: counts and hours, as period_balance sums them), which the Nmbrs page
-- reads instead of summing the lines. The function runs after the update, on the row it
-- returned (a volatile function sees the update).
with finished as (
    update nmbrs_sync.runs as r
    set finished_at = now(),
        status = %(status)s,
        hours_read = %(hours_read)s,
        hours_sent = %(hours_sent)s,
        hours_excluded = %(hours_excluded)s,
        employees_written = %(employees_written)s,
        employees_unchanged = %(employees_unchanged)s,
        message = %(message)s
    where r.run_id = %(run_id)s
    returning r.run_id, r.finished_at
)
select f.run_id, f.finished_at
from finished as f
cross join lateral nmbrs_sync.store_run_totals(f.run_id)
