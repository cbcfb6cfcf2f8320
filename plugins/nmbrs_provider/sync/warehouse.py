"""The warehouse edge: extraction and the ledger, through PostgresHook and include/sql."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from nmbrs_provider.core.ids import plain_id
from nmbrs_provider.core.periods import PayrollPeriod
from nmbrs_provider.sync.settings import parameters

log = logging.getLogger(__name__)

EXCLUDED_COLUMNS = (
    "company_id", "organisation_id", "user_id", "user_code", "work_date", "purpose",
    "project_id", "task_id", "hours", "entries", "reason", "detail",
)  # fmt: skip


class WarehouseLockTimeout(RuntimeError):
    """Another run holds the company's period."""


class WarehouseSetupError(ValueError):
    """The warehouse connection is not defined or is not a PostgreSQL connection."""


#: Connection types PostgresHook talks to.
POSTGRES_CONN_TYPES = frozenset({"postgres", "postgresql"})


class SyncWarehouse:
    """Reads Keeping hours and writes the ``nmbrs_sync`` ledger.

    :param postgres_conn_id: Airflow connection of the warehouse.
    :param sql_dir: folder with the SQL files (``include/sql``); users adapt those, not Python.
    :param sql: texts of SQL files already read and checked (``settings.read_sync_sql``).
    """

    def __init__(
        self, postgres_conn_id: str, sql_dir: Path, *, sql: Mapping[str, str] | None = None
    ) -> None:
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        self.postgres_conn_id = postgres_conn_id
        self.sql_dir = Path(sql_dir)
        self.hook = PostgresHook(postgres_conn_id=postgres_conn_id)
        self._sql_texts: dict[str, str] = dict(sql or {})

    def sql(self, name: str) -> str:
        """The text of ``include/sql/<name>``, read once per instance (one task)."""
        if name not in self._sql_texts:
            path = self.sql_dir / name
            if not path.is_file():
                raise FileNotFoundError(f"SQL file {path} is missing (set NMBRS_SQL_DIR?)")
            self._sql_texts[name] = path.read_text(encoding="utf-8")
        return self._sql_texts[name]

    def check_connection(self) -> None:
        """Raise :class:`WarehouseSetupError` unless the connection exists and is PostgreSQL
        (no database call: a setup mistake, not an outage)."""
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            conn = self.hook.get_connection(self.postgres_conn_id)
        except AirflowNotFoundException:
            raise WarehouseSetupError(
                f"Warehouse connection {self.postgres_conn_id!r} is not defined: create it "
                "(type Postgres) or set warehouse_conn_id in the sync config."
            ) from None
        if conn.conn_type not in POSTGRES_CONN_TYPES:
            raise WarehouseSetupError(
                f"Warehouse connection {self.postgres_conn_id!r} is of type {conn.conn_type!r}; "
                "the warehouse needs a Postgres connection."
            )

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        # One transaction, committed on success; the connection is closed either way.
        with closing(self.hook.get_conn()) as conn, conn, conn.cursor() as cursor:
            yield cursor

    def apply_ledger_schema(self) -> None:
        """Create or upgrade the ledger (idempotent, safe from several workers at once)."""
        with self._cursor() as cursor:
            cursor.execute(self.sql("ledger_schema.sql"))

    @property
    def selects_rows_by_user_project_task(self) -> bool:
        """Whether the extract SQL takes ``user_ids``, ``project_ids`` and ``task_ids`` (a
        customised copy from before they existed reads by organisation only)."""
        used = parameters(self.sql("extract_period_hours.sql"), in_comments=False)
        return {"user_ids", "project_ids", "task_ids"} <= used

    def extract_hours(
        self,
        organisation_ids: Sequence[int] | None,
        period: PayrollPeriod,
        *,
        user_ids: Sequence[int] = (),
        project_ids: Sequence[int] = (),
        task_ids: Sequence[int] = (),
    ) -> pd.DataFrame:
        """The period's hours, aggregated in SQL per user, day, purpose, project and task.

        ``organisation_ids`` None reads every row; a list reads the rows of those
        organisations, plus those of ``user_ids``, ``project_ids`` and ``task_ids``.
        """
        params = _period_params(organisation_ids, period)
        for name, ids in (("user_ids", user_ids), ("project_ids", project_ids),
                          ("task_ids", task_ids)):  # fmt: skip
            params[name] = [int(i) for i in ids]
        with self._cursor() as cursor:
            cursor.execute(self.sql("extract_period_hours.sql"), params)
            columns = [c.name for c in cursor.description]
            frame = pd.DataFrame(cursor.fetchall(), columns=columns)
        frame["hours"] = pd.to_numeric(frame["hours"], errors="raise").astype(float)
        frame["entries"] = frame["entries"].astype("int64")
        for column in ("project_id", "task_id"):
            frame[column] = frame[column].astype("Int64")
        return frame

    def count_hours(
        self, organisation_ids: Sequence[int] | None, period: PayrollPeriod
    ) -> tuple[float, int]:
        """Raw total of hours and entries, independent of the aggregation."""
        with self._cursor() as cursor:
            cursor.execute(
                self.sql("count_period_hours.sql"), _period_params(organisation_ids, period)
            )
            hours, entries = cursor.fetchone()
        return float(hours or 0), int(entries or 0)

    @contextmanager
    def company_lock(
        self, company_id: int, period: PayrollPeriod, *, wait_seconds: float = 600
    ) -> Iterator[None]:
        """Hold a session advisory lock on (company, period) so two runs never interleave."""
        key = int.from_bytes(
            hashlib.sha256(f"nmbrs_sync:{company_id}:{period}".encode()).digest()[:8],
            "big",
            signed=True,
        )
        with closing(self.hook.get_conn()) as conn:
            conn.autocommit = True
            with conn.cursor() as cursor:
                deadline = time.monotonic() + wait_seconds
                while True:
                    cursor.execute("select pg_try_advisory_lock(%s)", (key,))
                    if cursor.fetchone()[0]:
                        break
                    if time.monotonic() > deadline:
                        raise WarehouseLockTimeout(
                            f"Another run is writing company {company_id}, period {period}; "
                            f"waited {wait_seconds:g}s. Retry when it has finished."
                        )
                    log.info("Company %s %s is locked by another run; waiting", company_id, period)
                    time.sleep(2)
                try:
                    yield
                finally:
                    cursor.execute("select pg_advisory_unlock(%s)", (key,))

    # -- ledger -------------------------------------------------------------------------------

    def start_run(self, **run: Any) -> None:
        """Record a run (run_id, dag_id, airflow_run_id, company_id, period, dry_run, and
        nmbrs_api and company_number: None when not given)."""
        with self._cursor() as cursor:
            params = {"nmbrs_api": None, "company_number": None, **run}
            cursor.execute(self.sql("ledger_start_run.sql"), params)

    def finish_run(self, **run: Any) -> None:
        """Close a run with its status, totals and message."""
        with self._cursor() as cursor:
            cursor.execute(self.sql("ledger_finish_run.sql"), run)

    def record_excluded(self, run_id: str, excluded: pd.DataFrame) -> None:
        """Every excluded hour with its reason."""
        rows = [{**row, "run_id": run_id} for row in _records(excluded, EXCLUDED_COLUMNS)]
        for row in rows:  # a column with gaps holds SOAP ids as floats: record 54613, not 54613.0
            if row["company_id"] is not None:
                row["company_id"] = plain_id(row["company_id"])
        self._insert_many("ledger_insert_excluded_hours.sql", rows)

    def record_plan(self, run_id: str, lines: Iterable[Mapping[str, Any]]) -> None:
        """The plan and its diff against Nmbrs."""
        self._insert_many("ledger_insert_plan_line.sql", [{**r, "run_id": run_id} for r in lines])

    def record_sent(self, run_id: str, lines: Iterable[Mapping[str, Any]]) -> None:
        """Every line sent to (or confirmed in) Nmbrs."""
        self._insert_many("ledger_insert_sent_line.sql", [{**r, "run_id": run_id} for r in lines])

    def _insert_many(self, sql_file: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        with self._cursor() as cursor:  # psycopg 3 or psycopg2, whichever PostgresHook uses
            cursor.executemany(self.sql(sql_file), rows)


def _period_params(organisation_ids: Sequence[int] | None, period: PayrollPeriod) -> dict:
    return {
        "organisation_ids": None
        if organisation_ids is None
        else [int(o) for o in organisation_ids],
        "period_start": period.start,
        "period_end": period.end,
        "user_ids": [],
        "project_ids": [],
        "task_ids": [],
    }


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as plain Python values (None for missing), for psycopg2."""
    present = frame.reindex(columns=list(columns))
    out = []
    for row in present.astype(object).itertuples(index=False, name=None):
        out.append({c: _plain(v) for c, v in zip(columns, row, strict=True)})
    return out


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value
