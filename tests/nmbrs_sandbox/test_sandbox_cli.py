"""``python -m nmbrs_sandbox`` starts a server, answers SOAP and stops cleanly on SIGTERM."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.nmbrs_sandbox.sandbox_api import Api

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli() -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(
        [sys.executable, "-m", "nmbrs_sandbox", "--port", "0", "--latency-ms", "1"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(timeout=60)


def test_cli_serves_the_demo_and_stops_on_sigterm(cli: subprocess.Popen) -> None:
    first_line = cli.stdout.readline()
    assert first_line.startswith("Nmbrs sandbox listening on http://127.0.0.1:"), first_line
    url = first_line.rsplit(" ", 1)[1].strip()

    assert Api(url).company("Company_GetCurrentPeriod", CompanyId=54613) == "2026-11-M"

    cli.terminate()
    assert cli.wait(timeout=60) == 0
    out, err = cli.stdout.read(), cli.stderr.read()
    printed = first_line + out
    assert "demo@example.com" in printed and "limited@example.com" in printed
    assert "sandbox-demo-token" not in printed + err
    assert "stopped" in out


def test_cli_rejects_a_broken_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "broken.yaml"
    scenario.write_text("accounts: []\ncompanies: [{id: 1}]\n")

    result = subprocess.run(
        [sys.executable, "-m", "nmbrs_sandbox", "--scenario", str(scenario), "--port", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode != 0
    assert "companies[0]" in result.stderr
