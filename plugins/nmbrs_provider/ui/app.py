"""The Nmbrs page: a FastAPI app the provider's plugin mounts at ``/nmbrs`` in the API server.

Every route requires an authenticated Airflow user (the UI's session cookie or a bearer
token, through the API server's own ``get_user``); an anonymous request gets 401. The page reads
the sync config and the ``nmbrs_sync`` ledger (read-only transactions) and asks Nmbrs for the
live period and, on request, the permission report. It never renders a token or password.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from nmbrs_provider.ui import live, queries
from nmbrs_provider.ui.templates import render

URL_PREFIX = "/nmbrs"
#: The DAG that syncs companies of each period type (as dags/nmbrs_payroll_sync.py names them).
DAG_IDS = {"M": "nmbrs_payroll_sync", "4W": "nmbrs_payroll_sync_4w", "W": "nmbrs_payroll_sync_w"}


def _get_user_dependency() -> Any:
    from airflow.api_fastapi.core_api.security import get_user

    return Depends(get_user)


def _server_context() -> None:
    """Like ``airflow connections test``: a request served by the API server reads connections
    from the metadata database too. Set per request, not on import: every Airflow process
    (task runners included) imports the plugin."""
    os.environ.setdefault("_AIRFLOW_PROCESS_CONTEXT", "server")


app = FastAPI(
    title="Nmbrs payroll",
    dependencies=[_get_user_dependency(), Depends(_server_context)],
    docs_url=None,
    redoc_url=None,
    openapi_url=None,
)


class PageProblem(Exception):
    """The config or the warehouse is not usable; shown as a message."""


def _config() -> Any:
    from nmbrs_provider.core.config import load_config
    from nmbrs_provider.sync import settings

    try:
        return load_config(settings.find_config())
    except Exception as exc:  # shown on the page
        raise PageProblem(f"The sync config cannot be read: {exc}") from exc


@contextmanager
def _ledger(config: Any) -> Iterator[Any]:
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    try:
        conn = PostgresHook(postgres_conn_id=config.warehouse_conn_id).get_conn()
    except Exception as exc:  # shown on the page, without the DSN
        raise PageProblem(
            f"The warehouse connection {config.warehouse_conn_id!r} cannot be opened "
            f"({type(exc).__name__}); see the API server log."
        ) from exc
    with closing(conn):
        yield queries.read_only(conn)


def _paths(request: Request) -> dict[str, str]:
    base = request.scope.get("root_path", "").rstrip("/")
    ui_root = base[: -len(URL_PREFIX)] if base.endswith(URL_PREFIX) else ""
    return {"base": base, "ui_root": ui_root}


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(template, **_paths(request), **context), status_code=status_code)


def _problem(request: Request, exc: PageProblem) -> HTMLResponse:
    return _page(request, "error", 503, title="Nmbrs payroll", message=str(exc))


@app.get("/", response_class=HTMLResponse)
def companies(request: Request) -> HTMLResponse:
    """Linked companies: config, live Nmbrs period and the last ledger run of each."""
    try:
        config = _config()
    except PageProblem as exc:
        return _problem(request, exc)
    conn_ids = list(dict.fromkeys(c.nmbrs_conn_id for c in config.companies))
    views = live.connections(conn_ids)
    problem, last = None, {}
    try:
        with _ledger(config) as conn:
            if queries.ledger_exists(conn):
                last = queries.last_runs(conn, [c.company_id for c in config.companies])
            else:
                problem = "No sync has run yet: the ledger (schema nmbrs_sync) does not exist."
    except PageProblem as exc:
        problem = str(exc)
    rows = []
    for company in config.companies:
        view = views[company.nmbrs_conn_id]
        name, period = view.companies.get(company.company_id, (None, None))
        error = view.error or (
            None if period else "Not visible to this API user (check the company id)."
        )
        rows.append(
            {
                "company_id": company.company_id,
                "name": name,
                "conn_id": company.nmbrs_conn_id,
                "login": view.login,
                "api": view.api,
                "period_type": company.period_type.value,
                "current_period": period,
                "live_error": error,
                "dag_id": DAG_IDS.get(company.period_type.value, ""),
                "last_run": last.get(company.company_id),
            }
        )
    return _page(request, "companies", companies=rows, conn_ids=conn_ids, problem=problem)


@app.get("/history", response_class=HTMLResponse)
def history(
    request: Request,
    company: str = Query(..., max_length=64, pattern=r"^[0-9A-Za-z-]+$"),
    period: str | None = None,
    offset: int = Query(0, ge=0),
) -> HTMLResponse:
    """Every run of a company (optionally one period), with attempts and the balance check."""
    try:
        config = _config()
        with _ledger(config) as conn:
            if not queries.ledger_exists(conn):
                raise PageProblem("No sync has run yet: the ledger does not exist.")
            page = queries.history(conn, company, period=(period or "").strip(), offset=offset)
    except PageProblem as exc:
        return _problem(request, exc)
    return _page(request, "history", company_id=company, period=period, page=page)


@app.get("/run", response_class=HTMLResponse)
def run(
    request: Request,
    run_id: str = Query(..., alias="id"),
    sent_offset: int = Query(0, ge=0),
    plan_offset: int = Query(0, ge=0),
) -> HTMLResponse:
    """One run: its balance, exclusions by reason, dry-run diff and lines sent."""
    try:
        config = _config()
        with _ledger(config) as conn:
            found = queries.run(conn, run_id) if queries.ledger_exists(conn) else None
            if found is None:
                return _page(
                    request, "error", 404, title="Run not found", message=f"No run {run_id!r}."
                )
            context = {
                "run": found,
                "exclusions": queries.exclusions(conn, run_id),
                "sent": queries.sent_lines(conn, run_id, offset=sent_offset),
                # The plan diff is shown for dry runs only (a real run's lines say what it did).
                "plan": queries.plan_lines(conn, run_id, offset=plan_offset)
                if found["dry_run"]
                else None,
            }
    except PageProblem as exc:
        return _problem(request, exc)
    if found["company_id"] is not None:
        context["company_id"] = found["company_id"]
    return _page(request, "run", **context)


def _connection_access() -> Any:
    from airflow.api_fastapi.core_api.security import requires_access_connection

    return Depends(requires_access_connection("GET"))


@app.post(
    "/check/{connection_id}", response_class=HTMLResponse, dependencies=[_connection_access()]
)
def check(request: Request, connection_id: str) -> HTMLResponse:
    """The permission report of ``python -m nmbrs_provider check`` for one connection: SOAP
    permissions of the API user, or REST scopes of the grant and endpoints answering 403."""
    from nmbrs_provider.rest.errors import authorize_command

    report, error = live.permission_report(connection_id)
    found = report.as_dict() if report is not None else None
    return _page(
        request,
        "check",
        conn_id=connection_id,
        report=found,
        error=error,
        rest=bool(found and found.get("api") == "rest"),
        authorize=authorize_command(connection_id),
    )
