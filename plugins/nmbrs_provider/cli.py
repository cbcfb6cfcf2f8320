"""Command line: list the companies a token sees, and check its API permissions.

    python -m nmbrs_provider companies --conn-id nmbrs_default [--json | --yaml]
    python -m nmbrs_provider check --conn-id nmbrs_default [--json]
    python -m nmbrs_provider authorize --conn-id nmbrs_rest_default [--port 8250] [--no-browser]

Exit status of ``check``: 0 all required permissions granted, 1 some missing, 2 the connection
or its credentials are refused (the message says which part to correct), 3 Nmbrs unreachable.
``authorize`` (REST connections: obtain and store the OAuth grant once) exits 0 when stored, 2
when refused or not completed, 3 when the identity server is unreachable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nmbrs_provider.exceptions import (
    NmbrsAuthenticationError,
    NmbrsConfigurationError,
    NmbrsError,
    NmbrsTransientError,
)

if TYPE_CHECKING:
    from nmbrs_provider.permissions import PermissionReport

EXIT_OK, EXIT_MISSING, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    # Like `airflow connections test`: find connections in the metadata database too,
    # not only in AIRFLOW_CONN_* variables and secrets backends.
    os.environ.setdefault("_AIRFLOW_PROCESS_CONTEXT", "server")
    try:
        # Airflow logs to stdout; keep stdout for the answer alone (scripts parse --json).
        with contextlib.redirect_stdout(sys.stderr):
            if args.command == "authorize":
                status, output = _authorize(args)
            else:
                hook = _hook(args.conn_id)
                if args.command == "companies":
                    status, output = _companies(hook, as_json=args.json, as_yaml=args.yaml)
                else:
                    status, output = _check(hook, as_json=args.json)
        print(output)
        return status
    except (NmbrsConfigurationError, NmbrsAuthenticationError) as exc:
        return _fail(EXIT_REFUSED, exc, as_json=args.json)
    except NmbrsTransientError as exc:
        return _fail(EXIT_UNREACHABLE, exc, as_json=args.json)
    except NmbrsError as exc:
        return _fail(EXIT_REFUSED, exc, as_json=args.json)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nmbrs_provider", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("companies", "list the companies the API user can see, with their current period"),
        ("check", "report the API permissions the sync needs that the API user lacks"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("--conn-id", default="nmbrs_default", help="Airflow connection id")
        formats = command.add_mutually_exclusive_group()
        formats.add_argument("--json", action="store_true", help="print JSON")
        if name == "companies":
            formats.add_argument(
                "--yaml", action="store_true", help="print entries for the sync config"
            )
    authorize = commands.add_parser(
        "authorize",
        help="authorize an Nmbrs (REST) connection once: log in, consent, store the grant",
        description="Run the OAuth authorization code flow (PKCE) for an nmbrs_rest connection: "
        "open the printed URL, log in and consent; the redirect to the loopback address (or the "
        "redirect URL pasted here) completes it. The refresh token is stored encrypted in the "
        "warehouse; it is never printed.",
    )
    authorize.add_argument("--conn-id", default="nmbrs_rest_default", help="Airflow connection id")
    authorize.add_argument(
        "--port",
        type=int,
        default=8250,
        help="port of the redirect URI http://127.0.0.1:<port>/callback (default 8250)",
    )
    authorize.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a browser: open the URL anywhere and paste the redirect URL here",
    )
    authorize.set_defaults(json=False)
    return parser


def _authorize(args: argparse.Namespace) -> tuple[int, str]:
    from nmbrs_provider.rest.authorize import run

    return EXIT_OK, run(args.conn_id, port=args.port, open_browser=not args.no_browser)


def _hook(conn_id: str) -> Any:
    """The connection's hook: ``NmbrsHook`` (SOAP) or ``NmbrsRestHook`` by its type."""
    from nmbrs_provider.backends import backend_for

    hook: Any = backend_for(conn_id)
    hook.settings  # noqa: B018 - validate before any call (an undefined connection included)
    return hook


def _companies(hook: Any, *, as_json: bool, as_yaml: bool = False) -> tuple[int, str]:
    rows = [
        {
            "id": cp.company.id,
            "number": cp.company.number,
            "name": cp.company.name,
            "period_type": cp.period.type.value,
            "year": cp.period.year,
            "period": cp.period.number,
            "current_period": str(cp.period),
            "start": cp.period.start.isoformat(),
            "end": cp.period.end.isoformat(),
        }
        for cp in hook.list_company_periods()
    ]
    if as_json:
        return EXIT_OK, json.dumps(rows, indent=2)
    if as_yaml:
        return EXIT_OK, config_entries(rows, hook.nmbrs_conn_id, _username(hook))
    columns = ["id", "number", "name", "period_type", "current_period", "start", "end"]
    return EXIT_OK, _table(rows, columns) if rows else "No companies visible to this API user."


def config_entries(rows: list[dict[str, Any]], conn_id: str, username: str) -> str:
    """A ``companies:`` block for the sync config, one entry per company of ``rows``.

    Each entry has the company id, its period type and the connection; its routing selector
    is left empty with a comment saying what to fill in (the config refuses a company that
    routes no hours).
    """
    lines = [
        f"# Nmbrs companies API user {_comment(username)} sees through connection {conn_id}.",
        "# Paste the ones to sync under companies: in the sync config, then give each at least",
        "# one selector: the Keeping organisations (or users, projects, tasks) whose hours go",
        "# to it, or default: true for the one company that takes every other hour.",
        "companies:" if rows else "companies: []  # no company is visible to this API user",
    ]
    for r in rows:
        lines += [
            f"  - company_id: {_company_id(r['id'])}  # {_comment(r['name'])}"
            f" (number {r['number']}),"
            f" current period {r['current_period']}",
            f"    nmbrs_conn_id: {_scalar(conn_id)}",
            f"    period_type: {_scalar(r['period_type'])}",
            "    organisations: []  # Keeping organisation ids: fill in (or users, projects,"
            " tasks)",
        ]
    return "\n".join(lines)


def _username(hook: Any) -> str:
    """Who the connection calls as: the SOAP API user, or the REST app's OAuth client id."""
    settings = hook.settings
    return getattr(settings, "username", None) or getattr(settings, "client_id", "")


def _company_id(value: Any) -> str:
    """A SOAP id as its number, a REST UUID quoted (YAML reads it back as text either way)."""
    return str(int(value)) if isinstance(value, int) else json.dumps(str(value))


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when it reads back as itself, else quoted."""
    import yaml

    plain = re.fullmatch(r"[\w.-]+", text) and yaml.safe_load(text) == text
    return text if plain else json.dumps(text)


def _comment(text: Any) -> str:
    """``text`` on one line, safe inside a YAML comment (names come from Nmbrs users)."""
    printable = "".join(c if c.isprintable() else " " for c in str(text))
    return " ".join(printable.split()) or "(no name)"


def _check(hook: Any, *, as_json: bool) -> tuple[int, str]:
    report = hook.permission_report()
    missing = report.missing or getattr(report, "forbidden", None)
    status = EXIT_OK if report.ok else (EXIT_UNREACHABLE if not missing else EXIT_MISSING)
    if as_json:
        return status, json.dumps(report.as_dict(), indent=2)
    render = getattr(report, "render", None)  # the REST report speaks scopes and endpoints
    return status, render(hook.nmbrs_conn_id) if render else render_report(report)


def render_report(report: PermissionReport) -> str:
    """A readable permission report."""
    from nmbrs_provider.permissions import PERMISSIONS

    needed_for = {p.name: p.needed_for for p in PERMISSIONS}
    lines = [f"API user {report.username}: {len(report.granted)} of {len(PERMISSIONS)} "
             "permissions granted."]  # fmt: skip
    if report.missing:
        lines.append("Missing (the sync cannot run without them):")
        lines += [f"  - {name}  ({needed_for[name]})" for name in report.missing]
    if report.optional_missing:
        lines.append("Missing, optional (the sync works around them):")
        lines += [f"  - {name}  ({needed_for[name]})" for name in report.optional_missing]
    if report.unchecked:
        lines.append("Could not be checked (Nmbrs did not answer):")
        lines += [f"  - {name}: {why}" for name, why in report.unchecked.items()]
    if report.missing or report.optional_missing:
        lines.append("Fix: in Nmbrs, tick these operations in the API user's template.")
    if report.ok:
        lines.append("All required permissions are granted.")
    return "\n".join(lines)


def _fail(status: int, exc: Exception, *, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}, indent=2))
    print(f"error: {exc}", file=sys.stderr)
    return status


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    head = "  ".join(c.ljust(widths[c]) for c in columns)
    body = ["  ".join(str(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join([head, "  ".join("-" * widths[c] for c in columns), *body])
