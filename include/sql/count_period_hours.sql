-- Raw totals for one payroll period, straight from keeping.time_entries (no join, no grouping):
-- an independent check that extract_period_hours.sql lost or duplicated nothing.
-- Same parameters as extract_period_hours.sql: organisation_ids, period_start, period_end.
-- hours = sum of hours with null counted as 0 (numeric); entries = number of time entries.
select
    coalesce(sum(e.hours), 0) as hours,
    count(*) as entries
from keeping.time_entries as e
where (%(organisation_ids)s::bigint[] is null or e.organisation_id = any(%(organisation_ids)s::bigint[]))
  and e.date between %(period_start)s::date and %(period_end)s::date
