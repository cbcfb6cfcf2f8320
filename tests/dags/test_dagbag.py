"""The DAG file as Airflow's DAG processor sees it: which DAGs a config yields, their Params,
where it finds its SQL, and how a broken config or SQL file shows up (as an import error naming
file, key or parameter, and every path tried)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.exceptions import ParamValidationError

from tests.airflow_fixtures import ROOT

DAGS = ROOT / "dags"
DAG_FILE = DAGS / "nmbrs_payroll_sync.py"
DEMO_CONFIG = ROOT / "include" / "nmbrs_sync.yaml"
DAG_IDS = {"M": "nmbrs_payroll_sync", "4W": "nmbrs_payroll_sync_4w", "W": "nmbrs_payroll_sync_w"}


def _dagbag(monkeypatch: pytest.MonkeyPatch, config: Path) -> DagBag:
    """Parse dags/ the way the DAG processor does, with ``config`` as the sync config."""
    monkeypatch.setenv("NMBRS_SYNC_CONFIG", str(config))
    return DagBag(dag_folder=str(DAGS))


def _write(path: Path, config: object) -> Path:
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config), "utf-8")
    return path


def test_the_demo_config_gives_the_monthly_dag_only(monkeypatch):
    bag = _dagbag(monkeypatch, DEMO_CONFIG)

    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["nmbrs_payroll_sync"]


def test_a_dag_per_period_type_in_the_config(monkeypatch, tmp_path):
    config = _write(
        tmp_path / "three_types.yaml",
        {
            "companies": [
                {"company_id": 54613, "organisations": [1]},
                {"company_id": 54614, "period_type": "4W", "organisations": [2]},
                {"company_id": 54615, "period_type": "W", "organisations": [3]},
            ]
        },
    )

    bag = _dagbag(monkeypatch, config)

    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == sorted(DAG_IDS.values())
    # each DAG only prepares the companies of its own period type
    for period_type, dag_id in DAG_IDS.items():
        assert bag.dags[dag_id].get_task("prepare").period_type == period_type


def test_params_period_companies_and_dry_run_with_their_defaults(monkeypatch):
    dag = _dagbag(monkeypatch, DEMO_CONFIG).dags["nmbrs_payroll_sync"]

    assert {"period", "companies", "dry_run"} <= set(dag.params.keys())
    period = dag.params.get_param("period")
    companies = dag.params.get_param("companies")
    dry_run = dag.params.get_param("dry_run")
    assert period.value is None  # empty: each company's current period
    assert "string" in period.schema["type"]
    assert companies.value is None  # empty: every company of the DAG
    # a SOAP company's number and a REST company's UUID are both accepted by the form
    uuid = "0b3e8f6e-6a3f-5d7e-9c1b-2f4a6d8e0c1a"
    assert companies.resolve(value=[54613, uuid]) == [54613, uuid]
    with pytest.raises(ParamValidationError):
        companies.resolve(value=[{"company_id": 54613}])
    assert dry_run.value is False  # a trigger without conf writes for real
    assert dry_run.schema["type"] == "boolean"
    assert "2026-11-M" in period.description  # the form tells how to write a period


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (
            "companies:\n  - company_id: 54613\n    organisatons: [1]\n",
            "companies[0].organisatons",
            "did you mean 'organisations'",
        ),
        (
            "past_period_policy: later\ncompanies:\n  - company_id: 54613\n"
            "    organisations: [1]\n",
            "past_period_policy",
            "expected one of fail, retro, skip",
        ),
    ],
    ids=["misspelt-key", "bad-policy"],
)
def test_a_malformed_config_is_an_import_error_naming_file_key_and_problem(
    monkeypatch, tmp_path, text, key, problem
):
    config = _write(tmp_path / "broken_sync.yaml", text)

    bag = _dagbag(monkeypatch, config)

    assert bag.dag_ids == []
    assert list(bag.import_errors) == [str(DAG_FILE)]
    message = bag.import_errors[str(DAG_FILE)]
    assert str(config) in message
    assert key in message
    assert problem in message


def _project(tmp_path: Path, *, without: str | None = None) -> Path:
    """A copy of the project's DAG file and SQL (minus ``without``), as deployed elsewhere."""
    project = tmp_path / "project"
    shutil.copytree(DAGS, project / "dags", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "include" / "sql", project / "include" / "sql")
    if without:
        (project / "include" / "sql" / without).unlink()
    return project


def _mounted_config(tmp_path: Path) -> Path:
    """The demo config mounted in a folder of its own, without a sql folder beside it."""
    folder = tmp_path / "mounted"
    folder.mkdir()
    return _write(folder / "nmbrs_sync.yaml", DEMO_CONFIG.read_text("utf-8"))


def test_a_config_kept_elsewhere_uses_the_sql_the_project_ships(monkeypatch, tmp_path):
    monkeypatch.delenv("NMBRS_SQL_DIR", raising=False)
    project = _project(tmp_path)

    monkeypatch.setenv("NMBRS_SYNC_CONFIG", str(_mounted_config(tmp_path)))
    bag = DagBag(dag_folder=str(project / "dags"))

    assert bag.import_errors == {}
    dag = bag.dags["nmbrs_payroll_sync"]
    shipped = str(project / "include" / "sql")
    assert dag.get_task("prepare").sql_dir == shipped
    assert dag.get_task("sync_company").partial_kwargs["sql_dir"] == shipped  # mapped


def test_a_deleted_sql_file_is_an_import_error_naming_the_paths_tried(monkeypatch, tmp_path):
    monkeypatch.delenv("NMBRS_SQL_DIR", raising=False)
    project = _project(tmp_path, without="ledger_schema.sql")
    config = _mounted_config(tmp_path)

    monkeypatch.setenv("NMBRS_SYNC_CONFIG", str(config))
    bag = DagBag(dag_folder=str(project / "dags"))

    assert bag.dag_ids == []
    (message,) = bag.import_errors.values()
    shipped = project / "include" / "sql"
    assert f"{shipped / 'ledger_schema.sql'}: missing" in message
    assert "$NMBRS_SQL_DIR: not set" in message
    assert (
        f"{config.parent / 'sql'} (the sql folder beside the config {config}): no such" in message
    )
    assert f"{shipped} (the project's own SQL): used" in message


def test_a_sql_file_without_the_sync_parameters_is_an_import_error(monkeypatch, tmp_path):
    config = _mounted_config(tmp_path)
    own = config.parent / "sql"
    shutil.copytree(ROOT / "include" / "sql", own)
    extract = own / "extract_period_hours.sql"
    extract.write_text(extract.read_text("utf-8").replace("%(period_end)s", "%(end)s"), "utf-8")

    bag = _dagbag(monkeypatch, config)

    assert bag.dag_ids == []
    (message,) = bag.import_errors.values()
    assert f"{extract}: uses %(end)s, which the sync does not pass" in message
    assert f"{extract}: does not use %(period_end)s" in message


def test_a_config_that_cannot_be_found_is_an_import_error_naming_the_paths_tried(
    monkeypatch, tmp_path
):
    missing = tmp_path / "mounted" / "nmbrs_sync.yaml"

    bag = _dagbag(monkeypatch, missing)

    assert bag.dag_ids == []
    (message,) = bag.import_errors.values()
    assert f"no such file ($NMBRS_SYNC_CONFIG '{missing}'); tried: {missing}" in message


def test_parsing_the_dag_file_imports_no_pandas_zeep_or_postgres_driver():
    """The DAG processor re-parses the file often: heavy libraries belong in the tasks."""
    probe = (
        "import json, runpy, sys\n"
        "names = runpy.run_path(sys.argv[1])\n"
        "print(json.dumps({'dag': 'nmbrs_payroll_sync' in names,\n"
        "  'heavy': sorted(m for m in ('pandas', 'zeep', 'psycopg2', 'psycopg')\n"
        "                  if m in sys.modules)}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])
    env["NMBRS_SYNC_CONFIG"] = str(DEMO_CONFIG)

    done = subprocess.run(
        [sys.executable, "-c", probe, str(DAG_FILE)],
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
