"""The Nmbrs page in the Airflow UI: linked companies, run history, connection check."""
