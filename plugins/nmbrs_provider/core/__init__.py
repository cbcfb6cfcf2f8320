"""Pure-Python core of the Nmbrs payroll sync: periods, config, contract classification,
routing and exclusions, and the per-company write plan. No Airflow, no SOAP client."""
