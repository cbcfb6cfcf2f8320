"""Where the sync finds its config and SQL files."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_ENV = "NMBRS_SYNC_CONFIG"
SQL_DIR_ENV = "NMBRS_SQL_DIR"
DEFAULT_CONFIG = Path("include") / "nmbrs_sync.yaml"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else ``$NMBRS_SYNC_CONFIG``, else ``include/nmbrs_sync.yaml``."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def sql_dir(config: Path, explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else ``$NMBRS_SQL_DIR``, else the ``sql`` folder beside the config file."""
    return Path(explicit or os.environ.get(SQL_DIR_ENV) or config.parent / "sql")
