"""Without the OpenLineage provider the sync reports no lineage and runs as before."""

from __future__ import annotations

import subprocess
import sys

from nmbrs_provider.lineage import SyncLineage, operator_lineage, tables_read
from nmbrs_provider.sync.settings import PACKAGED_SQL

RESULT = {
    "company_id": 54613, "period": "2026-11-M", "status": "succeeded", "hours_read": 10.0,
    "hours_sent": 8.0, "hours_excluded": 2.0, "excluded_by_reason": {"break": 2.0},
    "employees_written": 1, "employees_unchanged": 0,
}  # fmt: skip
EXTRACT = (PACKAGED_SQL / "extract_period_hours.sql").read_text("utf-8")


def test_without_the_openlineage_provider_there_is_no_lineage(monkeypatch):
    monkeypatch.setitem(sys.modules, "airflow.providers.openlineage.extractors", None)
    lineage = SyncLineage(
        "keeping_warehouse", {"extract_period_hours.sql": EXTRACT}, "demo", RESULT
    )
    assert operator_lineage(lineage) is None


def test_the_operator_imports_and_finds_its_inputs_without_openlineage():
    # The provider's own package stays (Airflow's provider manager reads its metadata); its
    # extractors, the OpenLineage client and its SQL parser are gone.
    code = (
        "import sys\n"
        "for name in ('openlineage', 'airflow.providers.openlineage.extractors',\n"
        "             'openlineage_sql'):\n"
        "    sys.modules[name] = None\n"
        "import nmbrs_provider.operators.payroll_sync, nmbrs_provider.lineage\n"
        "from nmbrs_provider.lineage import tables_read\n"
        "sql = open(sys.argv[1]).read()\n"
        "print(tables_read({'extract_period_hours.sql': sql}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(PACKAGED_SQL / "extract_period_hours.sql")],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "['keeping.time_entries', 'keeping.users']"


def test_tables_read_are_those_the_extract_names_outside_comments():
    assert tables_read({"extract_period_hours.sql": EXTRACT}) == [
        "keeping.time_entries",
        "keeping.users",
    ]
    own = "-- was keeping.users\nselect * from keeping.time_entries join hr.people p on true"
    assert tables_read({"extract_period_hours.sql": own}) == ["hr.people", "keeping.time_entries"]
