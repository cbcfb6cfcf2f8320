"""Readable summaries of a sync run, for the task log and the demo."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def render_results(results: Iterable[Mapping[str, Any]]) -> str:
    """One block per company: status, hours read = sent + excluded, and exclusions by reason."""
    blocks = []
    for r in sorted(results, key=lambda r: r["company_id"]):
        lines = [
            f"Company {r['company_id']} {r['period']}: {r['status']} - read {r['hours_read']:.2f} h"
            f" = sent {r['hours_sent']:.2f} h + excluded {r['hours_excluded']:.2f} h; "
            f"{r['employees_written']} employees written, {r['employees_unchanged']} unchanged"
        ]
        for reason, hours in sorted(r.get("excluded_by_reason", {}).items()):
            lines.append(f"    excluded {hours:8.2f} h  {reason}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks) if blocks else "No company was synced."
