"""One measured client run in its own process (so its peak RSS is the client's alone).

``python -m bench.runner {baseline,project,rest} EMPLOYEES COMPANIES SEED [LOAD_JSON]``
regenerates the scenario, talks to the sandbox named by ``AIRFLOW_CONN_BENCH_NMBRS`` (``rest``:
the project on ``AIRFLOW_CONN_BENCH_NMBRS_REST``) and prints
one JSON line: ``{"mode", "wall_s", "peak_rss_kib", "employees"}``. ``LOAD_JSON`` holds the
config's ``load`` settings for the project. ``python -m bench`` starts it.
"""

from __future__ import annotations

import json
import sys
import time

from bench.memory import peak_rss_kib

CONN_ID = "bench_nmbrs"


def main(argv: list[str]) -> int:
    mode, employees, companies, seed = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    from bench.baseline import run_baseline
    from bench.scenario import PERIOD, generate
    from bench.sync_load import run_project
    from nmbrs_provider.core.config import LoadConfig
    from nmbrs_provider.core.periods import PayrollPeriod

    bench = generate(employees, companies, seed)
    period = PayrollPeriod.parse(PERIOD)
    load = LoadConfig(**json.loads(argv[4])) if len(argv) > 4 else LoadConfig()
    started = time.perf_counter()
    if mode == "baseline":
        handled = run_baseline(CONN_ID, bench, period)
    elif mode == "rest":
        from bench.rest_load import REST_CONN_ID

        handled = run_project(REST_CONN_ID, bench, period, load, api="rest")
    else:
        handled = run_project(CONN_ID, bench, period, load)
    wall = time.perf_counter() - started
    peak_kib = peak_rss_kib()
    print(json.dumps({"mode": mode, "wall_s": wall, "peak_rss_kib": peak_kib,
                      "employees": handled}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
