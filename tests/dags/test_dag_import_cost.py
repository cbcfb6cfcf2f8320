"""DAG parsing stays light: the DAG file imports no data or SOAP library at module level.

The DAG processor re-imports the file every few seconds; pandas, zeep and the PostgreSQL
drivers belong in the tasks. (Timings are measured by ``python -m bench.dag_import``.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.airflow_fixtures import ROOT

DAG_FILE = ROOT / "dags" / "nmbrs_payroll_sync.py"
HEAVY = ("pandas", "zeep", "psycopg2", "psycopg")

# airflow.sdk first (the DAG processor has it), then the DAG file; report what the file added.
PROBE = """
import importlib.util, json, sys
import airflow.sdk
before = set(sys.modules)
spec = importlib.util.spec_from_file_location("nmbrs_payroll_sync_probe", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
heavy = json.loads(sys.argv[2])
print(json.dumps({
    "dag": hasattr(module, "nmbrs_payroll_sync"),
    "heavy": sorted(m for m in heavy if m in sys.modules and m not in before),
}))
"""


def test_importing_the_dag_file_imports_neither_pandas_zeep_nor_a_postgres_driver():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])
    env["NMBRS_SYNC_CONFIG"] = str(ROOT / "include" / "nmbrs_sync.yaml")

    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(DAG_FILE), json.dumps(HEAVY)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"dag": True, "heavy": []}
