"""``python -m nmbrs_sandbox``: serve a scenario until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from nmbrs_sandbox.chaos import FAULT_KINDS
from nmbrs_sandbox.sandbox import Sandbox
from nmbrs_sandbox.scenario import DEMO_PATH, Scenario


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nmbrs_sandbox",
        description="A local stand-in for the Nmbrs SOAP API v3 and REST API.",
    )
    parser.add_argument("--scenario", default=str(DEMO_PATH), help="YAML/JSON scenario file")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (0: any free port)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every call")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of calls that fail")
    parser.add_argument("--seed", type=int, default=None, help="seed for the random faults")
    parser.add_argument(
        "--fault-kinds",
        default=",".join(FAULT_KINDS),
        help=f"comma-separated mix of random faults (default all: {','.join(FAULT_KINDS)})",
    )
    parser.add_argument(
        "--timeout-seconds", type=float, default=30.0, help="how long timeout faults hold a call"
    )
    parser.add_argument(
        "--subscription-key", default=None, help="require this X-Subscription-Key on /api calls"
    )
    parser.add_argument(
        "--access-token-lifetime", type=float, default=3600.0, help="seconds (REST tokens)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every call (no tokens)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    scenario = Scenario.load(args.scenario)
    sandbox = Sandbox(
        scenario,
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        fault_seed=args.seed,
        fault_kinds=tuple(kind.strip() for kind in args.fault_kinds.split(",") if kind.strip()),
        timeout_seconds=args.timeout_seconds,
        subscription_key=args.subscription_key,
        access_token_lifetime_s=args.access_token_lifetime,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with sandbox.start(args.host, args.port):
        print(f"Nmbrs sandbox listening on {sandbox.url}", flush=True)
        for name in ("CompanyService", "EmployeeService"):
            print(f"  {sandbox.url}/soap/v3/{name}.asmx?WSDL", flush=True)
        print(f"  REST: {sandbox.url}/api  identity: {sandbox.url}/connect/authorize", flush=True)
        clients = ", ".join(client.client_id for client in scenario.rest.clients)
        print(f"  REST clients: {clients}", flush=True)
        usernames = ", ".join(account.username for account in scenario.accounts)
        print(f"  accounts: {usernames}", flush=True)
        print(f"  state: {sandbox.url}/_sandbox/state  calls: {sandbox.url}/_sandbox/calls")
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
    print("Nmbrs sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
