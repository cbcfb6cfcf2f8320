"""Apache Airflow provider for Visma Nmbrs: SOAP hook, payroll-sync operators and core logic."""

from __future__ import annotations

__version__ = "0.1.0"
