"""The provider as a user installs it: a wheel in a fresh virtualenv, nothing from this repository.

``python -m build`` makes the wheel and sdist of ``airflow-provider-nmbrs``. A new virtualenv
gets Airflow and that wheel (resolved with the project's lock), and an Airflow home whose DAGs
folder holds only the sync DAG file and a config beside it: no plugins folder, no
``include/sql``, no ``NMBRS_SYNC_CONFIG`` or ``NMBRS_SQL_DIR``, no PYTHONPATH. Airflow lists the
provider, its connection type and its timetable plugin, and ``airflow dags test`` runs a period
against the sandbox on the SQL the package ships.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from dev.local_warehouse import seed_demo
from tests.airflow_fixtures import ROOT
from tests.dags.sync_world import FLEXIBLE, WORKED, expected_holdings
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json

pytestmark = pytest.mark.slow

SYNC_SQL = (
    "extract_period_hours.sql",
    "ledger_schema.sql",
    "ledger_start_run.sql",
    "ledger_finish_run.sql",
    "ledger_insert_excluded_hours.sql",
    "ledger_insert_plan_line.sql",
    "ledger_insert_sent_line.sql",
    "oauth_grant_schema.sql",
)


def _run(args: list[str], *, env: dict[str, str] | None = None, cwd: Path, timeout: float = 900):
    result = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, args))} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-5000:]}\n--- stderr\n{result.stderr[-5000:]}"
        )
    return result


@pytest.fixture(scope="module")
def distribution(tmp_path_factory) -> dict[str, Path]:
    """The wheel and sdist ``python -m build`` makes of plugins/nmbrs_provider."""
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("source") / "nmbrs_provider"
    # Built from a copy, as from a fresh clone: no egg-info or build folders of the checkout.
    shutil.copytree(
        ROOT / "plugins" / "nmbrs_provider",
        source,
        symlinks=False,
        ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "build"),
    )
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], cwd=out)
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.fixture(scope="module")
def fresh_airflow(distribution, tmp_path_factory) -> dict[str, Path]:
    """A new virtualenv with Airflow, the Postgres provider and the wheel, and its own home."""
    base = tmp_path_factory.mktemp("fresh")
    venv = base / "venv"
    _run([sys._base_executable, "-m", "venv", str(venv)], cwd=base)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    requirement = next(
        line for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.startswith("apache-airflow==")
    )  # fmt: skip
    lock = str(ROOT / "constraints.txt")
    _run([*pip, "install", requirement, str(distribution["wheel"]), "-c", lock], cwd=base)
    home, dags = base / "airflow_home", base / "airflow_home" / "dags"
    dags.mkdir(parents=True)
    (base / "airflow_home" / "plugins").mkdir()
    return {"venv": venv, "home": home, "dags": dags, "base": base}


def _env(fresh: dict[str, Path], **extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
    env = {k: v for k, v in os.environ.items() if k in keep}
    home = fresh["home"]
    env.update(
        {
            "PATH": f"{fresh['venv'] / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(fresh["dags"]),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            **extra,
        }
    )
    return env


def _airflow(fresh: dict[str, Path], *args: str, **extra: str) -> subprocess.CompletedProcess:
    return _run(
        [str(fresh["venv"] / "bin" / "airflow"), *args], env=_env(fresh, **extra), cwd=fresh["base"]
    )


def _json(result: subprocess.CompletedProcess):
    """The JSON an ``airflow ... --output json`` printed (its last line; warnings come first)."""
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_wheel_ships_the_provider_and_its_default_sql(distribution):
    names = zipfile.ZipFile(distribution["wheel"]).namelist()
    for sql in SYNC_SQL:
        shipped = zipfile.ZipFile(distribution["wheel"]).read(f"nmbrs_provider/sql/{sql}")
        assert shipped == (ROOT / "include" / "sql" / sql).read_bytes(), sql
    assert "nmbrs_provider/core/config/model.py" in names
    assert "nmbrs_provider/sensors/nmbrs.py" in names
    assert (
        "nmbrs_provider/rest/tokens.py" in names and "nmbrs_provider/hooks/nmbrs_rest.py" in names
    )
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(distribution["wheel"]).read(metadata).decode()
    assert "Requires-Python: <3.14,>=3.11" in text
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    points = zipfile.ZipFile(distribution["wheel"]).read(entry_points).decode()
    assert "[apache_airflow_provider]" in points and "[airflow.plugins]" in points


def test_a_fresh_airflow_with_the_wheel_lists_the_provider_and_runs_the_dag_file_alone(
    fresh_airflow, nmbrs_sandbox, warehouse_db
):
    fresh = fresh_airflow
    # Nothing of this repository is importable in the fresh virtualenv.
    probe = _run(
        [str(fresh["venv"] / "bin" / "python"), "-c",
         "import nmbrs_provider, importlib.util as u; print(nmbrs_provider.__file__);"
         " print(u.find_spec('nmbrs_sandbox'), u.find_spec('dev'))"],
        env=_env(fresh), cwd=fresh["base"],
    )  # fmt: skip
    assert "site-packages" in probe.stdout and "None None" in probe.stdout, probe.stdout

    _airflow(fresh, "db", "migrate")
    providers = _json(_airflow(fresh, "providers", "list", "--output", "json"))
    assert "airflow-provider-nmbrs" in [p["package_name"] for p in providers]
    hooks = _json(_airflow(fresh, "providers", "hooks", "--output", "json"))
    assert {"nmbrs", "nmbrs_rest"} <= {h["connection_type"] for h in hooks}
    plugins = _airflow(fresh, "plugins", "--output", "json").stdout
    assert "PayrollPeriodTimetable" in plugins, plugins
    assert '"url_prefix": "/nmbrs"' in plugins, plugins  # the Nmbrs page ships in the wheel

    shutil.copy(ROOT / "dags" / "nmbrs_payroll_sync.py", fresh["dags"])
    shutil.copy(ROOT / "include" / "nmbrs_sync.yaml", fresh["dags"] / "nmbrs_sync.yaml")
    assert sorted(p.name for p in fresh["dags"].iterdir()) == [
        "nmbrs_payroll_sync.py",
        "nmbrs_sync.yaml",
    ]
    seed_demo(warehouse_db)
    connections = {
        "AIRFLOW_CONN_NMBRS_DEFAULT": nmbrs_conn_json(nmbrs_sandbox.url, *DEMO_USER),
        "AIRFLOW_CONN_KEEPING_WAREHOUSE": warehouse_db.airflow_conn_json(),
    }
    errors = _airflow(fresh, "dags", "list-import-errors", "--output", "json", **connections)
    assert _json(errors) == [], errors.stdout
    _airflow(
        fresh, "dags", "test", "nmbrs_payroll_sync", "--conf", '{"period": "2026-11-M"}',
        **connections,
    )  # fmt: skip

    expected = expected_holdings(warehouse_db)
    for employee, (hours, _days) in expected.items():
        held = sum(
            (
                Decimal(str(c["Hours"]))
                for c in nmbrs_sandbox.hour_components(employee, 2026, 11)
                if c["HourCode"] == WORKED
            ),
            Decimal(0),
        )
        assert held == hours, (employee, held, hours)
    assert len(expected) == len(FLEXIBLE)
    runs = warehouse_db.query(
        "select status from nmbrs_sync.runs where company_id is not null and period = '2026-11-M'"
    )
    assert sorted(r[0] for r in runs) == ["succeeded", "succeeded"], runs
