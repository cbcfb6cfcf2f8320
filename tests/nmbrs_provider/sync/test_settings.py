"""Where the sync finds its config and SQL, and what makes a SQL file unusable (sync/settings.py).

The folders are real folders under tmp_path; the project's own SQL is the repository's
include/sql. The warehouse connection checks read real ``AIRFLOW_CONN_*`` connections.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nmbrs_provider.core.config import ConfigError
from nmbrs_provider.sync import settings
from nmbrs_provider.sync.settings import SYNC_SQL, SqlFileError, parameters, read_sync_sql
from nmbrs_provider.sync.warehouse import SyncWarehouse, WarehouseSetupError

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "include" / "sql"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(settings.SQL_DIR_ENV, raising=False)
    monkeypatch.delenv(settings.CONFIG_ENV, raising=False)


def _config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nmbrs_sync.yaml"
    path.write_text("companies: []\n", "utf-8")
    return path


def _sql_copy(folder: Path) -> Path:
    shutil.copytree(SHIPPED, folder)
    return folder


# -- which folder -------------------------------------------------------------------------------


def test_a_config_elsewhere_without_a_sql_folder_uses_the_project_sql(tmp_path):
    config = _config(tmp_path / "mounted")

    folder = settings.sql_dir(config)

    assert folder.path == SHIPPED
    assert len(read_sync_sql(folder)) == len(SYNC_SQL)


def test_a_sql_folder_beside_the_config_wins_over_the_project_sql(tmp_path):
    config = _config(tmp_path / "mounted")
    own = _sql_copy(tmp_path / "mounted" / "sql")

    assert settings.sql_dir(config).path == own


def test_nmbrs_sql_dir_wins_over_the_folder_beside_the_config(tmp_path, monkeypatch):
    config = _config(tmp_path / "mounted")
    _sql_copy(tmp_path / "mounted" / "sql")
    chosen = _sql_copy(tmp_path / "elsewhere")
    monkeypatch.setenv(settings.SQL_DIR_ENV, str(chosen))

    assert settings.sql_dir(config).path == chosen
    # and the operator's argument wins over NMBRS_SQL_DIR
    assert settings.sql_dir(config, tmp_path / "mounted" / "sql").path == tmp_path / "mounted/sql"


def test_a_missing_nmbrs_sql_dir_is_an_error_not_the_project_sql(tmp_path, monkeypatch):
    config = _config(tmp_path / "mounted")
    monkeypatch.setenv(settings.SQL_DIR_ENV, str(tmp_path / "typo"))

    folder = settings.sql_dir(config)

    assert folder.path == tmp_path / "typo"
    with pytest.raises(SqlFileError) as err:
        read_sync_sql(folder)
    assert f"{tmp_path / 'typo'}: no such folder" in str(err.value)


def test_the_project_of_the_dag_file_is_found_when_the_provider_is_installed_elsewhere(
    tmp_path, monkeypatch
):
    """pip-installed, the provider is not in the project's plugins/: the DAG names it."""
    monkeypatch.setattr(settings, "PACKAGE_PROJECT", None)
    project = tmp_path / "project"
    _sql_copy(project / "include" / "sql")
    config = _config(tmp_path / "mounted")

    assert settings.sql_dir(config, project=project).path == project / "include" / "sql"


def test_every_folder_considered_is_named_when_a_file_is_missing(tmp_path):
    config = _config(tmp_path / "mounted")
    own = _sql_copy(tmp_path / "mounted" / "sql")
    (own / "ledger_schema.sql").unlink()

    with pytest.raises(SqlFileError) as err:
        read_sync_sql(settings.sql_dir(config))

    message = str(err.value)
    assert f"{own / 'ledger_schema.sql'}: missing" in message
    assert "the operator's sql_dir: not given" in message
    assert "$NMBRS_SQL_DIR: not set" in message
    assert f"{own} (the sql folder beside the config {config}): used" in message
    assert f"{SHIPPED} (the project's own SQL): exists, not used" in message


# -- which files are usable ---------------------------------------------------------------------


def test_the_shipped_sql_uses_exactly_the_parameters_the_sync_passes():
    for name, contract in SYNC_SQL.items():
        text = (SHIPPED / name).read_text("utf-8")
        assert parameters(text) == contract.passes, name
        assert settings.sql_problems(name, text) == [], name


@pytest.mark.parametrize(
    ("name", "edit", "problem"),
    [
        (
            "extract_period_hours.sql",
            lambda t: t.replace("%(period_end)s", "%(period_stop)s"),
            "uses %(period_stop)s, which the sync does not pass",
        ),
        (
            "extract_period_hours.sql",
            lambda t: t.replace("%(period_start)s", "current_date - 31"),
            "does not use %(period_start)s",
        ),
        (
            "ledger_insert_excluded_hours.sql",
            lambda t: t.replace("%(reason)s", "null"),
            "does not use %(reason)s",
        ),
        (
            "ledger_schema.sql",
            lambda t: t + "\n-- owner %(owner)s\n",
            "uses %(owner)s, which the sync does not pass (it passes: none)",
        ),
    ],
    ids=["unknown-parameter", "no-period-start", "no-exclusion-reason", "schema-parameter"],
)
def test_a_sql_file_that_does_not_fit_the_sync_parameters_is_refused(tmp_path, name, edit, problem):
    own = _sql_copy(tmp_path / "sql")
    (own / name).write_text(edit((own / name).read_text("utf-8")), "utf-8")

    with pytest.raises(SqlFileError) as err:
        read_sync_sql(settings.sql_dir(_config(tmp_path)))

    assert f"{own / name}: {problem}" in str(err.value)


def test_a_parameter_only_in_a_comment_does_not_count_as_used(tmp_path):
    own = _sql_copy(tmp_path / "sql")
    path = own / "extract_period_hours.sql"
    text = path.read_text("utf-8").replace(
        "%(period_end)s", "current_date -- was %(period_end)s\n", 1
    )
    path.write_text(text, "utf-8")

    problems = settings.sql_problems(path.name, text)

    assert problems == ["does not use %(period_end)s, which the sync passes and it must use"]


def test_an_old_extract_without_user_project_and_task_ids_is_accepted():
    text = "select 1 where %(organisation_ids)s is null and %(period_start)s <= %(period_end)s"
    assert settings.sql_problems("extract_period_hours.sql", text) == []


def test_an_unreadable_sql_file_is_named(tmp_path):
    own = _sql_copy(tmp_path / "sql")
    (own / "ledger_finish_run.sql").write_bytes(b"update \xff\xfe")

    with pytest.raises(SqlFileError, match=r"ledger_finish_run\.sql: cannot be read"):
        read_sync_sql(settings.sql_dir(_config(tmp_path)))


# -- the config file ----------------------------------------------------------------------------


def test_a_missing_config_names_every_path_tried(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "project"
    monkeypatch.setenv(settings.CONFIG_ENV, "conf/nmbrs_sync.yaml")

    with pytest.raises(ConfigError) as err:
        settings.find_config(project=project)

    message = str(err.value)
    assert "$NMBRS_SYNC_CONFIG 'conf/nmbrs_sync.yaml'" in message
    for root in (tmp_path, project, ROOT):
        assert str(root / "conf" / "nmbrs_sync.yaml") in message


def test_a_relative_config_is_found_in_the_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(settings.CONFIG_ENV, "include/nmbrs_sync.yaml")

    assert settings.find_config() == ROOT / "include" / "nmbrs_sync.yaml"


# -- the warehouse connection -------------------------------------------------------------------


def test_an_undefined_warehouse_connection_is_a_setup_error(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_NO_WAREHOUSE", raising=False)
    warehouse = SyncWarehouse("no_warehouse", SHIPPED)

    with pytest.raises(WarehouseSetupError, match="'no_warehouse' is not defined"):
        warehouse.check_connection()


def test_a_warehouse_connection_of_another_type_is_a_setup_error(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_HTTP_WAREHOUSE",
        json.dumps({"conn_type": "http", "host": "127.0.0.1", "password": "pw-canary-7"}),
    )
    warehouse = SyncWarehouse("http_warehouse", SHIPPED)

    with pytest.raises(WarehouseSetupError, match="of type 'http'") as err:
        warehouse.check_connection()
    assert "pw-canary-7" not in str(err.value)


def test_a_postgres_warehouse_connection_passes(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_PG_WAREHOUSE", json.dumps({"conn_type": "postgres", "host": "127.0.0.1"})
    )
    SyncWarehouse("pg_warehouse", SHIPPED).check_connection()
