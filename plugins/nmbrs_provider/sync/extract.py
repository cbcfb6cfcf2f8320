"""Which warehouse rows a company's extract reads: only those that can route to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from nmbrs_provider.core.config import SyncConfig
from nmbrs_provider.core.holdings import CompanyId
from nmbrs_provider.core.periods import PayrollPeriod

if TYPE_CHECKING:
    from nmbrs_provider.sync.warehouse import SyncWarehouse


@dataclass(frozen=True)
class RowsToRead:
    """The warehouse rows that can route to one company: those matching any of its selectors."""

    organisations: list[int]
    users: list[int]
    projects: list[int]
    tasks: list[int]


def rows_to_read(config: SyncConfig, company_id: CompanyId) -> RowsToRead | None:
    """What to extract for the company; None (everything) only for the default company.

    A row that matches none of a company's selectors can only route to it as the default, and
    a row that does match is routed with every company's rules, so the narrowing is exact.
    """
    company = config.company(company_id)
    if company.default:
        return None
    return RowsToRead(
        sorted(company.organisations),
        sorted(company.users),
        sorted(company.projects),
        sorted(company.tasks),
    )


def extract_company_hours(
    warehouse: SyncWarehouse, config: SyncConfig, company_id: CompanyId, period: PayrollPeriod
) -> pd.DataFrame:
    """The period's warehouse hours that can route to the company."""
    rows = rows_to_read(config, company_id)
    by_other = rows is not None and (rows.users or rows.projects or rows.tasks)
    if rows is None or (by_other and not warehouse.selects_rows_by_user_project_task):
        # An extract SQL of one's own without user_ids/project_ids/task_ids: read everything.
        return warehouse.extract_hours(None, period)
    return warehouse.extract_hours(
        rows.organisations, period, user_ids=rows.users, project_ids=rows.projects,
        task_ids=rows.tasks,
    )  # fmt: skip
