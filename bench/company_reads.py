"""CPU of one company's company-wide reads, read by zeep and as plain values.

``python -m bench.company_reads [--employees 2500] [--rounds 5]``: one sandbox process serves a
company of that many employees; this process calls ``read_company`` (the five company-wide
reads side by side and the hour codes, then the contract facts), alternately with the
company-wide answers read by zeep's value objects and as plain values
(``nmbrs_provider.soap.plain_reply``), and prints the client's CPU seconds of each (the
median of the rounds) and their ratio, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time


def measure(employees: int, rounds: int) -> dict[str, float]:
    from bench.account_servers import account_servers
    from bench.scale_out import DOMAIN, PERIOD, scenario, user
    from bench.scenario import generate
    from nmbrs_provider.core.periods import PayrollPeriod
    from nmbrs_provider.hooks.nmbrs import NmbrsHook
    from nmbrs_provider.soap import client as soap_client
    from nmbrs_provider.soap.company_read import read_company

    bench = generate(employees, 1, 1)
    with account_servers([scenario(bench, 1, only=0)], bench.desired, latency_ms=0) as servers:
        conn_id, username, token = user(0)
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(
            {
                "conn_type": "nmbrs", "login": username, "password": token,
                "host": servers[0].url, "extra": {"domain": DOMAIN, "calls_per_second": 1000},
            }
        )  # fmt: skip
        hook = NmbrsHook(conn_id)
        company_id, period = bench.company_ids[0], PayrollPeriod.parse(PERIOD)
        plain = soap_client.PLAIN_READS
        results: dict[str, list[float]] = {"zeep": [], "plain values": []}
        facts = {}
        for _ in range(rounds + 1):  # the first round warms the WSDL and the plans up
            for label, reads in (("zeep", frozenset()), ("plain values", plain)):
                soap_client.PLAIN_READS = reads
                started = time.process_time()
                facts[label] = read_company(hook, company_id, period)
                results[label].append(time.process_time() - started)
        soap_client.PLAIN_READS = plain
        if facts["zeep"] != facts["plain values"]:
            raise AssertionError("the two readings gave different contract facts")
    return {label: statistics.median(times[1:]) for label, times in results.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.company_reads", description=__doc__)
    parser.add_argument("--employees", type=int, default=2_500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    cpu = measure(args.employees, args.rounds)
    print(f"company-wide reads of one company of {args.employees:,} employees, client CPU:")
    print("| read by | CPU (s) |\n|---|---:|")
    for label, seconds in cpu.items():
        print(f"| {label} | {seconds:.2f} |")
    print(f"plain values / zeep: {cpu['plain values'] / cpu['zeep']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
