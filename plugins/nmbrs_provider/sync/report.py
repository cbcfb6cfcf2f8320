"""Readable summaries of a sync run, for the task log and the demo."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nmbrs_provider.core.ids import id_key


def render_results(results: Iterable[Mapping[str, Any]]) -> str:
    """One block per company: status, hours read = sent + excluded, exclusions by reason, and
    the employees whose hours add up from Keeping accounts in several organisations."""
    blocks = []
    for r in sorted(results, key=lambda r: id_key(r["company_id"])):
        lines = [
            f"Company {r['company_id']} {r['period']}: {r['status']} - read {r['hours_read']:.2f} h"
            f" = sent {r['hours_sent']:.2f} h + excluded {r['hours_excluded']:.2f} h; "
            f"{r['employees_written']} employees written, {r['employees_unchanged']} unchanged"
        ]
        for reason, hours in sorted(r.get("excluded_by_reason", {}).items()):
            lines.append(f"    excluded {hours:8.2f} h  {reason}")
        merged = r.get("merged_accounts") or []
        if merged:
            lines.append(
                f"    merged accounts: {len(merged)} employees get the hours of Keeping users of "
                "several organisations with their personnel number, added up"
            )
        for m in merged:
            accounts = ", ".join(
                f"user {a['user_id']} ({a['user_name']}, organisation {a['organisation_id']})"
                f" {a['hours']:.2f} h"
                for a in m["accounts"]
            )
            lines.append(
                f"      employee {m['employee_number']} ({m['employee_name']}) "
                f"{m['hours']:.2f} h = {accounts}"
            )
        blocks.append("\n".join(lines))
    return "\n".join(blocks) if blocks else "No company was synced."
