-- Everything the ledger says was sent for one company and period, newest run first.
-- Parameters: company_id, period.
select
    r.run_id, r.status, r.dry_run, r.started_at, r.finished_at,
    sl.employee_id, sl.employee_number, sl.hour_code, sl.hours, sl.days, sl.action,
    sl.component_id, sl.written_at
from nmbrs_sync.sent_lines as sl
join nmbrs_sync.runs as r on r.run_id = sl.run_id
where sl.company_id = %(company_id)s::text
  and sl.period = %(period)s
order by r.started_at desc, sl.employee_number, sl.hour_code, sl.id
