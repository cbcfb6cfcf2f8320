"""Warehouse tests use the real-PostgreSQL fixtures of dev.pytest_warehouse.

``pytest_plugins`` is only allowed in the top-level tests/conftest.py (pytest refuses it here when
the whole suite runs), so until it is registered there the fixtures are imported directly. Once
tests/conftest.py has ``pytest_plugins = ["dev.pytest_warehouse"]`` the plugin module is already
loaded when this file is read, and nothing is imported twice (no second server).
"""

import sys

if "dev.pytest_warehouse" not in sys.modules:
    from dev.pytest_warehouse import (  # noqa: F401
        warehouse,
        warehouse_db,
        warehouse_template,
    )
