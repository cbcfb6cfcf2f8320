"""Where the sync finds its config and SQL files, and whether they can be used.

Plain Python (no Airflow, pandas or database driver): the DAG file calls it when it is parsed,
so a missing, unreadable or mismatched file is an import error naming every path tried, and
the operators call it again before any work, failing at once instead of retrying.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from nmbrs_provider.core.config import ConfigError, ConfigProblem

CONFIG_ENV = "NMBRS_SYNC_CONFIG"
SQL_DIR_ENV = "NMBRS_SQL_DIR"
DEFAULT_CONFIG = Path("include") / "nmbrs_sync.yaml"
_PACKAGE = Path(__file__).resolve().parents[1]
#: The project the provider runs from when it is its ``plugins/nmbrs_provider`` (a checkout,
#: an editable install or Airflow's plugins folder); None when it is installed elsewhere.
PACKAGE_PROJECT = _PACKAGE.parents[1] if _PACKAGE.parent.name == "plugins" else None
#: The SQL the provider ships as package data (in a checkout, a link to include/sql).
PACKAGED_SQL = _PACKAGE / "sql"


class SqlFileError(ValueError):
    """The SQL folder, or a SQL file the sync runs, cannot be used."""


@dataclass(frozen=True)
class SqlContract:
    """The named parameters the sync passes to a SQL file, and those the file must use."""

    passes: frozenset[str]
    requires: frozenset[str]


def _contract(passes: str, optional: str = "") -> SqlContract:
    names = frozenset(passes.split())
    return SqlContract(names, names - frozenset(optional.split()))


_RANGE = "organisation_ids period_start period_end user_ids project_ids task_ids"
#: Every SQL file the sync runs, with its parameters (``warehouse.SyncWarehouse`` passes them).
#: An extract of one's own from before ``user_ids``/``project_ids``/``task_ids`` existed may
#: leave them out: the sync then reads every row and routes in Python.
SYNC_SQL: Mapping[str, SqlContract] = {
    "ledger_schema.sql": _contract(""),
    "extract_period_hours.sql": _contract(_RANGE, optional="user_ids project_ids task_ids"),
    "ledger_start_run.sql": _contract(
        "run_id dag_id airflow_run_id company_id period dry_run nmbrs_api company_number",
        optional="nmbrs_api company_number",
    ),
    "ledger_finish_run.sql": _contract(
        "run_id status hours_read hours_sent hours_excluded employees_written "
        "employees_unchanged message"
    ),
    "ledger_insert_excluded_hours.sql": _contract(
        "run_id company_id organisation_id user_id user_code work_date purpose project_id "
        "task_id hours entries reason detail"
    ),
    "ledger_insert_plan_line.sql": _contract(
        "run_id company_id employee_id employee_number hour_code current_hours desired_hours action"
    ),
    "ledger_insert_sent_line.sql": _contract(
        "run_id company_id employee_id employee_number period hour_code hours days action "
        "component_id"
    ),
}

#: The warehouse tables (``schema.table``) a SQL file of the sync reads, for its OpenLineage
#: inputs. A table counts when the file in use names it; a customised file may read others
#: (``nmbrs_provider.lineage`` adds those the OpenLineage SQL parser finds).
SQL_READS: Mapping[str, tuple[str, ...]] = {
    "extract_period_hours.sql": ("keeping.time_entries", "keeping.users"),
}

_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def parameters(text: str, *, in_comments: bool = True) -> set[str]:
    """Named ``%(name)s`` parameters of a SQL text (``%%`` is a literal percent sign).

    The driver fills parameters in comments too; ``in_comments=False`` counts only those
    the statement itself uses.
    """
    if not in_comments:
        text = _COMMENT.sub(" ", text)
    return {m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1)}


def declared_reads(name: str, text: str) -> list[str]:
    """The tables of :data:`SQL_READS` that the SQL text of ``name`` names outside comments."""
    code = _COMMENT.sub(" ", text).lower()
    return [
        table
        for table in SQL_READS.get(name, ())
        if re.search(rf"(?<![\w.]){re.escape(table.lower())}(?![\w.])", code)
    ]


def sql_problems(name: str, text: str) -> list[str]:
    """What is wrong with the text of a sync SQL file: parameters it needs that the sync does
    not pass, and parameters the sync passes that it must use but does not."""
    contract = SYNC_SQL[name]
    problems = []
    unknown = sorted(parameters(text) - contract.passes)
    if unknown:
        passed = ", ".join(sorted(contract.passes)) or "none"
        problems.append(
            f"uses {_names(unknown)}, which the sync does not pass (it passes: {passed})"
        )
    unused = sorted(contract.requires - parameters(text, in_comments=False))
    if unused:
        problems.append(f"does not use {_names(unused)}, which the sync passes and it must use")
    return problems


def _names(names: list[str]) -> str:
    return ", ".join(f"%({n})s" for n in names)


# -- the config ---------------------------------------------------------------------------------


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else ``$NMBRS_SYNC_CONFIG``, else ``include/nmbrs_sync.yaml``."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def find_config(
    explicit: str | os.PathLike[str] | None = None,
    *,
    project: Path | None = None,
    dag_folder: Path | None = None,
) -> Path:
    """The config file: :func:`config_path`; a relative path is looked up in the working
    directory, then in ``project`` (the DAG's project) and the provider's checkout. With
    neither ``explicit`` nor ``$NMBRS_SYNC_CONFIG``, a ``nmbrs_sync.yaml`` beside the DAG file
    (in ``dag_folder``) comes first.

    :raises ConfigError: no such file, naming every path tried.
    """
    given = config_path(explicit)
    source = (
        "the operator's config_path" if explicit else
        f"${CONFIG_ENV}" if os.environ.get(CONFIG_ENV) else "the default"
    )  # fmt: skip
    if given.is_absolute():
        tried = [given]
    else:
        roots = [Path.cwd(), *filter(None, [project, PACKAGE_PROJECT])]
        tried = _unique(root / given for root in roots)
        if dag_folder is not None and source == "the default":
            tried = _unique([dag_folder / DEFAULT_CONFIG.name, *tried])
    for path in tried:
        if path.is_file():
            return path
    where = ", ".join(map(str, tried))
    raise ConfigError(
        str(given),
        [ConfigProblem("", f"no such file ({source} {str(given)!r}); tried: {where}")],
    )


# -- the SQL folder -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SqlDir:
    """The folder the sync reads its SQL from, and how it was chosen."""

    path: Path
    #: One line per candidate folder, in order of precedence, with what was found.
    searched: tuple[str, ...]

    def __str__(self) -> str:
        return str(self.path)

    def explain(self) -> str:
        """The folders considered, for error messages."""
        lines = "\n".join(f"  {i}. {line}" for i, line in enumerate(self.searched, 1))
        return f"SQL folders, in order (the first one set or found is used):\n{lines}"


def sql_dir(
    config: Path,
    explicit: str | os.PathLike[str] | None = None,
    *,
    project: Path | None = None,
) -> SqlDir:
    """Where the SQL files are: ``explicit`` (the operator's ``sql_dir``), else
    ``$NMBRS_SQL_DIR``, else a ``sql`` folder beside the config file, else the project's own
    ``include/sql`` (of ``project``, the DAG's project, or of the provider's checkout), else
    the SQL the provider ships (:data:`PACKAGED_SQL`, for a pip-installed provider).

    A folder named by ``explicit`` or ``$NMBRS_SQL_DIR`` is used even when it does not exist
    (the check then says so), never silently replaced by the SQL the project ships.
    """
    env = os.environ.get(SQL_DIR_ENV)
    searched = [
        f"the operator's sql_dir: {explicit}" if explicit else "the operator's sql_dir: not given",
        f"${SQL_DIR_ENV}: {env}" if env else f"${SQL_DIR_ENV}: not set",
    ]
    chosen = Path(explicit or env) if explicit or env else None
    if chosen is not None:
        searched[0 if explicit else 1] += " (used)"
    beside = Path(os.path.abspath(config)).parent / "sql"
    candidates = {beside: f"the sql folder beside the config {config}"}
    for root in _unique([*filter(None, [project, PACKAGE_PROJECT])]):
        path = root / "include" / "sql"
        candidates[path] = "; ".join(filter(None, [candidates.get(path), "the project's own SQL"]))
    if not any(_same_dir(path, PACKAGED_SQL) for path in candidates):
        candidates[PACKAGED_SQL] = "the SQL the provider ships"
    for path, what in candidates.items():
        if chosen is None and path.is_dir():
            chosen = path
        state = (
            "used" if path == chosen else "exists, not used" if path.is_dir() else "no such folder"
        )
        searched.append(f"{path} ({what}): {state}")
    if chosen is None:  # no folder at all: the check names the project's
        chosen = list(candidates)[-1]
    return SqlDir(chosen, tuple(searched))


def _same_dir(a: Path, b: Path) -> bool:
    return a.is_dir() and b.is_dir() and a.resolve() == b.resolve()


def read_sync_sql(folder: SqlDir) -> dict[str, str]:
    """The text of every SQL file the sync runs, each checked against :data:`SYNC_SQL`.

    :raises SqlFileError: naming every file that is missing, unreadable or does not fit its
        parameters, and every folder considered.
    """
    texts: dict[str, str] = {}
    problems = [] if folder.path.is_dir() else [f"{folder.path}: no such folder"]
    for name in SYNC_SQL if not problems else ():
        path = folder.path / name
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(f"{path}: missing")
            continue
        except (OSError, UnicodeDecodeError) as err:
            problems.append(f"{path}: cannot be read ({type(err).__name__}: {err})")
            continue
        problems += [f"{path}: {problem}" for problem in sql_problems(name, texts[name])]
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise SqlFileError(
            f"the payroll sync cannot use its SQL files in {folder.path}:\n{listed}\n"
            f"{folder.explain()}\nRestore the files (the project ships them in include/sql) "
            f"or point ${SQL_DIR_ENV} at a folder with all of them."
        )
    return texts


def _unique(paths: Iterable[Path]) -> list[Path]:
    seen: list[Path] = []
    for path in paths:
        path = Path(os.path.abspath(path))
        if path not in seen:
            seen.append(path)
    return seen
