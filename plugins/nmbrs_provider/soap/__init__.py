"""SOAP plumbing for Nmbrs v3: zeep clients, fault translation, retries. No Airflow imports."""
