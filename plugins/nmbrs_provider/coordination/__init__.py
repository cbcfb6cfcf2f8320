"""Coordination of workers through the warehouse: one Nmbrs call budget per API user.

Each running task that calls Nmbrs holds a lease on a share of its API user's
``calls_per_second`` in ``nmbrs_sync.call_budget_leases`` (the ledger's database, which every
worker reaches), renewed by a heartbeat thread and paced locally, so no call waits for the
database. See :mod:`nmbrs_provider.coordination.scope` for how a task takes part.
"""
