"""DAG parse cost: what importing ``dags/nmbrs_payroll_sync.py`` costs beyond ``airflow.sdk``.

``python -m bench.dag_import [--runs N] [--json]`` imports the DAG file in fresh interpreters
that have already imported ``airflow.sdk`` (as the DAG processor has), and reports the seconds
the DAG file's import took (median of the runs), the heaviest modules it pulled in (from
``python -X importtime``, a separate run since that flag slows imports down) and whether heavy
libraries (pandas, zeep, psycopg, lxml, SQLAlchemy's ORM, ...) got imported by it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DAG_FILE = ROOT / "dags" / "nmbrs_payroll_sync.py"
DEMO_CONFIG = ROOT / "include" / "nmbrs_sync.yaml"
TARGET_SECONDS = 0.5
#: Libraries a DAG file should not need at parse time (the tasks import them).
HEAVY = (
    "pandas", "numpy", "zeep", "lxml", "psycopg2", "psycopg", "sqlalchemy", "sqlalchemy.orm",
    "requests", "httpx", "airflow.providers.postgres",
)  # fmt: skip
_MARK = "@@nmbrs-dag-import@@"

# Runs in the child: airflow.sdk first, then the DAG file as the DAG processor loads it.
_PROBE = f"""
import importlib.util, json, sys, time
import airflow.sdk
before = set(sys.modules)
sys.stderr.write("{_MARK} start\\n"); sys.stderr.flush()
began = time.perf_counter()
spec = importlib.util.spec_from_file_location("unusual_prefix_nmbrs_payroll_sync", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
seconds = time.perf_counter() - began
sys.stderr.write("{_MARK} end\\n"); sys.stderr.flush()
heavy = {HEAVY!r}
print(json.dumps({{
    "seconds": seconds,
    "dags": sorted(k for k, v in vars(module).items() if type(v).__name__ == "DAG"),
    "new_modules": len(set(sys.modules) - before),
    "heavy_by_dag": sorted(m for m in heavy if m in sys.modules and m not in before),
    "heavy_by_sdk": sorted(m for m in heavy if m in before),
}}))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])
    env.setdefault("NMBRS_SYNC_CONFIG", str(DEMO_CONFIG))
    return env


def _probe(*flags: str) -> tuple[dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, *flags, "-c", _PROBE, str(DAG_FILE)],
        env=_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {DAG_FILE} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def parse_importtime(stderr: str) -> list[dict[str, Any]]:
    """``-X importtime`` lines between the probe's marks: module, self and cumulative us,
    depth (0 = imported by the DAG file itself)."""
    rows: list[dict[str, Any]] = []
    inside = False
    for line in stderr.splitlines():
        if line.startswith(_MARK):
            inside = line.endswith("start")
            continue
        if not inside or not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append(
            {
                "module": name.strip(),
                "self_us": int(parts[0]),
                "cumulative_us": int(parts[1]),
                "depth": depth,
            }
        )
    return rows


def measure_dag_import(runs: int = 3, top: int = 10) -> dict[str, Any]:
    """Import the DAG file ``runs`` times in fresh interpreters (``airflow.sdk`` preloaded).

    Returns ``seconds`` (median import time beyond airflow.sdk), ``runs_s``, ``target_s``,
    ``within_target``, ``dags``, ``new_modules``, ``heavy_by_dag`` (heavy libraries the DAG
    file imported), ``heavy_by_sdk`` (already there through airflow.sdk), ``top_level``
    (modules the DAG file imports directly, by cumulative ms) and ``heaviest_self`` (modules
    by their own import ms), both from ``-X importtime``.
    """
    results = [_probe()[0] for _ in range(max(1, runs))]
    timed, stderr = _probe("-X", "importtime")
    rows = parse_importtime(stderr)

    def listing(selected: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        ranked = sorted(selected, key=lambda r: r[key], reverse=True)[:top]
        return [{"module": r["module"], "ms": round(r[key] / 1000, 1)} for r in ranked]

    seconds = statistics.median(r["seconds"] for r in results)
    first = results[0]
    return {
        "seconds": seconds,
        "runs_s": [round(r["seconds"], 4) for r in results],
        "target_s": TARGET_SECONDS,
        "within_target": seconds < TARGET_SECONDS and not first["heavy_by_dag"],
        "dags": first["dags"],
        "new_modules": first["new_modules"],
        "heavy_by_dag": first["heavy_by_dag"],
        "heavy_by_sdk": first["heavy_by_sdk"],
        "importtime_total_ms": round(sum(r["self_us"] for r in rows) / 1000, 1),
        "importtime_run_s": timed["seconds"],
        "top_level": listing([r for r in rows if r["depth"] == 0], "cumulative_us"),
        "heaviest_self": listing(rows, "self_us"),
    }


def render(result: dict[str, Any]) -> str:
    """A small markdown report of one measurement."""
    lines = [
        "### DAG parse cost: dags/nmbrs_payroll_sync.py beyond airflow.sdk",
        "",
        "| measure | value |",
        "|---|---|",
        f"| import time, median of {len(result['runs_s'])} fresh interpreters "
        f"(target < {result['target_s']:g} s) | {result['seconds']:.3f} s |",
        f"| DAGs defined | {', '.join(result['dags']) or '(none)'} |",
        f"| modules newly imported | {result['new_modules']} |",
        f"| heavy libraries imported by the DAG file | "
        f"{', '.join(result['heavy_by_dag']) or 'none'} |",
        f"| heavy libraries already loaded by airflow.sdk | "
        f"{', '.join(result['heavy_by_sdk']) or 'none'} |",
        f"| within target | {'yes' if result['within_target'] else 'NO'} |",
        "",
        "| imported by the DAG file (-X importtime) | cumulative ms |",
        "|---|---|",
        *(f"| {r['module']} | {r['ms']:.1f} |" for r in result["top_level"]),
        "",
        "| heaviest modules, own import time | ms |",
        "|---|---|",
        *(f"| {r['module']} | {r['ms']:.1f} |" for r in result["heaviest_self"]),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m bench.dag_import``."""
    parser = argparse.ArgumentParser(prog="python -m bench.dag_import", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="fresh interpreters to time")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = measure_dag_import(args.runs)
    print(json.dumps(result) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
