-- One planned change (or no-op) for an employee and hour code. Use with executemany /
-- execute_batch. Parameters: run_id, company_id, employee_id, employee_number, hour_code,
-- current_hours, desired_hours, action.
insert into nmbrs_sync.plan_lines (
    run_id, company_id, employee_id, employee_number, hour_code, current_hours, desired_hours,
    action
)
values (
    %(run_id)s, %(company_id)s, %(employee_id)s, %(employee_number)s, %(hour_code)s,
    %(current_hours)s, %(desired_hours)s, %(action)s
)
