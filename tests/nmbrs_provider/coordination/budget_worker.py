"""A process that paces calls on a lease, as a company task would, and reports them.

``python -m tests.nmbrs_provider.coordination.budget_worker CONNECT_JSON ACCOUNT RATE SECONDS``
joins ACCOUNT's budget (RATE calls/s) in the warehouse, prints ``joined``, then for SECONDS
(forever when negative) "sends" calls as fast as its pacer lets it, from 4 threads, printing
``call <monotonic time>`` for each and ``share <n>`` whenever its share changes.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import psycopg2

from nmbrs_provider.coordination.scope import shared_call_budgets


def main() -> None:
    connect_kwargs, account, rate, seconds = (
        json.loads(sys.argv[1]),
        sys.argv[2],
        float(sys.argv[3]),
        float(sys.argv[4]),
    )
    out = threading.Lock()

    def say(line: str) -> None:
        with out:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    with shared_call_budgets(lambda: psycopg2.connect(**connect_kwargs), "budget-worker"):
        from nmbrs_provider.soap.pacing import account_pacer

        pacer = account_pacer(account, rate)
        say("joined")
        end = time.monotonic() + seconds if seconds >= 0 else float("inf")
        stop = threading.Event()

        def caller() -> None:
            while not stop.is_set() and time.monotonic() < end:
                pacer.wait()
                say(f"call {time.monotonic():.6f}")

        def watch() -> None:
            last = None
            while not stop.is_set():
                if pacer.share != last:
                    last = pacer.share
                    say(f"share {last} {time.monotonic():.6f}")
                time.sleep(0.02)

        threads = [threading.Thread(target=caller) for _ in range(4)]
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
    say("released")


if __name__ == "__main__":
    main()
