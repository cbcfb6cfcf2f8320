"""OpenLineage of a company's sync: the warehouse tables it read, the Nmbrs hours it wrote.

Optional: only ``apache-airflow-providers-openlineage`` (with a transport configured) asks for
it, through the operator's ``get_openlineage_facets_on_complete``; without the package,
:func:`operator_lineage` returns None and nothing else changes.

- inputs: the tables the extract SQL reads, named as OpenLineage names PostgreSQL datasets
  (namespace ``postgres://host:port``, name ``database.schema.table``);
- output: ``nmbrs://<domain>`` / ``company/<id>/hours/<period>``, the company's variable hours
  of the period (none for a dry run, which writes nothing);
- run facet :data:`FACET`: the run's hours read, sent and excluded (by reason) and employees.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nmbrs_provider.sync.settings import declared_reads

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

log = logging.getLogger(__name__)

#: Name of the run facet with the run's hours.
FACET = "nmbrs_payroll_sync"
_PLACEHOLDER = re.compile(r"%\(\w+\)s")


@dataclass(frozen=True)
class SyncLineage:
    """What one company task read and wrote, kept by the operator for its lineage event."""

    warehouse_conn_id: str
    #: The SQL texts the run used, by file name.
    sql: Mapping[str, str]
    nmbrs_domain: str
    #: :meth:`~nmbrs_provider.sync.record.CompanySyncResult.as_dict` of the run.
    result: Mapping[str, Any]


def hours_dataset_name(company_id: int, period: str) -> str:
    """The OpenLineage name of a company's variable hours of a period in Nmbrs."""
    return f"company/{company_id}/hours/{period}"


def nmbrs_namespace(domain: str) -> str:
    """The OpenLineage namespace of an Nmbrs environment."""
    return f"nmbrs://{domain}"


def tables_read(sql: Mapping[str, str]) -> list[str]:
    """``schema.table`` of every warehouse table the SQL files read: those declared in
    :data:`~nmbrs_provider.sync.settings.SQL_READS` that the file names, and those the
    OpenLineage SQL parser finds (it helps with a customised file; it misses tables read
    inside a ``with`` clause, hence the declared ones)."""
    tables: list[str] = []
    for name, text in sql.items():
        tables += declared_reads(name, text)
        tables += _parsed_reads(text) if name.startswith("extract_") else []
    return sorted(set(tables))


def _parsed_reads(text: str) -> list[str]:
    try:
        from openlineage_sql import parse
    except ImportError:
        return []
    plain = _PLACEHOLDER.sub("null", text).replace("%%", "%")
    try:
        meta = parse([plain], dialect="postgres", default_schema="public")
    except Exception:  # a parser failure must not cost the event its declared inputs
        log.debug("The OpenLineage SQL parser could not read the extract SQL", exc_info=True)
        return []
    return [f"{t.schema or 'public'}.{t.name}" for t in meta.in_tables]


def operator_lineage(lineage: SyncLineage | None) -> OperatorLineage | None:
    """The run's OpenLineage inputs, outputs and facet; None without the OpenLineage
    provider or without a finished run."""
    if lineage is None:
        return None
    try:
        from airflow.providers.openlineage.extractors import OperatorLineage
        from openlineage.client.event_v2 import Dataset
    except ImportError:
        return None
    result = lineage.result
    namespace, database = _warehouse(lineage.warehouse_conn_id)
    tables = tables_read(lineage.sql)
    inputs = [Dataset(namespace=namespace, name=f"{database}.{table}") for table in tables]
    outputs = []
    if result["status"] == "succeeded":
        name = hours_dataset_name(result["company_id"], result["period"])
        outputs.append(Dataset(namespace=nmbrs_namespace(lineage.nmbrs_domain), name=name))
    facet = _facet_class()(
        company_id=result["company_id"],
        period=result["period"],
        status=result["status"],
        hours_read=result["hours_read"],
        hours_sent=result["hours_sent"],
        hours_excluded=result["hours_excluded"],
        excluded_by_reason=dict(result["excluded_by_reason"]),
        employees_written=result["employees_written"],
        employees_unchanged=result["employees_unchanged"],
    )
    return OperatorLineage(inputs=inputs, outputs=outputs, run_facets={FACET: facet})


def _warehouse(conn_id: str) -> tuple[str, str]:
    """(namespace, database) of the warehouse, as the Postgres provider names them."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    hook = PostgresHook(postgres_conn_id=conn_id)
    info = hook.get_openlineage_database_info(hook.get_connection(conn_id))
    return f"{info.scheme}://{info.authority}", str(info.database)


@functools.cache
def _facet_class() -> type:
    """The run facet class (built on first use: attrs and OpenLineage are optional)."""
    import attrs
    from openlineage.client.facet_v2 import RunFacet

    @attrs.define
    class NmbrsPayrollSyncRunFacet(RunFacet):  # type: ignore[misc]
        """One company's payroll period sync: hours read = sent + excluded."""

        company_id: int
        period: str
        status: str
        hours_read: float
        hours_sent: float
        hours_excluded: float
        excluded_by_reason: dict[str, float]
        employees_written: int
        employees_unchanged: int

    return NmbrsPayrollSyncRunFacet
