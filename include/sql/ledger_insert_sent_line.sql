-- One line written to (or deleted from, or confirmed in) Nmbrs. Use with executemany /
-- psycopg2.extras.execute_batch. Parameters: run_id, company_id, employee_id, employee_number,
-- period, hour_code, hours, days, action (insert, delete, set_days, unchanged), component_id.
insert into nmbrs_sync.sent_lines (
    run_id, company_id, employee_id, employee_number, period, hour_code, hours, days, action,
    component_id
)
values (
    %(run_id)s, %(company_id)s, %(employee_id)s, %(employee_number)s, %(period)s, %(hour_code)s,
    %(hours)s, %(days)s, %(action)s, %(component_id)s
)
