"""The two Nmbrs APIs for the reliability and security proofs: one test body, either API.

:data:`SOAP` and :data:`REST` name each API's write and read operations as the sandbox's call
log shows them, and :meth:`Api.connect` puts every demo company of the sync on a sandbox
through that API: for SOAP the ``nmbrs_default`` connection, for REST an ``nmbrs_rest``
connection per sandbox (authorized once by the demo user, its grant encrypted in the test's
warehouse) and a sync config naming each company by its REST UUID on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from dev.local_warehouse import Database
from nmbrs_sandbox import Sandbox
from nmbrs_sandbox.rest.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from nmbrs_sandbox.rest.ids import company_uuid
from tests.airflow_fixtures import ROOT
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json
from tests.nmbrs_provider.rest.conftest import authorize_in_process, rest_conn_json

DEMO_CONFIG = ROOT / "include" / "nmbrs_sync.yaml"
DEMO_COMPANIES = (54613, 54614)


@dataclass(frozen=True)
class Api:
    """One Nmbrs API as the sync uses it, named the way the sandbox's call log names it."""

    name: str
    insert: str  # creates hour components
    days: str  # sets days worked
    delete: str  # deletes one hour component
    read: str  # reads an employee's hour components
    update: str | None  # sets a held component's hours (REST's PUT; SOAP deletes and inserts)
    #: REST makes one write per employee and component; SOAP sends a company's in one batch
    per_employee: bool

    def __str__(self) -> str:
        return self.name

    @property
    def writes(self) -> frozenset[str]:
        return frozenset(op for op in (self.insert, self.days, self.delete, self.update) if op)

    def company_id(self, company: int) -> str:
        """The company's id as the ledger records it."""
        return company_uuid(company) if self.name == "rest" else str(company)

    def connect(
        self,
        airflow_env: Mapping[str, str],
        sandbox: Sandbox,
        warehouse_db: Database,
        tmp_path: Path,
        *,
        client: tuple[str, str] = (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        config: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, str]:
        """The environment for ``airflow dags test`` with every demo company on ``sandbox``.

        ``extra`` goes into the Nmbrs connection's extras (``timeout``, ``max_concurrency``,
        ``subscription_key``...); ``config`` replaces top-level keys of the demo sync config.
        REST authorizes the connection right away, with the sandbox's faults and throttle off
        meanwhile (they are the run's, not the setup's), then resets its call log.
        """
        env = dict(airflow_env)
        env["AIRFLOW_CONN_KEEPING_WAREHOUSE"] = warehouse_db.airflow_conn_json()
        sync = yaml.safe_load(DEMO_CONFIG.read_text("utf-8"))
        sync.update(config or {})
        if self.name == "soap":
            env["AIRFLOW_CONN_NMBRS_DEFAULT"] = nmbrs_conn_json(sandbox.url, *DEMO_USER, **extra)
        else:
            conn_id = f"nmbrs_rest_{sandbox.url.rsplit(':', 1)[1]}"  # one grant per sandbox
            conn = rest_conn_json(sandbox.url, client=client, **extra)
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = conn
            env.setdefault("NMBRS_TOKEN_KEY", token_key(warehouse_db))
            _authorize(env, conn_id, sandbox)
            for company in sync["companies"]:
                company.update(
                    company_id=company_uuid(company["company_id"]), nmbrs_conn_id=conn_id
                )
        path = tmp_path / f"nmbrs_sync_{self.name}_{sandbox.url.rsplit(':', 1)[1]}.yaml"
        path.write_text(yaml.safe_dump(sync, sort_keys=False), "utf-8")
        env["NMBRS_SYNC_CONFIG"] = str(path)
        env["NMBRS_SQL_DIR"] = str(ROOT / "include" / "sql")
        return env


SOAP = Api(
    "soap",
    insert="HourComponentVar_Insert_Batch",
    days="DaysVar_Set_Batch",
    delete="HourComponent_Delete",
    read="HourComponentVar_Get",
    update=None,
    per_employee=False,
)
REST = Api(
    "rest",
    insert="createVariableHourComponent",
    days="CreateVariableWorkedDays",
    delete="deleteEmployeeHours",
    read="getVariableHourComponentsByEmployee",
    update="updateEmployeeVariableHours",
    per_employee=True,
)
APIS = (SOAP, REST)
#: ``@pytest.mark.parametrize("api", APIS, ids=API_IDS)``
API_IDS = [api.name for api in APIS]

_KEYS: dict[str, str] = {}  # one token key per warehouse database (its grants share it)


def token_key(warehouse_db: Database) -> str:
    """The ``NMBRS_TOKEN_KEY`` the grants in ``warehouse_db`` are encrypted with."""
    return _KEYS.setdefault(warehouse_db.airflow_conn_json(), Fernet.generate_key().decode())


def _authorize(env: Mapping[str, str], conn_id: str, sandbox: Sandbox) -> None:
    """The loopback authorization, in this process, under ``env``'s connections and key."""
    knobs = sandbox.knobs()
    sandbox.set_knobs(fault_rate=0.0, rest_throttle_limit=0, subscription_key=None)
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                if name.startswith(("AIRFLOW_CONN_", "NMBRS_TOKEN_KEY")):
                    patch.setenv(name, value)
            authorize_in_process(conn_id, sandbox)
    finally:
        sandbox.set_knobs(
            fault_rate=knobs["fault_rate"],
            rest_throttle_limit=knobs["rest_throttle_limit"],
            subscription_key=knobs["subscription_key"],
        )
    sandbox.reset()  # the call log starts with the runs; grants and tokens survive


def rest_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The REST API calls of a call log (identity calls aside)."""
    return [c for c in calls if c["service"] == "REST"]
