"""A period run, succeeding or failing, leaves the Nmbrs token and the warehouse password in no
log, XCom, rendered field, ledger row, exception or other file. On REST the same holds for the
OAuth client secret, the subscription key and every access and refresh token the run used or
was given (a refresh mid-run included), and the stored grant keeps its tokens encrypted.

Failing runs are the ones most likely to leak: an exception, a retry message or a fault text
quoting the request. Each case below fails the run for real (the sandbox refuses the token,
lacks a permission, protects the period or drops every call) and the call log shows it did.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from dev.local_warehouse import Database, seed_demo
from nmbrs_sandbox import Sandbox
from nmbrs_sandbox.rest.config import DEMO_REDIRECT_URIS
from nmbrs_sandbox.scenario import DEMO_PATH
from tests.airflow_fixtures import ROOT, run_airflow
from tests.nmbrs_provider.conftest import nmbrs_conn_json
from tests.reliability.apis import DEMO_CONFIG, REST, SOAP, Api

TOKEN = "LEAK-CANARY-7f3a9c2e41"
PASSWORD = "PG-CANARY-b81d55e0c9"  # the test server trusts loopback, so any password works
CLIENT_ID = "leak-test-client"
CLIENT_SECRET = "CLIENT-CANARY-3e9b7d1a66"
SUBSCRIPTION_KEY = "SUBKEY-CANARY-a4c08e5f27"
USERNAME = "demo@example.com"
HORECA = 54613
ANNA = 500001
TRANSIENT = ["http_503", "http_503_after_apply", "reset", "fault_1006"]  # no timeouts: quick
Calls = list[dict[str, Any]]


def _protect_the_period_mid_write(sandbox: Sandbox) -> None:
    """Close November in Nmbrs while the first real insert is in flight: it is lost, and the
    client's resend meets a protected period (SOAP fault 2011, REST 400 40040)."""
    assert sandbox.wait_for_held(600), "the insert never came"
    sandbox.set_current_period(HORECA, 2026, 12)
    sandbox.release_held()


def _revoke_the_grant(sandbox: Sandbox, warehouse_db: Database) -> None:
    """The user revoked the app's access in Nmbrs; the stored access token has expired."""
    sandbox.auth.revoke_grants(username=USERNAME)
    warehouse_db.execute("update nmbrs_sync.oauth_grant set access_expires_at = now()")


def _expire_the_access_token(sandbox: Sandbox, warehouse_db: Database) -> None:
    """Nmbrs no longer takes the stored access token (the store still thinks it good): the
    run's first call gets 401 and the task refreshes mid-run."""
    sandbox.auth.expire_access_tokens()


@dataclass(frozen=True)
class Case:
    """How a run goes: the account Nmbrs knows, sandbox knobs, what happens meanwhile."""

    account_token: str = TOKEN  # SOAP: the connection always sends TOKEN
    permissions: Any = "all"
    knobs: dict[str, Any] = field(default_factory=dict)
    hold: tuple[str, int] | None = None  # (operation, calls let through first)
    before: Callable[[Sandbox, Database], None] | None = None  # after connecting, before the run
    during: Callable[[Sandbox], None] | None = None
    fails: bool = True
    recorded: bool = True  # the company's run reaches the ledger (with its error)
    #: the sandbox's call log shows the run really failed as meant
    happened: Callable[[Calls], bool] = lambda calls: True


def _faulted(code: int, *, probe: bool) -> Callable[[Calls], bool]:
    def check(calls: Calls) -> bool:
        hits = [c for c in calls if c["fault_code"] == code]
        if probe:
            return bool(hits)
        return any(set(c["employee_ids"]) - {0} for c in hits)  # not a permission probe

    return check


def _storm(attempts: int) -> Callable[[Calls], bool]:
    """Every call failed transiently, the client's and Airflow's retries (3 tries) ran out."""
    return lambda calls: len(calls) >= 3 * attempts and all(c["injected"] for c in calls)


def _token_calls(calls: Calls, status: int) -> list[dict[str, Any]]:
    return [
        c for c in calls if c.get("grant_type") == "refresh_token" and c["http_status"] == status
    ]


SOAP_CASES = {
    "succeeds": Case(fails=False),
    # 1001: the token in the connection is not the API user's.
    "bad_credentials": Case(
        account_token="the-users-real-token", happened=_faulted(1001, probe=True)
    ),
    # 1002: the API user may not set days worked (its write-permission probe says so).
    "missing_permission": Case(
        permissions={"all_except": ["EmployeeService.DaysVar_Set_Batch"]},
        happened=_faulted(1002, probe=True),
    ),
    # 2011: the period is closed while the sync writes it.
    "protected_period": Case(
        hold=("HourComponentVar_Insert_Batch", 1),  # the first is the permission probe
        during=_protect_the_period_mid_write,
        happened=_faulted(2011, probe=False),
    ),
    # Every call fails transiently: the client's retries and then Airflow's run out.
    "transient_storm": Case(
        knobs={"fault_rate": 1.0, "fault_seed": 7, "fault_kinds": TRANSIENT, "throttle_limit": 0},
        recorded=False,  # it fails asking for the current period, before its run starts
        happened=_storm(8),
    ),
}
REST_CASES = {
    # The access token is refused mid-run (401): the task refreshes, rotating the refresh token.
    "succeeds_with_a_refresh": Case(
        fails=False,
        before=_expire_the_access_token,
        happened=lambda calls: (
            any(c["http_status"] == 401 for c in calls) and len(_token_calls(calls, 200)) == 1
        ),
    ),
    # invalid_grant: the identity server refuses the stored refresh token.
    "revoked_grant": Case(
        before=_revoke_the_grant,
        recorded=False,  # it fails asking for the current period, before its run starts
        happened=lambda calls: len(_token_calls(calls, 400)) == 1,
    ),
    # 400 40040: the period is closed while the sync POSTs it.
    "protected_period": Case(
        hold=("createVariableHourComponent", 0),  # REST has no write-permission probe
        during=_protect_the_period_mid_write,
        happened=_faulted(40040, probe=False),
    ),
    # Every call fails transiently (500, 503, resets): the client's retries and Airflow's run out.
    "transient_storm": Case(
        knobs={"fault_rate": 1.0, "fault_seed": 7, "fault_kinds": TRANSIENT},
        recorded=False,
        happened=_storm(5),
    ),
}
CASES = [
    pytest.param(api, case, id=f"{api}-{name}")
    for api, cases in ((SOAP, SOAP_CASES), (REST, REST_CASES))
    for name, case in cases.items()
]


def _scenario(case: Case) -> dict[str, Any]:
    scenario = yaml.safe_load(DEMO_PATH.read_text())
    (account,) = [a for a in scenario["accounts"] if a["username"] == USERNAME]
    account["token"] = case.account_token
    account["permissions"] = case.permissions
    return scenario


def _env(
    api: Api, airflow_env: dict[str, str], sandbox: Sandbox, warehouse_db: Database, tmp: Path
) -> dict[str, str]:
    """Acme Horeca alone on ``sandbox`` through ``api``: SOAP with TOKEN; REST with the canary
    OAuth client and subscription key, authorized once (its grant in the warehouse)."""
    config = yaml.safe_load(DEMO_CONFIG.read_text("utf-8"))
    companies = [c for c in config["companies"] if c["company_id"] == HORECA]
    if api is REST:
        sandbox.auth.register_client(CLIENT_ID, CLIENT_SECRET, DEMO_REDIRECT_URIS)
        sandbox.set_knobs(subscription_key=SUBSCRIPTION_KEY)
        env = api.connect(
            airflow_env, sandbox, warehouse_db, tmp, client=(CLIENT_ID, CLIENT_SECRET),
            config={"companies": companies}, subscription_key=SUBSCRIPTION_KEY,
        )  # fmt: skip
    else:
        env = api.connect(airflow_env, sandbox, warehouse_db, tmp, config={"companies": companies})
        env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(sandbox.url, USERNAME, TOKEN)
    warehouse_conn = json.loads(warehouse_db.airflow_conn_json())
    warehouse_conn["password"] = PASSWORD
    env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = json.dumps(warehouse_conn)
    # INFO, Airflow's default. (At DEBUG, Airflow's own supervisor echoes every secret it is
    # asked to mask, the connection password included: never run production at DEBUG.)
    env["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "INFO"
    return env


def _run(env: dict[str, str], sandbox: Sandbox, case: Case) -> subprocess.CompletedProcess[str]:
    done: dict[str, subprocess.CompletedProcess[str]] = {}
    run = threading.Thread(
        target=lambda: done.update(
            process=run_airflow(env, "dags", "test", "nmbrs_payroll_sync", "--conf",
                                json.dumps({"period": "2026-11-M"}), check=False)
        )
    )  # fmt: skip
    run.start()
    try:
        if case.during is not None:
            case.during(sandbox)
    finally:
        sandbox.release_held()  # never leave the run hanging on a held call
        run.join()
    return done["process"]


class _Grants:
    """The REST grant's tokens as stored (decrypted), gathered before and after the run."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.tokens: set[str] = set()

    def gather(self) -> None:
        from nmbrs_provider.rest.token_store import TokenStore

        with pytest.MonkeyPatch.context() as patch:
            for name, value in self.env.items():
                if name.startswith(("AIRFLOW_CONN_", "NMBRS_TOKEN_KEY")):
                    patch.setenv(name, value)
            (conn_id,) = {c["nmbrs_conn_id"] for c in _companies(self.env)}
            grant = TokenStore("keeping_warehouse").read(conn_id)
        assert grant is not None
        self.tokens |= {t for t in (grant.refresh_token, grant.access_token) if t}


def _companies(env: dict[str, str]) -> list[dict[str, Any]]:
    return yaml.safe_load(Path(env["NMBRS_SYNC_CONFIG"]).read_text("utf-8"))["companies"]


def _airflow_rows(home: Path) -> dict[str, list[str]]:
    """XComs and rendered template fields Airflow stored, as text."""
    with sqlite3.connect(f"file:{home / 'airflow.db'}?mode=ro", uri=True, timeout=30) as db:
        return {
            "xcom": [str(v) for (v,) in db.execute("select value from xcom")],
            "rendered fields": [
                str(v)
                for (v,) in db.execute("select rendered_fields from rendered_task_instance_fields")
            ],
        }


def _ledger_text(warehouse_db: Database) -> str:
    (row,) = warehouse_db.query_dicts(
        "select string_agg(t, ' ') as text from ("
        " select r::text as t from nmbrs_sync.runs r union all"
        " select s::text from nmbrs_sync.sent_lines s union all"
        " select x::text from nmbrs_sync.excluded_hours x union all"
        " select p::text from nmbrs_sync.plan_lines p) as everything"
    )
    return row["text"] or ""


@pytest.mark.parametrize(("api", "case"), CASES)
def test_a_run_never_writes_a_secret_anywhere(
    api, case, airflow_env, nmbrs_sandbox_factory, warehouse_db, tmp_path
):
    sandbox = nmbrs_sandbox_factory(_scenario(case), **case.knobs)
    seed_demo(warehouse_db)
    env = _env(api, airflow_env, sandbox, warehouse_db, tmp_path)
    secrets = {TOKEN, PASSWORD}
    grants = _Grants(env)
    if api is REST:
        secrets = {PASSWORD, CLIENT_SECRET, SUBSCRIPTION_KEY}
        grants.gather()  # the first access and refresh tokens
    if case.before is not None:
        case.before(sandbox, warehouse_db)
    if case.hold:
        operation, skip = case.hold
        sandbox.inject(operation, kind="hold", times=1, skip=skip)

    result = _run(env, sandbox, case)

    output = result.stdout + result.stderr
    assert result.returncode == (1 if case.fails else 0), output[-4000:]
    assert case.happened(sandbox.calls()), f"the run did not fail as meant\n{output[-4000:]}"
    if not case.fails:
        assert sandbox.hour_components(ANNA, 2026, 11), "the run must really have sent hours"
    runs = warehouse_db.query_dicts(
        "select status, message from nmbrs_sync.runs where company_id = %s",
        (api.company_id(HORECA),),
    )
    if case.recorded:  # with the exception's message when it failed
        assert runs and runs[-1]["status"] == ("failed" if case.fails else "succeeded"), runs
        assert runs[-1]["message"], runs
    ledger = _ledger_text(warehouse_db)
    home = Path(env["AIRFLOW_HOME"])
    stored = _airflow_rows(home)
    assert all(stored.values()), f"nothing stored to check: {stored}"
    grant_rows: list[str] = []
    if api is REST:
        grants.gather()  # the rotated ones, when the run refreshed
        secrets |= grants.tokens
        assert len(grants.tokens) >= (4 if case.before is _expire_the_access_token else 2)
        ((row, refresh_enc),) = warehouse_db.query(
            "select g::text, g.refresh_token_enc from nmbrs_sync.oauth_grant as g"
        )
        assert refresh_enc.startswith("gAAAAA"), "the refresh token is stored as Fernet text"
        grant_rows = [row]  # encrypted at rest: no token in plain text
    texts = {
        "the run's output (task logs and exceptions)": [output],
        "the ledger": [ledger],
        **{f"Airflow's {kind}": rows for kind, rows in stored.items()},
        "nmbrs_sync.oauth_grant": grant_rows,
    }
    files = [p for p in home.rglob("*") if p.is_file()]
    files += [p for p in (ROOT / "include").rglob("*") if p.is_file()]
    for number, secret in enumerate(sorted(secrets)):  # never print a secret, only where
        found = [where for where, rows in texts.items() if any(secret in r for r in rows)]
        found += [str(p) for p in files if secret.encode() in p.read_bytes()]
        assert found == [], f"secret #{number} ({len(secret)} chars) leaked into {found}"
