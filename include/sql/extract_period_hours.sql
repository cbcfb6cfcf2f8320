-- Hours per user, day and kind for one payroll period, aggregated in the warehouse.
--
-- Parameters (psycopg2 pyformat):
--   organisation_ids  list of Keeping organisation ids (sent as an array); null: every row
--   user_ids, project_ids, task_ids
--                     lists of Keeping ids (may be empty): rows of these users, projects or
--                     tasks are read too, whatever their organisation (ignored when
--                     organisation_ids is null)
--   period_start      first day of the period (date, inclusive)
--   period_end        last day of the period (date, inclusive)
--
-- One row per (organisation_id, user_id, work_date, purpose, project_id, task_id,
-- approval_status, entry_state). Nothing is dropped here: entries of users missing from
-- keeping.users come out with user_code and user_name null, and running, empty or negative
-- entries are labelled by entry_state, so the caller decides what to send and what to exclude.
-- hours is numeric (exact); entries is the number of time entries in the row.
with period_entries as (
    select
        e.organisation_id,
        e.user_id,
        e.date as work_date,
        e.purpose,
        e.project_id,
        e.task_id,
        e.approval_status,
        case
            when e.ongoing then 'ongoing'
            when e.hours is null then 'missing_hours'
            when e.hours < 0 then 'negative_hours'
            when e.hours = 0 then 'zero_hours'
            else 'ok'
        end as entry_state,
        e.hours
    from keeping.time_entries as e
    where (
            %(organisation_ids)s::bigint[] is null
            or e.organisation_id = any(%(organisation_ids)s::bigint[])
            or e.user_id = any(%(user_ids)s::bigint[])
            or e.project_id = any(%(project_ids)s::bigint[])
            or e.task_id = any(%(task_ids)s::bigint[])
        )
      and e.date between %(period_start)s::date and %(period_end)s::date
)
select
    pe.organisation_id,
    pe.user_id,
    nullif(btrim(u.code), '') as user_code,
    nullif(btrim(concat_ws(' ', btrim(u.first_name), btrim(u.surname))), '') as user_name,
    u.state as user_state,
    pe.work_date,
    pe.purpose,
    pe.project_id,
    pe.task_id,
    pe.approval_status,
    pe.entry_state,
    sum(coalesce(pe.hours, 0)) as hours,
    count(*) as entries
from period_entries as pe
left join keeping.users as u on u.id = pe.user_id
group by
    pe.organisation_id, pe.user_id, u.code, u.first_name, u.surname, u.state,
    pe.work_date, pe.purpose, pe.project_id, pe.task_id, pe.approval_status, pe.entry_state
order by
    pe.organisation_id, pe.user_id, pe.work_date, pe.purpose,
    pe.project_id nulls first, pe.task_id nulls first,
    pe.approval_status nulls first, pe.entry_state
