-- Record the outcome of a sync run. Parameters: run_id, status (succeeded, failed, skipped,
-- dry_run), hours_read, hours_sent, hours_excluded, employees_written, employees_unchanged,
-- message (each may be None except run_id and status). Returns no row for an unknown run_id.
-- Also stores the totals of the run's own lines (counts and hours, as period_balance sums
-- them), which the Nmbrs page reads instead of summing the lines.
update nmbrs_sync.runs as r
set finished_at = now(),
    status = %(status)s,
    hours_read = %(hours_read)s,
    hours_sent = %(hours_sent)s,
    hours_excluded = %(hours_excluded)s,
    employees_written = %(employees_written)s,
    employees_unchanged = %(employees_unchanged)s,
    message = %(message)s,
    lines_sent = (select count(*) from nmbrs_sync.sent_lines as sl where sl.run_id = r.run_id),
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
where r.run_id = %(run_id)s
returning r.run_id, r.finished_at
