"""End to end: the OpenLineage events and StatsD metrics of a real ``airflow dags test`` run.

One November run of the demo world with OpenLineage's file transport and Airflow's StatsD
client pointed at a UDP socket of this process on 127.0.0.1 (tags in the InfluxDB format).
The account is paced at 20 calls per second, so calls wait for their slot, and one
``HourComponentVar_Get`` answers HTTP 503 once, so one call is retried. What the events and
metrics say is checked against the ledger and the sandbox's call log.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from nmbrs_provider.core.exclusions import REASONS
from tests.dags.sync_world import EVENTS, HORECA, SyncRun, SyncWorld, own_world
from tests.nmbrs_provider.conftest import DEMO_USER, nmbrs_conn_json

pytestmark = pytest.mark.slow

PREFIX = "airflow.nmbrs_sync."
RETRIED = "HourComponentVar_Get"


@dataclass(frozen=True)
class Datagram:
    """One StatsD line: ``name,tag=value,...:value|type``."""

    name: str
    tags: dict[str, str]
    value: float
    type: str

    @classmethod
    def parse(cls, line: str) -> Datagram:
        head, _, rest = line.rpartition(":")
        name, *pairs = head.split(",")
        value, type_, *_ = rest.split("|")
        return cls(name, dict(p.split("=", 1) for p in pairs), float(value), type_)


class StatsdListener:
    """A UDP socket on 127.0.0.1 that keeps every StatsD line it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.lines: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                continue
            self.lines += data.decode("utf-8", "replace").splitlines()

    def ours(self) -> list[Datagram]:
        return [Datagram.parse(line) for line in list(self.lines) if line.startswith(PREFIX)]

    def wait_for(self, name: str, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while sum(d.name == PREFIX + name for d in self.ours()) < count:
            assert time.monotonic() < deadline, f"no {count} {name} metrics: {self.lines[-50:]}"
            time.sleep(0.1)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.sock.close()


@dataclass
class Observed:
    world: SyncWorld
    run: SyncRun
    events: list[dict[str, Any]]
    metrics: list[Datagram]


@pytest.fixture(scope="module")
def observed(warehouse, airflow_env, tmp_path_factory) -> Iterator[Observed]:
    tmp = tmp_path_factory.mktemp("observed")
    events_file = tmp / "openlineage" / "events.jsonl"
    events_file.parent.mkdir()
    listener = StatsdListener()
    try:
        with own_world(warehouse, airflow_env, tmp) as world:
            world.env.update(
                {
                    "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
                        {"type": "file", "log_file_path": str(events_file), "append": True}
                    ),
                    "AIRFLOW__OPENLINEAGE__NAMESPACE": "nmbrs_sync_test",
                    "AIRFLOW__METRICS__STATSD_ON": "True",
                    "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
                    "AIRFLOW__METRICS__STATSD_PORT": str(listener.port),
                    "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
                    "AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED": "True",
                    "AIRFLOW_CONN_NMBRS_DEFAULT": nmbrs_conn_json(
                        world.sandbox.url, *DEMO_USER, calls_per_second=20
                    ),
                }
            )
            world.sandbox.inject(operation=RETRIED, kind="http_503", times=1)
            run = world.run()
            assert run.process.returncode == 0, run.describe()
            listener.wait_for("runs", 2)
            events = [json.loads(line) for line in events_file.read_text("utf-8").splitlines()]
            yield Observed(world, run, events, listener.ours())
    finally:
        listener.close()


def _company_events(observed: Observed, event_type: str) -> dict[int, dict[str, Any]]:
    found = {}
    for event in observed.events:
        if event["eventType"] == event_type and event["job"]["name"].endswith(".sync_company"):
            facet = event["run"]["facets"]["nmbrs_payroll_sync"]
            found[facet["company_id"]] = event
    return found


def test_openlineage_events_name_the_tables_read_and_the_nmbrs_hours_written(observed):
    runs = observed.world.company_runs(observed.run)
    events = _company_events(observed, "COMPLETE")
    assert set(events) == {HORECA, EVENTS}, [e["job"]["name"] for e in observed.events]
    db = observed.world.db
    warehouse = f"postgres://{db.host}:{db.port or 5432}"
    for company_id, event in events.items():
        inputs = {(d["namespace"], d["name"]) for d in event["inputs"]}
        assert inputs == {
            (warehouse, f"{db.dbname}.keeping.time_entries"),
            (warehouse, f"{db.dbname}.keeping.users"),
        }
        outputs = [(d["namespace"], d["name"]) for d in event["outputs"]]
        assert outputs == [("nmbrs://demo", f"company/{company_id}/hours/2026-11-M")]
        facet = event["run"]["facets"]["nmbrs_payroll_sync"]
        ledger = runs[company_id]
        assert facet["status"] == ledger["status"] == "succeeded"
        for key in ("hours_read", "hours_sent", "hours_excluded"):
            assert Decimal(str(facet[key])) == ledger[key], key
        assert facet["employees_written"] == ledger["employees_written"]
        assert facet["employees_unchanged"] == ledger["employees_unchanged"]
        assert facet["excluded_by_reason"] == _excluded_by_reason(observed, ledger["run_id"])
        assert facet["hours_read"] > 0 and facet["excluded_by_reason"]


def _excluded_by_reason(observed: Observed, run_id: str) -> dict[str, float]:
    rows = observed.world.db.query_dicts(
        "select reason, sum(hours) as hours from nmbrs_sync.excluded_hours"
        " where run_id = %s group by reason",
        (run_id,),
    )
    return {r["reason"]: float(round(r["hours"], 2)) for r in rows}


def _by_name(observed: Observed, name: str, **tags: str) -> list[Datagram]:
    return [
        d
        for d in observed.metrics
        if d.name == PREFIX + name and all(d.tags.get(k) == v for k, v in tags.items())
    ]


def _one(observed: Observed, name: str, **tags: str) -> Datagram:
    (found,) = _by_name(observed, name, **tags)
    return found


def test_statsd_metrics_of_each_company_run(observed):
    runs = observed.world.company_runs(observed.run)
    assert set(runs) == {HORECA, EVENTS}
    for company_id, ledger in runs.items():
        tags = {"company_id": str(company_id), "status": "succeeded"}
        assert _one(observed, "runs", **tags).value == 1
        assert _one(observed, "runs", **tags).type == "c"
        for name in ("hours_read", "hours_sent", "employees_written", "employees_unchanged"):
            gauge = _one(observed, name, **tags)
            assert (gauge.type, Decimal(str(gauge.value))) == ("g", ledger[name]), name
        excluded = {d.tags["reason"]: d.value for d in _by_name(observed, "hours_excluded", **tags)}
        expected = _excluded_by_reason(observed, ledger["run_id"])
        assert excluded == {reason: expected.get(reason, 0.0) for reason in REASONS}
        assert sum(excluded.values()) == pytest.approx(float(ledger["hours_excluded"]))
        duration = _one(observed, "run_duration", **tags)
        assert duration.type == "ms" and duration.value > 0
        waits = _one(observed, "throttle_waits", **tags)
        calls = sum(d.value for d in _by_name(observed, "nmbrs_calls", **tags))
        assert waits.type == "c" and 1 <= waits.value <= calls
        assert _one(observed, "throttle_wait_time", **tags).value > 0


def test_nmbrs_calls_and_retries_by_operation_match_the_sandbox_log(observed):
    sent = Counter()
    for d in _by_name(observed, "nmbrs_calls"):
        assert d.tags["company_id"] in {str(HORECA), str(EVENTS)} and d.type == "c"
        sent[(d.tags["service"], d.tags["operation"])] += int(d.value)
    logged = Counter((c["service"], c["operation"]) for c in observed.run.calls)
    assert sent == logged
    retries = {
        (d.tags["service"], d.tags["operation"]): d.value for d in _by_name(observed, "retries")
    }
    injected = [c for c in observed.run.calls if c["injected"] == "http_503"]
    assert [c["operation"] for c in injected] == [RETRIED]
    assert retries == {("EmployeeService", RETRIED): 1}


def test_every_metric_is_under_the_documented_prefix_and_in_the_readme(observed):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    names = {d.name for d in observed.metrics}
    assert names, "no metric of the sync arrived"
    for name in names:
        assert f"`{name.removeprefix('airflow.')}`" in readme, name
