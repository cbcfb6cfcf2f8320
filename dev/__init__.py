"""Developer tooling: embedded PostgreSQL warehouse, pytest plugin and demo data."""
